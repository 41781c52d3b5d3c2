using Passline.Monitoring;

namespace Passline.Retention;

public static class RetentionFeature
{
    /// <summary><c>Passline:Retention:Days</c>, the hourly statistics rollup and the deletion of what is due, on the workers' loop.</summary>
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<StatsRollup>();
        builder.Services.AddSingleton<RetentionSweep>();
        builder.Services.AddHostedService<RetentionWorker>();
        return builder;
    }
}
