using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Monitoring;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: and its database does too (SPEC 8).</summary>
public static class Health
{
    public static IServiceCollection AddPasslineHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseCheck>("database", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapPasslineHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    private sealed class DatabaseCheck(PasslineDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                // A query on a real table proves the connection and the schema, not just that a file exists.
                await db.Instances.AnyAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("The database is not reachable.", e);
            }
        }
    }
}
