namespace Passline.RateLimiting;

public static class RateLimitingFeature
{
    public static WebApplicationBuilder AddRateLimiting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.PerChat >= 0 && o.PerInstancePerMinute >= 0 && o.InboundPerChatPerMinute >= 0 && o.PagesPerIpPerMinute >= 0
                && o.StatusPerIpPerMinute >= 0 && o.StreamsPerIp >= 0,
                $"{RateLimitOptions.Section}: limits cannot be negative (0 turns a limit off where it can be).")
            .Validate(o => o.PerChatWindow > TimeSpan.Zero, $"{RateLimitOptions.Section}:PerChatWindow must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<RateLimits>();
        builder.Services.AddSingleton<OpenStreams>();
        return builder;
    }
}
