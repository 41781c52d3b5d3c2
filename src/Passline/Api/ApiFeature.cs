using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Passline.Api;

public static class ApiFeature
{
    /// <summary>
    /// JSON as SPEC 2 writes it, request bodies up to 64 KiB (<see cref="BodyLimitOptions"/>), public URLs, the OpenAPI
    /// document.
    /// </summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BodyLimitOptions>().BindConfiguration(BodyLimitOptions.Section)
            .Validate(o => o.RequestBodyBytes >= 1024 && o.WebhookBodyBytes >= 1024,
                $"{BodyLimitOptions.Section}: RequestBodyBytes and WebhookBodyBytes must be at least 1024.")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<BodyLimitOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.RequestBodyBytes);
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        PublicUrls.Validate(builder.Configuration);
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddApiDocs();
        return builder;
    }
}
