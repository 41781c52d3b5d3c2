using Microsoft.Extensions.Options;

namespace Passline.Outbox;

/// <summary>
/// The loop of every background worker (the outboxes, the expiry sweep, housekeeping): run one batch, again while
/// batches come back full, then sleep until this process signals more work (where the worker listens) or the interval
/// passes. A failing batch is logged and retried after the interval. Several workers and nodes may run the same loop.
/// </summary>
public abstract class WorkerLoop(OutboxSignal? signal, TimeProvider time, IOptions<WorkerOptions> options, ILogger logger) : BackgroundService
{
    private static readonly Task Never = new TaskCompletionSource().Task;

    protected TimeProvider Time => time;

    protected abstract string Name { get; }

    /// <summary>How long to sleep when nothing woke the worker.</summary>
    protected virtual TimeSpan Interval => options.Value.PollInterval;

    /// <summary>A full batch: the loop runs again at once.</summary>
    protected abstract int BatchSize { get; }

    /// <summary>Does one batch of work; returns how many items it took.</summary>
    public abstract Task<int> RunOnceAsync(CancellationToken cancellationToken);

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
                // Taken before looking for work, so that work queued while the worker looks is not missed.
                var notified = signal?.Next() ?? Never;
                while (await RunOnceAsync(stoppingToken) == BatchSize)
                {
                }

                await OutboxSignal.WaitAsync(notified, Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Worker {Worker} failed; retrying", Name);
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
