using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Links;

/// <summary>
/// Group commit for generate-link (SPEC 2.2, 9). Each call waits until its row is committed — the API answers only
/// after that — but rows arriving together share one transaction, so a burst costs one disk flush, not one each.
/// A batch that hits the open-code unique index (two equal random codes, ~1 in 10^11) is retried row by row, each
/// colliding row drawing a new code. On SQLite each row is a unit of its own in the single writer, which already commits
/// the units waiting together: a queue here too would put a thread-pool hop between the writer's batches, and the writer
/// would wait for it while requests wait for the writer. A request bound to a chat takes a slower path, a unit of work
/// of its own that checks the chat's limit before it stores the row.
/// <para>
/// On PostgreSQL one batch is written at a time: the requests that arrive while it waits for its commit's flush make
/// the next batch. With four batches in flight (the design before), the backends mostly waited on the log's flush
/// (<c>pg_stat_activity</c>: <c>WALSync</c>, <c>WALWrite</c>), each flush covering a batch of ~12 rows; with one, batches
/// hold ~28 rows and the database spends 27-38 µs of CPU a request instead of 38-50. Five pairs of <c>wrk</c> on the
/// server alone (docs/performance.md): 13,186-17,573 req/s against 12,536-15,426, p99 7.8-10.7 ms against 9.2-11.7.
/// The batches go through a connection of the writer's own (<see cref="OwnContext"/>), not one from the pool each.
/// </para>
/// </summary>
/// <param name="contexts">PostgreSQL's; not registered on SQLite, where the single writer stores the rows.</param>
public sealed class LinkRequestWriter(Writes writes, ILogger<LinkRequestWriter> logger, OwnContexts? contexts = null) : BackgroundService
{
    private const int MaxBatch = 256;
    private const int CodeAttempts = 5;

    private sealed record Pending(OtpRequest Request, TaskCompletionSource Stored);

    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>();

    /// <summary>The batches' context and connection, used by the drain loop alone.</summary>
    private readonly OwnContext? own = contexts?.Create();

    /// <summary>For tests: the batches' context.</summary>
    internal OwnContext? Own => own;

    /// <summary>Stores <paramref name="request"/>; completes once it is committed.</summary>
    public Task SaveAsync(OtpRequest request, CancellationToken cancellationToken)
    {
        if (writes.OneWriter)
        {
            return InsertAsync(request, null, CancellationToken.None).WaitAsync(cancellationToken);
        }

        var pending = new Pending(request, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("Passline is shutting down.");
        }

        return pending.Stored.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stores <paramref name="request"/>, bound to a chat, within the chat's limit (SPEC 6): in a unit of work of its own
    /// (a transaction), where <paramref name="limits"/> counts the chat's recent requests, one such unit per chat at a
    /// time (<see cref="RateLimits.CheckChatBeforeInsertAsync"/>), and the row is stored only under the limit. Null once it
    /// is committed, else the 429 to answer. Slower than <see cref="SaveAsync(OtpRequest, CancellationToken)"/>'s batches,
    /// which a count could not join: a batch's rows commit together, after every count.
    /// </summary>
    public Task<ApiError?> SaveAsync(OtpRequest request, RateLimits limits, CancellationToken cancellationToken) =>
        InsertAsync(request, limits, cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        writes.OneWriter ? Task.CompletedTask : DrainAsync(stoppingToken);

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                await WriteAsync(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
            while (queue.Reader.TryRead(out var left))
            {
                batch.Add(left);
            }

            // Whatever is still queued at shutdown is written before the host stops, so no answered call is lost.
            if (batch.Count > 0)
            {
                await WriteAsync(batch);
            }

            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            var rows = batch.ConvertAll(p => p.Request);
            await writes.RunStatementAsync(own!, db => db.InsertAsync(rows, CancellationToken.None), CancellationToken.None);

            batch.ForEach(p => p.Stored.TrySetResult());
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            foreach (var pending in batch)
            {
                await WriteOneAsync(pending);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Storing {Count} link requests failed", batch.Count);
            batch.ForEach(p => p.Stored.TrySetException(e));

            // Whatever the failure left on the connection, the next batch starts on a fresh one.
            await own!.DropAsync();
        }
    }

    private async Task WriteOneAsync(Pending pending)
    {
        try
        {
            await InsertAsync(pending.Request);
            pending.Stored.TrySetResult();
        }
        catch (Exception e)
        {
            pending.Stored.TrySetException(e);
        }
    }

    /// <summary>
    /// Stores one request in a unit of its own, drawing another code if its code is taken; with <paramref name="limits"/>,
    /// counts its chat's requests first in the same unit, and stores nothing over the limit (the 429 to answer; else null).
    /// </summary>
    private async Task<ApiError?> InsertAsync(OtpRequest request, RateLimits? limits = null, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (limits is null)
                {
                    await writes.RunStatementAsync(db => db.InsertAsync([request], CancellationToken.None), CancellationToken.None);
                    return null;
                }

                // After a collision the whole unit runs again, the count included: the failed insert ended it.
                return await writes.RunAsync<ApiError?>(async work =>
                {
                    if (await limits.CheckChatBeforeInsertAsync(work, request.InstanceId, request.BoundChatId) is { } tooMany)
                    {
                        return tooMany;
                    }

                    await work.Db.InsertAsync([request], CancellationToken.None);
                    return null;
                }, cancellationToken);
            }
            catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e) && attempt < CodeAttempts)
            {
                logger.LogWarning("Link code collision for request {RequestId}; drawing another", request.Id);
                request.Code = LinkCodes.New();
            }
        }
    }
}
