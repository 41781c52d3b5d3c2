using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Channels;
using Passline.Storage;

namespace Passline.Links;

/// <summary>Ends requests whose <c>expires_at</c> has passed (SPEC 3), each through the one conditional transition.</summary>
public sealed class ExpirySweeper(IServiceScopeFactory scopes, TimeProvider time, IOptions<WorkerOptions> options, ILogger<ExpirySweeper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await SweepOnceAsync(stoppingToken) == BatchSize)
                {
                }

                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Expiry sweep failed; retrying");
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var lifecycle = scope.ServiceProvider.GetRequiredService<LinkLifecycle>();
        var now = time.GetUtcNow();
        var due = await lifecycle.Db.OtpRequests
            .Where(r => (r.Status == OtpStatuses.Pending || r.Status == OtpStatuses.Sent) && r.ExpiresAt <= now)
            .OrderBy(r => r.ExpiresAt)
            .Select(r => r.Id)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        foreach (var id in due)
        {
            await lifecycle.InTransactionAsync(() => lifecycle.ExpireAsync(id, cancellationToken), cancellationToken);
        }

        await scope.ServiceProvider.GetRequiredService<Api.RateLimits>().PruneAsync(cancellationToken);
        return due.Count;
    }
}
