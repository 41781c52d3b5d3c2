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

/// <summary><c>GET /stats?from=&amp;to=</c> (SPEC 2.4, 8): an instance's figures for a period, computed from what is stored.</summary>
public static class StatsApi
{
    private const int DurationSample = 50_000;

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
        var start = ParseTime(fields, "from", from) ?? end.AddDays(-7);
        if (!fields.HasErrors && (end <= start || end - start > TimeSpan.FromDays(366)))
        {
            fields.Fail("from", "The from must be before to, and the period at most 366 days.");
        }

        if (fields.HasErrors)
        {
            return fields.ToError();
        }

        var instance = context.AuthenticatedInstance();
        var ct = context.RequestAborted;
        var requests = db.OtpRequests.AsNoTracking().Where(r => r.InstanceId == instance.Id && r.CreatedAt >= start && r.CreatedAt < end);
        var links = requests.Where(r => r.OtpType == OtpTypes.Link);

        var byStatus = await links.GroupBy(r => r.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(ct);
        int Count(OtpStatus status) => byStatus.FirstOrDefault(s => s.Status == status)?.Count ?? 0;
        var generated = byStatus.Sum(s => s.Count);
        var codes = await requests.Where(r => r.OtpType == OtpTypes.Code)
            .GroupBy(r => r.Status).Select(g => new { Status = g.Key, Count = g.Count(), WrongCodes = g.Sum(r => r.FailedAttempts) }).ToListAsync(ct);
        var clicks = await links.CountAsync(r => r.LinkOpenedAt != null, ct);

        var inbound = db.InboundMessages.AsNoTracking().Where(m => m.InstanceId == instance.Id && m.ReceivedAt >= start && m.ReceivedAt < end);
        var received = await inbound.CountAsync(ct);
        var refusedMessages = await inbound.CountAsync(m => m.Outcome == InboundOutcomes.WrongSender || m.Outcome == InboundOutcomes.UnknownCode
            || m.Outcome == InboundOutcomes.Expired || m.Outcome == InboundOutcomes.Ended, ct);

        var verifiedTimes = await links.Where(r => r.Status == OtpStatus.Verified)
            .OrderByDescending(r => r.CreatedAt).Take(DurationSample)
            .Select(r => new { r.CreatedAt, r.VerifiedAt }).ToListAsync(ct);
        var seconds = verifiedTimes.Select(t => (t.VerifiedAt!.Value - t.CreatedAt).TotalSeconds).Order().ToList();

        var stats = new Stats(
            start, end,
            generated, codes.Sum(c => c.Count), clicks, Rate(clicks, generated),
            received, Count(OtpStatus.Verified), codes.Where(c => c.Status == OtpStatus.Validated).Sum(c => c.Count),
            Count(OtpStatus.Expired) + codes.Where(c => c.Status == OtpStatus.Expired).Sum(c => c.Count),
            Count(OtpStatus.Failed) + codes.Where(c => c.Status == OtpStatus.Failed).Sum(c => c.Count),
            Rate(Count(OtpStatus.Verified), generated), Rate(Count(OtpStatus.Expired), generated),
            refusedMessages + codes.Sum(c => c.WrongCodes),
            seconds.Count == 0 ? null : Math.Round(seconds.Average(), 1),
            seconds.Count == 0 ? null : Math.Round(seconds[(int)Math.Ceiling(seconds.Count * 0.95) - 1], 1),
            await SeriesAsync(db, instance.Id, start, end, ct));
        return TypedResults.Ok(new ApiResponse<Stats>(true, "Statistics retrieved successfully", stats));
    }

    /// <summary>Hourly buckets for periods up to two days, daily buckets beyond; counted in the database in one query.</summary>
    private static async Task<List<Bucket>> SeriesAsync(PasslineDb db, Guid instanceId, DateTimeOffset start, DateTimeOffset end, CancellationToken ct)
    {
        var size = (long)(end - start <= TimeSpan.FromDays(2) ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1)).TotalMilliseconds;
        var postgres = db.Database.IsNpgsql();
        var bucket = postgres ? $"(floor(extract(epoch from created_at) * 1000 / {size}) * {size})::bigint" : $"(created_at / {size}) * {size}";
        // Only the bucket size, a number computed here, is spliced into the SQL; the values are parameters.
#pragma warning disable EF1002
        var rows = await db.Database.SqlQueryRaw<BucketRow>(
            $$"""
            SELECT {{bucket}} AS "Start", status AS "Status", COUNT(*) AS "Count"
            FROM otp_requests
            WHERE instance_id = {0} AND otp_type = 'link' AND created_at >= {1} AND created_at < {2}
            GROUP BY 1, 2
            """,
            instanceId, postgres ? start : start.ToUnixTimeMilliseconds(), postgres ? end : end.ToUnixTimeMilliseconds()).ToListAsync(ct);
#pragma warning restore EF1002

        var buckets = new List<Bucket>();
        for (var at = start.ToUnixTimeMilliseconds() / size * size; at < end.ToUnixTimeMilliseconds(); at += size)
        {
            int Of(OtpStatus status) => rows.Where(r => r.Start == at && r.Status == status.Name()).Sum(r => r.Count);
            buckets.Add(new Bucket(DateTimeOffset.FromUnixTimeMilliseconds(at), rows.Where(r => r.Start == at).Sum(r => r.Count),
                Of(OtpStatus.Verified), Of(OtpStatus.Expired), Of(OtpStatus.Failed), Of(OtpStatus.Pending)));
        }

        return buckets;
    }

    private sealed record BucketRow(long Start, string Status, int Count);

    private static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    private static DateTimeOffset? ParseTime(FieldReader fields, string name, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return parsed;
        }

        fields.Fail(name, $"The {name} must be an ISO 8601 date or time, such as 2025-12-29 or 2025-12-29T18:14:55+00:00.");
        return null;
    }
}
