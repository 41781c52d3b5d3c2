using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Passline.Hosting;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Monitoring;

/// <summary>
/// <c>/healthz</c>: the process answers, and says which build it is. <c>/readyz</c>: and its database does too (SPEC 8).
/// Both answer <c>{"status": "Healthy", "version": "..."}</c> (503 with <c>Unhealthy</c> when not).
/// </summary>
public static class Health
{
    /// <summary>
    /// The build's version as <c>passline --version</c> prints it: <c>scripts/release</c> sets it from the git tag (or
    /// the commit), and the SDK appends the commit id.
    /// </summary>
    public static string Version { get; } =
        typeof(Health).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static IServiceCollection AddPasslineHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseCheck>("database", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapPasslineHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false, ResponseWriter = WriteAsync }).OnManagementListener();
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteAsync }).OnManagementListener();
        return app;
    }

    // The version's "+" as itself rather than \u002B: the answer is read by people and shell scripts too.
    private static readonly JsonSerializerOptions AnswerJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), version = Version }, AnswerJson));
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
