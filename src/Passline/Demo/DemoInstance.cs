using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Demo;

/// <summary>
/// First start (SPEC 8): in Development, on a database without instances, creates a demo instance on the
/// simulator and prints its id, a token and the demo page's URL, so that the README's first command
/// leads straight to a working flow. Runs after <see cref="DatabaseStartup"/>.
/// </summary>
public sealed class DemoInstance(
    IServiceScopeFactory scopes,
    IHostEnvironment environment,
    IOptions<SimulatorOptions> simulator,
    IHostApplicationLifetime lifetime,
    PublicUrls urls,
    TimeProvider time) : IHostedService
{
    public const string Name = "Passline Demo";
    public const string Phone = "15550001234";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() || !simulator.Value.Enabled)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
        if (await db.Instances.AnyAsync(cancellationToken))
        {
            return;
        }

        var created = await InstanceAdmin.CreateAsync(db, time, new Instance
        {
            Name = Name,
            Phone = Phone,
            Provider = Providers.Simulator,
            WebhookSecret = "",
        }, cancellationToken);

        // Printed once to the console, not to the log: the token is shown this one time only.
        lifetime.ApplicationStarted.Register(() =>
        {
            var publicBase = urls.Known() ?? "http://127.0.0.1:5080";
            Console.WriteLine($"""

                Passline created a demo instance on the simulator provider (shown once, keep the token):
                  instance: {created.Instance.Id}
                  token:    {created.Token}
                  demo:     {publicBase}/demo

                """);
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
