using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Links;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Monitoring;

/// <summary>
/// <c>GET /stats?from=&amp;to=</c> (SPEC 2.4, 8): an instance's figures for a period of whole hours, from the hours stored
/// by <see cref="StatsRollup"/> and, for the recent hours not stored yet, from the live tables.
/// </summary>
public static class StatsApi
{
    // Hours are counted from the Unix epoch, and the period's end is rounded up to a whole hour, which must exist.
    private static readonly DateTimeOffset Earliest = DateTimeOffset.UnixEpoch;
    private static readonly DateTimeOffset Latest = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/otp/v2/{instance}").RequireInstanceToken().WithTags("Monitoring")
            .MapGet("/stats", GetStats).WithName("GetStats");
        return app;
    }

    public sealed record Stats(
        DateTimeOffset From, DateTimeOffset To,
        int LinksGenerated, int CodesRequested, int LinkClicks, double? ClickThroughRate,
        int MessagesReceived, int Verified, int Validated, int Expired, int Failed,
        double? VerificationSuccessRate, double? ExpirationRate, int FailedAttempts,
        double? MeanTimeToVerificationSeconds, double? P95TimeToVerificationSeconds,
        IReadOnlyList<Bucket> Series);

    /// <summary>Link requests created in one bucket of the period, by how they stand now.</summary>
    public sealed record Bucket(DateTimeOffset Start, int Generated, int Verified, int Expired, int Failed, int Pending);

    public static async Task<Results<Ok<ApiResponse<Stats>>, ApiError>> GetStats(
        HttpContext context, PasslineDb db, TimeProvider time, string? from, string? to)
    {
        var fields = new FieldReader();
        var now = time.GetUtcNow();
        var end = ParseTime(fields, "to", to) ?? now;
        var start = ParseTime(fields, "from", from) ?? (end - Earliest > TimeSpan.FromDays(7) ? end.AddDays(-7) : Earliest);
        if (!fields.HasErrors && (end <= start || end - start > TimeSpan.FromDays(366)))
        {
            fields.Fail("from", "The from must be before to, and the period at most 366 days.");
        }

        if (fields.HasErrors)
        {
            return fields.ToError();
        }

        // Whole hours: the figures are kept per hour (StatsHour), so a period is the hours it touches.
        start = HourlyFigures.Floor(start);
        end = HourlyFigures.Ceiling(end);
        var instance = context.AuthenticatedInstance();
        var hours = await HoursAsync(db, instance.Id, start, end, context.RequestAborted);

        var total = new FiguresSum();
        hours.ForEach(total.Add);
        var verified = total.LinksVerified;
        var generated = total.LinksGenerated;
        var p95 = VerificationHistogram.Quantile(total.Histogram, 0.95, total.MaxVerificationMilliseconds);
        var stats = new Stats(
            start, end,
            generated, total.CodesRequested, total.LinkClicks, Rate(total.LinkClicks, generated),
            total.MessagesReceived, verified, total.CodesValidated,
            total.LinksExpired + total.CodesExpired,
            total.LinksFailed + total.CodesFailed,
            Rate(verified, generated), Rate(total.LinksExpired, generated),
            total.MessagesRefused + total.WrongCodes,
            verified == 0 ? null : Math.Round(total.VerificationMilliseconds / 1000.0 / verified, 1),
            p95 is null ? null : Math.Round(p95.Value / 1000, 1),
            Series(hours, start, end));
        return TypedResults.Ok(new ApiResponse<Stats>(true, "Statistics retrieved successfully", stats));
    }

    /// <summary>
    /// The instance's hours in the period: those stored (before the watermark), then those computed from the live tables,
    /// by the same computation, so that a period reads the same before and after its hours are stored and their rows deleted.
    /// </summary>
    private static async Task<List<StatsHour>> HoursAsync(PasslineDb db, Guid instanceId, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        DateTimeOffset Clamp(DateTimeOffset? watermark) => watermark is not { } at || at < start ? start : at > end ? end : at;
        Task<List<StatsHour>> StoredAsync(DateTimeOffset from, DateTimeOffset to) => db.StatsHours.AsNoTracking()
            .Where(h => h.InstanceId == instanceId && h.Hour >= from && h.Hour < to).ToListAsync(ct);

        var live = Clamp(await StatsRollup.SummarizedUntilAsync(db, ct));
        var hours = await StoredAsync(start, live);
        if (live < end)
        {
            var computed = await HourlyFigures.ComputeAsync(db, live, end, instanceId, ct);

            // An hour stored meanwhile may also have lost rows to retention while it was being read: its stored figures
            // (committed with the watermark) replace what was computed.
            var stored = Clamp(await StatsRollup.SummarizedUntilAsync(db, ct));
            if (stored > live)
            {
                computed.RemoveAll(h => h.Hour < stored);
                hours.AddRange(await StoredAsync(live, stored));
            }

            hours.AddRange(computed);
        }

        return hours;
    }

    /// <summary>Hourly buckets for periods up to two days, daily buckets (UTC days) beyond.</summary>
    private static List<Bucket> Series(List<StatsHour> hours, DateTimeOffset start, DateTimeOffset end)
    {
        var size = (long)(end - start <= TimeSpan.FromDays(2) ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1)).TotalMilliseconds;
        var byBucket = hours.ToLookup(h => h.Hour.ToUnixTimeMilliseconds() / size * size);
        var buckets = new List<Bucket>();
        for (var at = start.ToUnixTimeMilliseconds() / size * size; at < end.ToUnixTimeMilliseconds(); at += size)
        {
            var of = byBucket[at].ToList();
            buckets.Add(new Bucket(DateTimeOffset.FromUnixTimeMilliseconds(at), of.Sum(h => h.LinksGenerated),
                of.Sum(h => h.LinksVerified), of.Sum(h => h.LinksExpired), of.Sum(h => h.LinksFailed), of.Sum(h => h.LinksPending)));
        }

        return buckets;
    }

    private static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    private static DateTimeOffset? ParseTime(FieldReader fields, string name, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            fields.Fail(name, $"The {name} must be an ISO 8601 date or time, such as 2025-12-29 or 2025-12-29T18:14:55+00:00.");
            return null;
        }

        if (parsed < Earliest || parsed > Latest)
        {
            fields.Fail(name, $"The {name} must be a time from 1970-01-01 to 9999-12-31.");
            return null;
        }

        return parsed;
    }
}
