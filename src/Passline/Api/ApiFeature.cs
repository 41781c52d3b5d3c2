namespace Passline.Api;

public static class ApiFeature
{
    /// <summary>JSON as SPEC 2 writes it, request bodies up to 64 KiB, public URLs, the OpenAPI document.</summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonBody.MaxBytes);
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddApiDocs();
        return builder;
    }
}
