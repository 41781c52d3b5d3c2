using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.StaticAssets.Infrastructure;
using Passline.Storage;

namespace Passline.Pages;

public static class PagesFeature
{
    /// <summary>
    /// Data protection with keys in the database (shared by every node, encrypted, SPEC 8), the pages' antiforgery, Razor components
    /// rendered on the server, the resources of every language and the pages' static files.
    /// </summary>
    public static WebApplicationBuilder AddPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddPasslineDataProtection();
        builder.Services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true); // pages send DENY themselves
        builder.Services.AddOptions<AntiforgeryOptions>().Configure<IConfiguration>((o, configuration) =>
        {
            // Secure over HTTPS; and where the public URL is https, named with the __Host- prefix, which a browser takes
            // only from this host over HTTPS: a sibling subdomain (or a plain-http answer) cannot plant a cookie and form
            // token pair it knows, as for the device binding (Links/DeviceBinding.cs).
            var https = configuration[Api.PublicUrls.Key]?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
            o.Cookie.Name = https ? "__Host-passline-csrf" : "passline-csrf";
            o.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });

        builder.Services.AddRazorComponents();
        builder.Services.AddLocalization();
        builder.Services.AddSingleton<PageAssets>();

        // Encoding stays on by default; it only leaves the letters of every script readable (Arabic, Devanagari,
        // Cyrillic), instead of turning each into a numeric entity that would triple a page's size.
        builder.Services.AddSingleton(HtmlEncoder.Create(UnicodeRanges.All));

        // The pages' static files from the build output too (not only when published), whatever the environment. Without
        // the development fallback that serves files added after the build: its catch-all route would answer the API's
        // wrong-method requests with 404 instead of 405.
        builder.WebHost.UseStaticWebAssets();
        builder.Configuration["DisableStaticAssetNotFoundRuntimeFallback"] ??= "true";
        return builder;
    }

    /// <summary>The pages' scripts and stylesheet, under fingerprinted names (<see cref="PageAssets"/>).</summary>
    public static WebApplication MapPages(this WebApplication app)
    {
        app.MapStaticAssets();
        app.Services.GetRequiredService<PageAssets>().Load(StaticAssetsEndpointDataSourceHelper.ResolveStaticAssetDescriptors(app, null));
        return app;
    }
}
