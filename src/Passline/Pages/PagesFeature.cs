using Passline.Storage;

namespace Passline.Pages;

public static class PagesFeature
{
    /// <summary>Data protection with keys in the database (shared by every node, encrypted, SPEC 8) and the pages' antiforgery.</summary>
    public static WebApplicationBuilder AddPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddPasslineDataProtection();
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "passline-csrf";
            o.SuppressXFrameOptionsHeader = true; // pages send DENY themselves
        });
        return builder;
    }
}
