using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Passline.Localization;

namespace Passline.Pages;

/// <summary>
/// How an endpoint answers with a page (SPEC 4): a Razor component rendered on the server (<see cref="PageLayout"/> sets
/// the security headers), in the language chosen for it, or a redirect that keeps the pages' caching and referrer rules.
/// </summary>
public static class Page
{
    /// <summary>The page <typeparamref name="TPage"/> with <paramref name="parameters"/> (an object whose properties name its parameters), in <paramref name="language"/>.</summary>
    public static IResult Render<TPage>(string language, object? parameters = null, int statusCode = StatusCodes.Status200OK) where TPage : IComponent =>
        new LocalizedResult(new RazorComponentResult<TPage>(parameters ?? new { }) { StatusCode = statusCode }, Languages.Culture(language));

    /// <summary>
    /// Answers HEAD as it answers GET (RFC 9110, 9.3.2): uptime monitors and link checkers ask with HEAD, and Kestrel sends
    /// the GET's headers without its body. Only for pages whose GET changes nothing.
    /// </summary>
    public static TBuilder AnswerHead<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));

    /// <summary>
    /// Marks an endpoint as a page: what fails in it unexpectedly (a bug, the database out of reach) answers with a page
    /// in the browser's language, with the pages' headers, instead of the API's JSON (<see cref="Api.ApiErrorHandling"/>).
    /// </summary>
    public static TBuilder AsPage<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Marker.Instance);

    /// <summary>Whether <paramref name="endpoint"/> is a page (<see cref="AsPage"/>).</summary>
    public static bool IsPage(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<Marker>() is not null;

    /// <summary>The page for a request a page's endpoint could not answer, with <paramref name="statusCode"/> (500, 503, ...).</summary>
    public static IResult Failed(HttpContext context, int statusCode)
    {
        var texts = context.RequestServices.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Texts>>();
        var language = Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;
        return Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["That did not work"].Value,
            Text = texts["Something went wrong on our side. Reload the page in a moment."].Value,
        }), statusCode);
    }

    /// <summary>The page for a client over the per-IP limit (SPEC 6), with <c>Retry-After</c>, in the browser's language.</summary>
    public static IResult TooManyRequests(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Render<TooManyRequestsPage>(Languages.FromAcceptLanguage(context.Request) ?? Languages.Default, new { Seconds = seconds },
            StatusCodes.Status429TooManyRequests);
    }

    /// <summary>
    /// Whether a POST is a form from one of our pages: null when it is (its antiforgery token checks out), else the status
    /// its refusal page answers with. A body that is no readable form (a multipart body without its boundary, more fields
    /// or longer keys than forms may have, a NUL) is refused like a form without its token: 400; one over the request
    /// size limit, 413.
    /// </summary>
    public static async Task<int?> RefusedFormAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType)
        {
            return StatusCodes.Status400BadRequest;
        }

        try
        {
            // Read here, where its failures are caught; the antiforgery check and the endpoint then use this reading.
            await context.Request.ReadFormAsync(context.RequestAborted);
            return await antiforgery.IsRequestValidAsync(context) ? null : StatusCodes.Status400BadRequest;
        }
        catch (BadHttpRequestException e)
        {
            return e.StatusCode == StatusCodes.Status413PayloadTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException or AntiforgeryValidationException)
        {
            return StatusCodes.Status400BadRequest;
        }
    }

    /// <summary>The headers every page sends (SPEC 4), with the page's own Content-Security-Policy.</summary>
    public static void SecurityHeaders(HttpResponse response, string contentSecurityPolicy)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = contentSecurityPolicy;
    }

    /// <summary>A 302/303 to <paramref name="location"/> that keeps the page's caching and referrer rules.</summary>
    public static IResult Redirect(HttpContext context, string location, int statusCode = StatusCodes.Status303SeeOther)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Headers.Location = location;
        return Results.StatusCode(statusCode);
    }

    private sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    /// <summary>
    /// Renders with the page's language as the current culture, which the resource lookups of its components read. Set
    /// here, around the rendering, because a culture set inside the endpoint's handler does not flow out of it.
    /// </summary>
    private sealed class LocalizedResult(IResult page, CultureInfo culture) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
            await page.ExecuteAsync(httpContext);
        }
    }
}
