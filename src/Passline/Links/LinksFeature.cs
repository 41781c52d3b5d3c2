namespace Passline.Links;

public static class LinksFeature
{
    /// <summary>generate-link's group commit.</summary>
    public static WebApplicationBuilder AddLinks(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LinkRequestWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LinkRequestWriter>());
        return builder;
    }

    /// <summary>The link API, the verification page and the link page.</summary>
    public static IEndpointRouteBuilder MapLinks(this IEndpointRouteBuilder app) =>
        app.MapLinkApi().MapVerificationPage().MapLinkPage();
}
