using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Storage;

namespace Passline.Outbox;

/// <summary>How an outbox retries (SPEC 5, 7): for how long, how far backoff grows, and what <c>Retry-After</c> may do.</summary>
/// <param name="GiveUpAfter">Age of a row after which a failed attempt is its last.</param>
/// <param name="BackoffCap">The longest wait between two attempts.</param>
/// <param name="RetryAfterMayShorten">
/// Whether a receiver's <c>Retry-After</c> is taken as it is (a provider knows its own rate limits), or only where it
/// asks for a longer wait than the backoff, up to the cap (a callback receiver's deployment).
/// </param>
public sealed record OutboxPolicy(TimeSpan GiveUpAfter, TimeSpan BackoffCap, bool RetryAfterMayShorten)
{
    public TimeSpan Wait(int attempts, TimeSpan? retryAfter)
    {
        var backoff = Delivery.Backoff(attempts, BackoffCap);
        if (retryAfter is not { } after)
        {
            return backoff;
        }

        return RetryAfterMayShorten ? after : after > backoff ? (after < BackoffCap ? after : BackoffCap) : backoff;
    }
}

/// <summary>
/// What an outbox needs to know about its rows' destination: a channel turns one row into one delivery result. The
/// engine does everything else (claiming, recording, retrying, giving up).
/// </summary>
public interface IOutboxChannel<in TRow> where TRow : OutboxRow
{
    OutboxPolicy Policy { get; }

    /// <summary>One HTTP delivery of <paramref name="row"/>: only the exchange and what it means.</summary>
    Task<DeliveryResult> DeliverAsync(TRow row, IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>
    /// Runs in the unit of work that records the attempt: what the result means beyond the row itself (a code request
    /// becomes <c>sent</c>, say).
    /// </summary>
    Task RecordedAsync(UnitOfWork work, TRow row, DeliveryResult result) => Task.CompletedTask;

    /// <summary>
    /// Whether <see cref="RecordedAsync"/> runs statements for this result. When it does not, the attempt is recorded on
    /// PostgreSQL with one statement and no transaction (<see cref="RowUpdates"/>): one round trip.
    /// </summary>
    bool RecordingRunsStatements(TRow row, DeliveryResult result) => false;
}

/// <summary>
/// The one outbox engine (SPEC 5, 7): claims due rows of <typeparamref name="TRow"/> with a lease (several workers and
/// nodes claim disjoint rows), delivers them in parallel through their channel, each within the lease, and records
/// every attempt, while the lease holds, in one unit of work with its consequences: delivered, retried with backoff and
/// jitter, or given up.
/// </summary>
public sealed class OutboxEngine<TRow>(
    IServiceScopeFactory scopes, Writes writes, OutboxSignal signal, TimeProvider time, IOptions<WorkerOptions> options, ILogger<OutboxEngine<TRow>> logger)
    : WorkerLoop(signal, time, options, logger)
    where TRow : OutboxRow
{
    /// <summary>How long a claim holds its rows: until then no other worker or node takes them.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The longest one delivery takes: the HTTP clients give up after 10 s (<c>AddChannels</c>, <c>AddCallbacks</c>),
    /// and a Cloud API button that Meta refuses goes again as text, a second request.
    /// </summary>
    private static readonly TimeSpan LongestDelivery = TimeSpan.FromSeconds(20);

    /// <summary>What a delivery leaves of its lease at the least: room for nodes whose clocks differ a little.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(10);

    protected override string Name => typeof(TRow).Name;

    protected override int BatchSize => 64;

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        List<TRow> claimed;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
            claimed = await writes.StatementAsync(db, db => OutboxClaims.ClaimAsync<TRow>(db, Time.GetUtcNow(), Lease, BatchSize, cancellationToken), cancellationToken);
        }

        if (claimed.Count == 0)
        {
            return 0;
        }

