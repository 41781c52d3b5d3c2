using Microsoft.Extensions.Options;
using Passline.Channels;

namespace Passline.Storage;

/// <summary>
/// The loop shared by the outboxes (WhatsApp messages, callbacks): claim due rows, deliver them in parallel, and
/// sleep until this process queues more work or the poll interval passes. Several workers and nodes may run it.
/// </summary>
public abstract class OutboxWorker(IServiceScopeFactory scopes, OutboxSignal signal, TimeProvider time, IOptions<WorkerOptions> options, ILogger logger)
    : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private const int BatchSize = 64;

    protected TimeProvider Time => time;

    /// <summary>The outbox table: its rows have <c>id</c>, <c>status</c>, <c>next_attempt_at</c> and <c>locked_until</c>.</summary>
    protected abstract string Table { get; }

    /// <summary>Delivers one claimed row and records the attempt.</summary>
    protected abstract Task DeliverAsync(IServiceProvider services, Guid id, CancellationToken cancellationToken);

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
                var notified = signal.Next();
                while (await RunOnceAsync(stoppingToken) == BatchSize)
                {
                }

                await OutboxSignal.WaitAsync(notified, options.Value.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Outbox {Table} failed; retrying", Table);
                await Task.Delay(options.Value.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Claims and delivers one batch; returns how many rows it claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        List<Guid> claimed;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
            claimed = await OutboxClaims.ClaimAsync(db, Table, time.GetUtcNow(), Lease, BatchSize, cancellationToken);
        }

        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            try
            {
                await DeliverAsync(scope.ServiceProvider, id, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The lease runs out and the row is claimed again; one bad row must not stop the others.
                logger.LogError(e, "Delivering {Table} row {Id} failed", Table, id);
            }
        });
        return claimed.Count;
    }
}
