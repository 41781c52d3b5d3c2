namespace Passline.Requests;

public static class RequestsFeature
{
    /// <summary>The request lifecycle's unit-of-work runner, its change signal and the expiry sweep.</summary>
    public static WebApplicationBuilder AddRequests(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RequestWork>();
        builder.Services.AddSingleton<RequestChanges>();
        builder.Services.AddHostedService<ExpirySweeper>();
        return builder;
    }
}
