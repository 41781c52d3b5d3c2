using Passline.Hosting;

namespace Passline.Monitoring;

public static class MonitoringFeature
{
    public static WebApplicationBuilder AddMonitoring(this WebApplicationBuilder builder)
    {
        builder.Services.AddPasslineHealth();
        PasslineMetrics.AddPasslineMetrics(builder.Services);
        return builder;
    }

    /// <summary><c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>, the stats API and the dashboard.</summary>
    public static IEndpointRouteBuilder MapMonitoring(this IEndpointRouteBuilder app)
    {
        app.MapPasslineHealth();
        app.MapPrometheusScrapingEndpoint("/metrics").OnManagementListener();
        return app.MapStatsApi().MapDashboard();
    }
}
