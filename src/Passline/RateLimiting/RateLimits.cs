using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Requests;
using Passline.Storage;

namespace Passline.RateLimiting;

/// <summary><c>Passline:RateLimits</c> (SPEC 6). Every limit is counted in the database, so it holds across nodes.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Passline:RateLimits";

    /// <summary>generate-link and request-code per bound chat, within <see cref="PerChatWindow"/>.</summary>
    public int PerChat { get; set; } = 5;

    public TimeSpan PerChatWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>generate-link and request-code per instance per minute; 0 is off (the default).</summary>
    public int PerInstancePerMinute { get; set; }

    /// <summary>Incoming messages processed per sender chat per minute; more are ignored and counted.</summary>
    public int InboundPerChatPerMinute { get; set; } = 10;

    /// <summary>Requests to the verification and link pages per client IP per minute.</summary>
    public int PagesPerIpPerMinute { get; set; } = 30;

    /// <summary>
    /// Requests for a link page's live status as JSON (<c>/l/{uuid}/status</c>) per client IP per minute: the page's
    /// polling fallback asks every 2 s, 30 times a minute for each open page.
    /// </summary>
    public int StatusPerIpPerMinute { get; set; } = 120;

    /// <summary>Live-status event streams (<c>/l/{uuid}/events</c>) open at once per client IP, on each node.</summary>
    public int StreamsPerIp { get; set; } = 20;
}

