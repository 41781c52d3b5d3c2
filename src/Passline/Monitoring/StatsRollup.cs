using Microsoft.EntityFrameworkCore;
using Passline.Inbound;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Monitoring;

/// <summary>
/// Stores the figures of whole hours in <c>stats_hours</c>, oldest first, once they can no longer change: the hour has
/// passed (and a minute more, for units of work still committing rows dated in it) and none of its requests is open. The
/// watermark moves and the hour's rows are written in one unit of work, conditional on the watermark the node read, so
/// of several nodes exactly one stores each hour.
/// </summary>
public sealed class StatsRollup(IServiceScopeFactory scopes, Writes writes, TimeProvider time, ILogger<StatsRollup> logger)
{
    /// <summary>How long after an hour ends rows dated in it may still be committing.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    /// <summary>Stores every hour that can be stored; returns how many hours were.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var stored = 0;
        var open = new OldestOpen();
        while (!cancellationToken.IsCancellationRequested && await StoreNextHourAsync(open, cancellationToken))
        {
            stored++;
        }

        return stored;
    }

    /// <summary>The watermark: every hour before it is stored. Null before the first.</summary>
    public static Task<DateTimeOffset?> SummarizedUntilAsync(PasslineDb db, CancellationToken cancellationToken) =>
        db.StatsWatermark.AsNoTracking().Where(w => w.Id == StatsWatermark.TheRow).Select(w => w.SummarizedUntil).SingleAsync(cancellationToken);

    /// <summary>
    /// The creation time of the oldest open request, read once a run: a request opened since is dated after every hour
    /// the run can store, and one that ended since only makes the run stop early. Read for each hour instead, it cost
    /// more than the hour's figures when many requests are open (a tenth of a second with 340,000 open, for each of 672
    /// hours in the measurement under <see cref="HourlyFigures.ComputeAsync"/>).
    /// </summary>
    private sealed class OldestOpen
    {
        public bool Read { get; set; }

        public DateTimeOffset? CreatedAt { get; set; }
    }

    private async Task<bool> StoreNextHourAsync(OldestOpen open, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
        var until = await SummarizedUntilAsync(db, cancellationToken);

        // Hours without a request or a message have no figures: the watermark jumps over them.
        var hour = await NextHourWithDataAsync(db, until, cancellationToken);
        if (hour is not { } start || start + HourlyFigures.Hour > time.GetUtcNow() - Grace)
        {
            return false;
        }

        // An open request holds its hour, and every later one, back: checked first among the few open requests (the
        // status index) rather than by reading the whole hour.
        if (!open.Read)
        {
            open.CreatedAt = await db.OtpRequests.AsNoTracking()
                .Where(r => r.Status == OtpStatus.Pending || r.Status == OtpStatus.Sent)
                .OrderBy(r => r.CreatedAt).Select(r => (DateTimeOffset?)r.CreatedAt)
                .FirstOrDefaultAsync(cancellationToken);
            open.Read = true;
        }

        if (open.CreatedAt < start + HourlyFigures.Hour)
        {
            return false;
        }

        // Computed outside the unit of work (on SQLite the single writer is not held while the hour is read); the hour
        // can no longer change, and the conditional update below makes sure it is still the one to store.
        var figures = await HourlyFigures.ComputeAsync(db, start, start + HourlyFigures.Hour, null, cancellationToken);
        if (figures.Any(f => f.LinksPending > 0 || f.CodesOpen > 0))
        {
            return false;
        }

        var next = start + HourlyFigures.Hour;
        var stored = await writes.RunAsync(async work =>
        {
            var moved = await work.Db.StatsWatermark
                .Where(w => w.Id == StatsWatermark.TheRow && w.SummarizedUntil == until)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.SummarizedUntil, next), work.Aborted);
            if (moved == 0)
            {
                return false;
            }

            work.Db.StatsHours.AddRange(figures);
            return true;
        }, cancellationToken);
        if (stored)
        {
            logger.LogDebug("Statistics of the hour {Hour:u} stored ({Instances} instances)", start, figures.Count);
        }

        return stored;
    }

    private static async Task<DateTimeOffset?> NextHourWithDataAsync(PasslineDb db, DateTimeOffset? from, CancellationToken cancellationToken)
    {
        var requests = db.OtpRequests.AsNoTracking();
        var inbound = db.InboundMessages.AsNoTracking();
        if (from is { } since)
        {
            requests = requests.Where(r => r.CreatedAt >= since);
            inbound = inbound.Where(m => m.ReceivedAt >= since);
        }

        var request = await requests.OrderBy(r => r.CreatedAt).Select(r => (DateTimeOffset?)r.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var message = await inbound.OrderBy(m => m.ReceivedAt).Select(m => (DateTimeOffset?)m.ReceivedAt).FirstOrDefaultAsync(cancellationToken);
        DateTimeOffset? first = request is null ? message : message is null ? request : request < message ? request : message;
        return first is { } at ? HourlyFigures.Floor(at) : null;
    }
}