        // The rows of a batch wait their turn behind slow deliveries (16 at a time) while their lease runs, and once it
        // has run out another worker, here or on another node, may claim a row and deliver it too. So every delivery is
        // over before the lease is: a row whose turn comes too late for the longest delivery is left to a later claim,
        // and a delivery still under way at the deadline (which the HTTP timeouts should not let happen) is given up as
        // a timeout, and retried. No statement per row: the batch shares one lease.
        var lease = claimed[0].LockedUntil!.Value;
        var deadline = lease - LeaseMargin;
        var remaining = deadline - Time.GetUtcNow();
        using var late = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Time);
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, late.Token);
        var left = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (row, ct) =>
        {
            if (Time.GetUtcNow() + LongestDelivery > deadline)
            {
                left.Add(row.Id);
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            try
            {
                await DeliverAsync(scope.ServiceProvider, row, sending.Token, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The lease runs out and the row is claimed again; one bad row must not stop the others.
                logger.LogError(e, "Delivering {Outbox} row {Id} failed", Name, row.Id);
            }
        });

        if (!left.IsEmpty)
        {
            logger.LogWarning("{Count} {Outbox} rows waited too long behind slow deliveries to go within their lease; they go with the next claim",
                left.Count, Name);
            await writes.RunStatementAsync(db => OutboxClaims.ReleaseAsync<TRow>(db, [.. left], lease, cancellationToken), cancellationToken);
        }

        return claimed.Count;
    }

    /// <param name="sending">What the delivery runs under: given up at the deadline of the row's lease, or at a stop.</param>
    private async Task DeliverAsync(IServiceProvider services, TRow row, CancellationToken sending, CancellationToken cancellationToken)
    {
        var channel = services.GetRequiredService<IOutboxChannel<TRow>>();
        var lease = row.LockedUntil!.Value;
        DeliveryResult result;
        try
        {
            result = await channel.DeliverAsync(row, services, sending);
        }
        catch (OperationCanceledException) when (sending.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            result = Delivery.TimedOut;
        }

        var attempts = row.Attempts + 1;
        var runs = 0;

        // Writes runs the unit again after a passing database failure, on the row object the failed run already changed.
        // So the attempt count is set, not incremented, and a repeated run writes every column: what the failed run
        // changed no longer differs from the row in memory, and change tracking alone would write none of it.
        // The row is updated only while it still has this claim's lease: once the lease has run out (a node that
        // stalled), another worker may have claimed the row, tried it and recorded that, and its record stands.
        async Task<bool> RecordAsync(UnitOfWork work)
        {
            var entry = work.Db.Attach(row);
            row.Attempts = attempts;
            Record(row, result, work.Now, channel.Policy);
            if (!await work.Db.UpdateAsync(entry, allColumns: runs++ > 0, row.Attempted(work.Now, result), work.Aborted, (nameof(OutboxRow.LockedUntil), lease)))
            {
                return false;
            }

            await channel.RecordedAsync(work, row, result);
            return true;
        }

        // On PostgreSQL the record is one statement, and needs no transaction unless the channel adds statements; in
        // SQLite's single writer, where it is two, the unit's own savepoint keeps them together.
        if (!await writes.RunAsync(RecordAsync, oneStatement: !writes.OneWriter && !channel.RecordingRunsStatements(row, result), cancellationToken))
        {
            logger.LogWarning("{Outbox} {RowId} for request {RequestId}: {Outcome} {StatusCode}, not recorded: the row's lease ran out, or the row is gone",
                Name, row.Id, row.AboutRequest, result.OutcomeName, result.StatusCode);
            return;
        }

        // Every delivery is a line at Debug; a retry or a give-up is worth an operator's eye.
        logger.Log(result.Outcome == DeliveryOutcome.Delivered ? LogLevel.Debug : LogLevel.Information,
            "{Outbox} {RowId} for request {RequestId}: {Outcome} {StatusCode}", Name, row.Id, row.AboutRequest, result.OutcomeName, result.StatusCode);
    }

    private void Record(TRow row, DeliveryResult result, DateTimeOffset now, OutboxPolicy policy)
    {
        row.LockedUntil = null;
        row.LastError = result.Error;
        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                row.Delivered(now, result);
                row.Settled(result);
                break;
            case DeliveryOutcome.Retry when now - row.CreatedAt < policy.GiveUpAfter:
                row.NextAttemptAt = now + policy.Wait(row.Attempts, result.RetryAfter);
                break;
            default:
                row.Status = OutboxStatuses.Failed;
                row.Settled(result);
                logger.LogWarning("Gave up {Outbox} {RowId} for request {RequestId} after {Attempts} attempts: {Error}",
                    Name, row.Id, row.AboutRequest, row.Attempts, result.Error);
                break;
        }
    }
}

public static class OutboxServices
{
    /// <summary>The outbox writer, the wake-up signal and the worker options; each outbox then adds its engine.</summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section)
            .Validate(o => o.PollInterval > TimeSpan.Zero, $"{WorkerOptions.Section}:PollInterval must be positive.")
            .ValidateOnStart();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxWriter>();
        return services;
    }

    /// <summary>An outbox of <typeparamref name="TRow"/> delivered through <typeparamref name="TChannel"/>.</summary>
    public static IServiceCollection AddOutboxChannel<TRow, TChannel>(this IServiceCollection services)
        where TRow : OutboxRow
        where TChannel : class, IOutboxChannel<TRow>
    {
        services.AddSingleton<IOutboxChannel<TRow>, TChannel>();
        services.AddSingleton<OutboxEngine<TRow>>();
        services.AddHostedService(s => s.GetRequiredService<OutboxEngine<TRow>>());
        return services;
    }
}
