using Microsoft.EntityFrameworkCore;
using Passline.Channels.Simulator;
using Passline.Inbound;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Retention;

/// <summary>
/// Deletes what the retention rule (SPEC 8, <c>Passline:Retention:Days</c>) says is due, in batches of
/// <see cref="BatchSize"/> rows per table, each batch one unit of work so that the SQLite writer is never held long:
/// <list type="bullet">
/// <item>ended requests (<c>ended_at</c> before the cutoff) whose hour's statistics are stored, with their callback
/// deliveries and attempts; a request whose callback is still being delivered waits for it;</item>
/// <item>inbound messages received before the cutoff, in stored hours;</item>
/// <item>WhatsApp messages sent (or given up) before the cutoff, with their attempts; never one still waiting;</item>
/// <item>a message of either kind that belongs to a request stays as long as its request does, and goes with it: a
/// request ends up to a day after its messages, and its messages are part of what it keeps;</item>
/// <item>identities (<c>@lid</c>, BSUID to phone) last resolved before the cutoff, and the simulated phone's messages.</item>
/// </list>
/// Rate counters are pruned after an hour by the expiry sweep. Every table with a phone number or a chat id is in one of these.
/// </summary>
public sealed class RetentionSweep(Writes writes, PasslineMetrics? metrics)
{
    public const int BatchSize = 500;

    /// <summary>The tables, in the order a batch deletes from them; the keys of <see cref="Counts"/>.</summary>
    public static readonly string[] Tables =
    [
        "otp_requests", "callback_deliveries", "callback_attempts", "inbound_messages",
        "outbound_messages", "outbound_attempts", "known_identities", "simulated_phone_messages",
    ];

    /// <summary>Rows deleted per table.</summary>
    public sealed class Counts : Dictionary<string, int>
    {
        public Counts()
        {
            foreach (var table in Tables)
            {
                this[table] = 0;
            }
        }

        /// <summary>The largest batch of one table: <see cref="BatchSize"/> when some table may have more due.</summary>
        public int LargestBatch { get; set; }

        public void Add(Counts other)
        {
            foreach (var (table, count) in other)
            {
                this[table] += count;
            }
        }
    }

    /// <summary>One batch of each table: rows due before <paramref name="cutoff"/>.</summary>
    public async Task<Counts> DeleteBatchAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var counts = new Counts();
        await writes.RunAsync(work => RequestsAsync(work, cutoff, counts), cancellationToken);
        await writes.RunAsync(work => InboundAsync(work, cutoff, counts), cancellationToken);
        await writes.RunAsync(work => OutboundAsync(work, cutoff, counts), cancellationToken);
        await writes.RunAsync(async work =>
        {
            var identities = work.Db.KnownIdentities.Where(k => k.ResolvedAt < cutoff).OrderBy(k => k.ResolvedAt).Take(BatchSize);
            counts["known_identities"] = await identities.ExecuteDeleteAsync(work.Aborted);
            var phone = work.Db.SimulatedPhoneMessages.Where(m => m.SentAt < cutoff).OrderBy(m => m.SentAt).Take(BatchSize);
            counts["simulated_phone_messages"] = await phone.ExecuteDeleteAsync(work.Aborted);
        }, cancellationToken);

        counts.LargestBatch = new[] { counts["otp_requests"], counts["inbound_messages"], counts["outbound_messages"], counts["known_identities"], counts["simulated_phone_messages"] }.Max();
        foreach (var (table, count) in counts.Where(c => c.Value > 0))
        {
            metrics?.RetentionDeleted(table, count);
        }

        return counts;
    }

    /// <summary>Batches until nothing due is left; the command's <c>purge</c>.</summary>
    public async Task<Counts> DeleteAllAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var total = new Counts();
        Counts batch;
        do
        {
            batch = await DeleteBatchAsync(cutoff, cancellationToken);
            total.Add(batch);
        }
        while (batch.LargestBatch == BatchSize);

        return total;
    }

    /// <summary>The end of what may go: the cutoff, or the watermark of stored statistics when that is earlier.</summary>
    private static async Task<DateTimeOffset?> LimitAsync(UnitOfWork work, DateTimeOffset cutoff)
    {
        var summarizedUntil = await StatsRollup.SummarizedUntilAsync(work.Db, work.Aborted);
        return summarizedUntil is { } until ? (until < cutoff ? until : cutoff) : null;
    }

    private static async Task RequestsAsync(UnitOfWork work, DateTimeOffset cutoff, Counts counts)
    {
        if (await LimitAsync(work, cutoff) is not { } limit)
        {
            return;
        }

        var db = work.Db;

        // By created_at (indexed): a request ends at most a day (the longest expiry) after it was created, so the few
        // created before the limit that have not ended before the cutoff are passed over cheaply.
        var pending = db.CallbackDeliveries.Where(d => d.Status == CallbackStatuses.Pending);
        var ids = await db.OtpRequests
            .Where(r => r.CreatedAt < limit && r.EndedAt != null && r.EndedAt < cutoff
                && !pending.Any(d => d.RequestId == r.Id))
            .OrderBy(r => r.CreatedAt)
            .Select(r => r.Id)
            .Take(BatchSize)
            .ToListAsync(work.Aborted);
        if (ids.Count == 0)
        {
            return;
        }

        var callbacks = db.CallbackDeliveries.Where(d => ids.Contains(d.RequestId));
        counts["callback_attempts"] = await db.CallbackAttempts.Where(a => callbacks.Any(d => d.Id == a.DeliveryId)).ExecuteDeleteAsync(work.Aborted);
        counts["callback_deliveries"] = await callbacks.ExecuteDeleteAsync(work.Aborted);
        counts["otp_requests"] = await db.OtpRequests.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(work.Aborted);
    }

    private static async Task InboundAsync(UnitOfWork work, DateTimeOffset cutoff, Counts counts)
    {
        if (await LimitAsync(work, cutoff) is { } limit)
        {
            var requests = work.Db.OtpRequests;
            var due = work.Db.InboundMessages
                .Where(m => m.ReceivedAt < limit && !requests.Any(r => r.Id == m.RequestId))
                .OrderBy(m => m.ReceivedAt)
                .Take(BatchSize);
            counts["inbound_messages"] = await due.ExecuteDeleteAsync(work.Aborted);
        }
    }

    /// <summary>
    /// WhatsApp messages by their own age (they are not in the statistics) once their request, if any, is gone; one still
    /// waiting to be sent stays.
    /// </summary>
    private static async Task OutboundAsync(UnitOfWork work, DateTimeOffset cutoff, Counts counts)
    {
        var db = work.Db;
        var requests = db.OtpRequests;
        var ids = await db.OutboundMessages
            .Where(m => m.CreatedAt < cutoff && m.Status != OutboundStatuses.Pending && !requests.Any(r => r.Id == m.RequestId))
            .OrderBy(m => m.CreatedAt)
            .Select(m => m.Id)
            .Take(BatchSize)
            .ToListAsync(work.Aborted);
        if (ids.Count == 0)
        {
            return;
        }

        counts["outbound_attempts"] = await db.OutboundAttempts.Where(a => ids.Contains(a.MessageId)).ExecuteDeleteAsync(work.Aborted);
        counts["outbound_messages"] = await db.OutboundMessages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(work.Aborted);
    }
}
