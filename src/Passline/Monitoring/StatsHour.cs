using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Monitoring;

/// <summary>
/// An instance's figures for one whole hour (SPEC 8): what <c>/stats</c> reports, by the hour requests were created and
/// messages received. Computed from the live tables by <see cref="HourlyFigures"/>; stored by <see cref="StatsRollup"/>
/// once the hour can no longer change, so that deleting its requests (retention) changes nothing in <c>/stats</c>.
/// </summary>
public sealed class StatsHour
{
    public Guid InstanceId { get; set; }

    /// <summary>The hour's start (UTC, whole hour).</summary>
    public DateTimeOffset Hour { get; set; }

    public int LinksGenerated { get; set; }
    public int LinksVerified { get; set; }
    public int LinksExpired { get; set; }
    public int LinksFailed { get; set; }

    /// <summary>Link requests whose link page was opened.</summary>
    public int LinkClicks { get; set; }

    public int CodesRequested { get; set; }
    public int CodesValidated { get; set; }
    public int CodesExpired { get; set; }
    public int CodesFailed { get; set; }

    /// <summary>Wrong codes given to validate-code.</summary>
    public int WrongCodes { get; set; }

    public int MessagesReceived { get; set; }

    /// <summary>Messages refused: wrong sender, unknown code, expired or ended request.</summary>
    public int MessagesRefused { get; set; }

    /// <summary>Sum of the verified links' times from generate-link to Verify, in milliseconds.</summary>
    public long VerificationMilliseconds { get; set; }

    /// <summary>The longest of those times, in milliseconds (0 when none).</summary>
    public long MaxVerificationMilliseconds { get; set; }

    /// <summary>Those times as a histogram (see <see cref="VerificationHistogram"/>), stored as <c>bucket:count,...</c>.</summary>
    public string VerificationHistogram { get; set; } = "";

    /// <summary>Links still open when the figures were computed (always 0 in a stored hour).</summary>
    public int LinksPending => LinksGenerated - LinksVerified - LinksExpired - LinksFailed;

    /// <summary>Codes still open (pending or sent) when the figures were computed (always 0 in a stored hour).</summary>
    public int CodesOpen => CodesRequested - CodesValidated - CodesExpired - CodesFailed;
}

/// <summary>
/// Times to verification in logarithmic buckets about 2% wide: bucket <c>k</c> holds times in
/// (<c>0.1 s × 1.02^(k-1)</c>, <c>0.1 s × 1.02^k</c>], bucket 0 everything up to 0.1 s. Sums of hours stay exact, so the
/// p95 of any period is the same whether its hours were stored or computed from live rows.
/// </summary>
public static class VerificationHistogram
{
    public const double BaseMilliseconds = 100;
    public const double Growth = 1.02;

    /// <summary>The bucket of a time, as SQL over a column <paramref name="milliseconds"/> (the same on SQLite and PostgreSQL).</summary>
    public static string BucketSql(string milliseconds) =>
        $"CASE WHEN {milliseconds} <= {BaseMilliseconds.ToString(CultureInfo.InvariantCulture)} THEN 0 " +
        $"ELSE CAST(ceil(ln({milliseconds} / {BaseMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)}) / ln({Growth.ToString(CultureInfo.InvariantCulture)})) AS INTEGER) END";

    public static string Format(SortedDictionary<int, long> buckets) =>
        string.Join(',', buckets.Where(b => b.Value > 0).Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Key}:{b.Value}")));

    public static void AddTo(SortedDictionary<int, long> buckets, string stored)
    {
        foreach (var pair in stored.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            var bucket = int.Parse(pair.AsSpan(0, colon), CultureInfo.InvariantCulture);
            buckets[bucket] = buckets.GetValueOrDefault(bucket) + long.Parse(pair.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// The <paramref name="quantile"/> in milliseconds: the geometric middle of the bucket that holds it (within about
    /// 1% of the true value), never above the longest time seen; null when there are no times.
    /// </summary>
    public static double? Quantile(SortedDictionary<int, long> buckets, double quantile, long maxMilliseconds)
    {
        var total = buckets.Values.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(total * quantile);
        long seen = 0;
        foreach (var (bucket, count) in buckets)
        {
            seen += count;
            if (seen >= rank)
            {
                var middle = bucket == 0 ? BaseMilliseconds / 2 : BaseMilliseconds * Math.Pow(Growth, bucket - 0.5);
                return Math.Min(middle, maxMilliseconds);
            }
        }

        return maxMilliseconds;
    }
}

/// <summary>Up to where hours are stored in <c>stats_hours</c>: one row, shared by every node.</summary>
public sealed class StatsWatermark
{
    public const int TheRow = 1;

    public int Id { get; set; }

    /// <summary>Every hour before this one is stored (and only those); null until the first hour is.</summary>
    public DateTimeOffset? SummarizedUntil { get; set; }
}

internal sealed class StatsHourConfiguration : IEntityTypeConfiguration<StatsHour>, IEntityTypeConfiguration<StatsWatermark>
{
    public void Configure(EntityTypeBuilder<StatsHour> e)
    {
        e.ToTable("stats_hours");
        e.HasKey(h => new { h.InstanceId, h.Hour });
        e.Ignore(h => h.LinksPending);
        e.Ignore(h => h.CodesOpen);
        e.HasOne<Instance>().WithMany().HasForeignKey(h => h.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_stats_hours_instances_instance_id");
    }

    public void Configure(EntityTypeBuilder<StatsWatermark> e)
    {
        e.ToTable("stats_watermark");
        e.Property(w => w.Id).ValueGeneratedNever();
        e.HasData(new StatsWatermark { Id = StatsWatermark.TheRow });
    }
}

public static class StatsTables
{
    extension(PasslineDb db)
    {
        public DbSet<StatsHour> StatsHours => db.Set<StatsHour>();

        public DbSet<StatsWatermark> StatsWatermark => db.Set<StatsWatermark>();
    }
}

/// <summary>Adds hours' figures together: a period's totals, or the hours of one bucket of the series.</summary>
public sealed class FiguresSum
{
    public int LinksGenerated, LinksVerified, LinksExpired, LinksFailed, LinkClicks;
    public int CodesRequested, CodesValidated, CodesExpired, CodesFailed, WrongCodes;
    public int MessagesReceived, MessagesRefused;
    public long VerificationMilliseconds, MaxVerificationMilliseconds;
    public SortedDictionary<int, long> Histogram { get; } = [];

    public void Add(StatsHour hour)
    {
        LinksGenerated += hour.LinksGenerated;
        LinksVerified += hour.LinksVerified;
        LinksExpired += hour.LinksExpired;
        LinksFailed += hour.LinksFailed;
        LinkClicks += hour.LinkClicks;
        CodesRequested += hour.CodesRequested;
        CodesValidated += hour.CodesValidated;
        CodesExpired += hour.CodesExpired;
        CodesFailed += hour.CodesFailed;
        WrongCodes += hour.WrongCodes;
        MessagesReceived += hour.MessagesReceived;
        MessagesRefused += hour.MessagesRefused;
        VerificationMilliseconds += hour.VerificationMilliseconds;
        MaxVerificationMilliseconds = Math.Max(MaxVerificationMilliseconds, hour.MaxVerificationMilliseconds);
        VerificationHistogram.AddTo(Histogram, hour.VerificationHistogram);
    }
}
