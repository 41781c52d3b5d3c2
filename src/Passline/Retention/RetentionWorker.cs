using Microsoft.Extensions.Options;
using Passline.Monitoring;
using Passline.Outbox;

namespace Passline.Retention;

/// <summary>
/// Every few minutes on the workers' loop: stores the statistics of the hours that can no longer change, then deletes a
/// batch of what is due under <c>Passline:Retention:Days</c>, at once again while batches come back full. Several nodes
/// may run it: each hour is stored by one of them, and deleting a row twice deletes it once.
/// </summary>
public sealed class RetentionWorker(
    StatsRollup rollup, RetentionSweep sweep, IOptions<RetentionOptions> retention, TimeProvider time, IOptions<WorkerOptions> options,
    ILogger<RetentionWorker> logger)
    : WorkerLoop(null, time, options, logger)
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(5);

    protected override string Name => "retention";

    protected override TimeSpan Interval => SweepInterval;

    protected override int BatchSize => RetentionSweep.BatchSize;

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await rollup.RunAsync(cancellationToken);
        var deleted = await sweep.DeleteBatchAsync(Time.GetUtcNow().AddDays(-retention.Value.Days), cancellationToken);
        if (deleted.Values.Sum() > 0)
        {
            logger.LogInformation("Retention deleted {Deleted}", string.Join(", ", deleted.Where(d => d.Value > 0).Select(d => $"{d.Value} {d.Key}")));
        }

        return deleted.LargestBatch;
    }
}
