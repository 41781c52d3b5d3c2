using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Passline.Inbound;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;
using static Passline.PasslineCommandLine;

namespace Passline.Retention;

/// <summary><c>purge [--older-than DAYS]</c> (SPEC 8): the retention rule at once, with what it deleted and what it kept.</summary>
public static class PurgeCommand
{
    public static Command Purge()
    {
        var olderThan = new Option<int?>("--older-than")
        {
            Description = $"days since a request ended, 0 to {RetentionOptions.MaxDays} (default: Passline:Retention:Days, 30)",
            CustomParser = result => result.Tokens is [.., var last] && int.TryParse(last.Value, System.Globalization.CultureInfo.InvariantCulture, out var days)
                ? days
                : Refuse<int?>(result, "--older-than must be a whole number of days"),
        };
        var command = new Command("purge",
            "Store the statistics of every hour that can be stored, then delete ended requests and what is attached to them older than the retention period; prints what was deleted and what had to stay.")
        { olderThan };
        command.SetAction((parse, cancellationToken) =>
        {
            var days = parse.GetValue(olderThan);
            if (days is < 0 or > RetentionOptions.MaxDays)
            {
                return Task.FromResult(Fail($"--older-than must be 0 to {RetentionOptions.MaxDays} days"));
            }

            return RunAsync(parse, async (services, db, time, ct) =>
            {
                // Read as serve reads it: a value serve would not start with is refused here too.
                days ??= services.GetRequiredService<IConfiguration>().GetSection(RetentionOptions.Section).Get<RetentionOptions>()?.Days ?? new RetentionOptions().Days;
                if (days is < 0 or > RetentionOptions.MaxDays)
                {
                    return Fail($"Passline:Retention:Days must be 0 to {RetentionOptions.MaxDays}");
                }

                var writes = Writes.ForCommand(services, time);
                var hours = await new StatsRollup(services.GetRequiredService<IServiceScopeFactory>(), writes, time,
                    services.GetRequiredService<ILogger<StatsRollup>>()).RunAsync(ct);
                var cutoff = time.GetUtcNow().AddDays(-days.Value);
                var deleted = await new RetentionSweep(writes, null).DeleteAllAsync(cutoff, ct);
                var until = await StatsRollup.SummarizedUntilAsync(db, ct);
                return Print(new
                {
                    older_than_days = days,
                    cutoff,
                    summarized_until = until,
                    hours_summarized = hours,
                    deleted,
                    kept = await KeptAsync(db, cutoff, until, ct),
                });
            }, cancellationToken);
        });
        return command;
    }

    /// <summary>What ended before the cutoff and had to stay, and why.</summary>
    private static async Task<object> KeptAsync(PasslineDb db, DateTimeOffset cutoff, DateTimeOffset? until, CancellationToken ct)
    {
        var ended = db.OtpRequests.AsNoTracking().Where(r => r.EndedAt != null && r.EndedAt < cutoff);
        var unsummarized = until is { } watermark ? ended.Where(r => r.CreatedAt >= watermark) : ended;
        var pendingCallbacks = db.CallbackDeliveries.Where(d => d.Status == CallbackStatuses.Pending);
        var inbound = db.InboundMessages.AsNoTracking().Where(m => m.ReceivedAt < cutoff);
        return new
        {
            // Their hour's statistics are not stored yet: a request of that hour is still open, or the hour is not over.
            unsummarized_requests = await unsummarized.CountAsync(ct),
            unsummarized_inbound_messages = await (until is { } w ? inbound.Where(m => m.ReceivedAt >= w) : inbound).CountAsync(ct),
            open_requests = await db.OtpRequests.CountAsync(r => r.Status == OtpStatus.Pending || r.Status == OtpStatus.Sent, ct),
            requests_with_callback_pending = await ended.CountAsync(r => pendingCallbacks.Any(d => d.RequestId == r.Id), ct),
            messages_waiting_to_be_sent = await db.OutboundMessages.CountAsync(m => m.CreatedAt < cutoff && m.Status == OutboundStatuses.Pending, ct),
        };
    }
}
