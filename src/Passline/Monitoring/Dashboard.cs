using Passline.Localization;
using Passline.Pages;

namespace Passline.Monitoring;

/// <summary>
/// <c>GET /dashboard</c>: the figures of <c>GET /stats</c> with charts, for a person (<see cref="DashboardPage"/>). The
/// page holds no data of its own: the browser asks the stats endpoint with the instance token the person enters (kept in
/// this tab's session storage only), so the page is protected exactly as the API is.
/// </summary>
public static class Dashboard
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", Show).ExcludeFromDescription().AnswerHead().AsPage();
        return app;
    }

    private static IResult Show(HttpContext context) =>
        Page.Render<DashboardPage>(Languages.FromAcceptLanguage(context.Request) ?? Languages.Default);
}