/// <summary>
/// The limits of SPEC 6. Per-chat limits count the requests themselves (a sliding window over stored rows), in the unit
/// of work that stores the request, one such unit per chat at a time (<see cref="CheckChatBeforeInsertAsync"/>); per-IP
/// and per-instance limits count in fixed one-minute windows in <c>rate_counters</c>, one upsert per call.
/// The request's database context is taken from its scope only when a limit applies: most generate-link calls check
/// none, and leasing a pooled context and resetting it at the scope's end took ~5% of such a call's CPU.
/// </summary>
public sealed class RateLimits(IServiceProvider services, Writes writes, TimeProvider time, IOptions<RateLimitOptions> options)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private PasslineDb? db;

    private PasslineDb Db => db ??= services.GetRequiredService<PasslineDb>();

    public RateLimitOptions Options => options.Value;

    /// <summary>
    /// A first look at the per-chat limit, outside any unit of work: null when <paramref name="chatId"/> may have another
    /// request, else the 429 to answer. It refuses a chat already at its limit without a write (a client that hammers one
    /// chat never reaches the writer), but does not decide: calls that arrive together all pass it before any has stored
    /// its request. <see cref="CheckChatBeforeInsertAsync"/>, in the unit that stores the request, decides.
    /// </summary>
    public Task<ApiError?> CheckChatAsync(Guid instanceId, string? chatId, CancellationToken cancellationToken) =>
        chatId is null || options.Value.PerChat <= 0
            ? Task.FromResult<ApiError?>(null)
            : CountChatAsync(Db, time.GetUtcNow(), instanceId, chatId, cancellationToken);

    /// <summary>
    /// The per-chat limit, decided inside the unit of work (a transaction) that then stores the request bound to
    /// <paramref name="chatId"/>: null when it may, else the 429 to answer (and the unit stores nothing). Count and insert
    /// are one step per chat. SQLite's single writer runs its units one after another on one connection, so a unit counts
    /// the rows of the units before it, committed or not. On PostgreSQL, where units of several nodes run side by side,
    /// the unit first takes a transaction-scoped advisory lock on the chat, which the next unit for that chat waits for
    /// until this one has committed; the count, a statement of its own after the lock, then sees what that unit stored
    /// (READ COMMITTED takes each statement's snapshot when the statement starts).
    /// </summary>
    public async Task<ApiError?> CheckChatBeforeInsertAsync(UnitOfWork work, Guid instanceId, string? chatId)
    {
        if (chatId is null || options.Value.PerChat <= 0)
        {
            return null;
        }

        var db = work.Db;
        if (db.Database.IsNpgsql())
        {
            // A lock without a transaction around it would end with its statement, and serialize nothing.
            _ = db.Database.CurrentTransaction ?? throw new InvalidOperationException("The per-chat limit is checked inside a unit of work's transaction.");

            // Two chats whose keys hash alike share a lock: they wait for each other a moment, and are counted apart.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({ChatLockSpace}, hashtext({$"{instanceId:N}:{chatId}"}))", work.Aborted);
        }

        return await CountChatAsync(db, work.Now, instanceId, chatId, work.Aborted);
    }

    /// <summary>
    /// The first key of the per-chat limit's advisory locks (the second is the chat's hash): what is locked, so that no
    /// other use of two-key advisory locks meets these. The letters "chat".
    /// </summary>
    private const int ChatLockSpace = 0x63686174;

    /// <summary>The per-chat limit over the requests stored for <paramref name="chatId"/> in the window before <paramref name="now"/>.</summary>
    private async Task<ApiError?> CountChatAsync(PasslineDb db, DateTimeOffset now, Guid instanceId, string chatId, CancellationToken cancellationToken)
    {
        var limit = options.Value;
        var since = now - limit.PerChatWindow;
        var recent = await db.OtpRequests
            .Where(r => r.InstanceId == instanceId && r.BoundChatId == chatId && r.CreatedAt > since)
            .OrderByDescending(r => r.CreatedAt)
            .Select(r => r.CreatedAt)
            .Take(limit.PerChat)
            .ToListAsync(cancellationToken);
        return recent.Count < limit.PerChat
            ? null
            : TooMany($"Too many requests for this chat: at most {limit.PerChat} per {limit.PerChatWindow.TotalMinutes:0} minutes.", recent[^1] + limit.PerChatWindow - now);
    }

    public async Task<ApiError?> CheckInstanceAsync(Guid instanceId, CancellationToken cancellationToken)
    {
        var limit = options.Value.PerInstancePerMinute;
        if (limit <= 0)
        {
            return null;
        }

        var (count, retryAfter) = await CountAsync($"instance:{instanceId:N}", cancellationToken);
        return count <= limit ? null : TooMany($"Too many requests for this instance: at most {limit} per minute.", retryAfter);
    }

    /// <summary>Counts a page view from <paramref name="context"/>'s client; the time to wait when over the limit.</summary>
    public async Task<TimeSpan?> CheckPageAsync(HttpContext context)
    {
        var limit = options.Value.PagesPerIpPerMinute;
        if (limit <= 0)
        {
            return null;
        }

        var (count, retryAfter) = await CountAsync($"page:{Client(context)}", context.RequestAborted);
        return count <= limit ? null : retryAfter;
    }

    /// <summary>Counts a live-status request (JSON) from <paramref name="context"/>'s client; the 429 to answer when over the limit.</summary>
    public async Task<ApiError?> CheckStatusAsync(HttpContext context)
    {
        var limit = options.Value.StatusPerIpPerMinute;
        if (limit <= 0)
        {
            return null;
        }

        var (count, retryAfter) = await CountAsync($"status:{Client(context)}", context.RequestAborted);
        return count <= limit ? null : TooMany($"Too many status requests from this address: at most {limit} per minute.", retryAfter);
    }

    /// <summary>
    /// Who a per-IP limit counts: the client's address (as the trusted proxy names it), an IPv6 client by its /64, the
    /// smallest network a home or phone is given (counted by its full address, one client would have 2^64 allowances).
    /// </summary>
    public static string Client(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new System.Net.IPAddress(bytes) + "/64";
    }

    private static ApiError TooMany(string message, TimeSpan retryAfter) => ApiError.TooManyRequests(message, retryAfter);

    /// <summary>
    /// Adds one to <paramref name="key"/>'s counter for the current minute; returns the new count. Every page view of a
    /// default deployment runs it, so it goes without EF Core's query pipeline (<see cref="RowReads"/>).
    /// </summary>
    private async Task<(int Count, TimeSpan RetryAfter)> CountAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var window = new DateTimeOffset(now.Ticks - (now.Ticks % Minute.Ticks), TimeSpan.Zero);
        var counter = await writes.StatementAsync(Db, db => db.ReadAsync<RateCounter>(
            """
            INSERT INTO rate_counters (key, window_start, count) VALUES (@key, @window, 1)
            ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1
            RETURNING *
            """,
            [db.Parameter<RateCounter>(nameof(RateCounter.Key), "key", key), db.Parameter<RateCounter>(nameof(RateCounter.WindowStart), "window", window)],
            cancellationToken), cancellationToken);
        return (counter[0].Count, window + Minute - now);
    }

    /// <summary>Removes counters of windows long past.</summary>
    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow().AddHours(-1);
        await writes.StatementAsync(Db, db => db.RateCounters.Where(c => c.WindowStart < before).ExecuteDeleteAsync(cancellationToken), cancellationToken);
    }
}

/// <summary>One fixed window of one rate-limit key.</summary>
public sealed class RateCounter
{
    public required string Key { get; set; }
    public DateTimeOffset WindowStart { get; set; }
    public int Count { get; set; }
}

internal sealed class RateCounterConfiguration : IEntityTypeConfiguration<RateCounter>
{
    public void Configure(EntityTypeBuilder<RateCounter> e)
    {
        e.ToTable("rate_counters");
        e.HasKey(c => new { c.Key, c.WindowStart });
        e.Property(c => c.Key).HasMaxLength(200);
        e.HasIndex(c => c.WindowStart);
    }
}

public static class RateLimitTables
{
    extension(PasslineDb db)
    {
        public DbSet<RateCounter> RateCounters => db.Set<RateCounter>();
    }
}
