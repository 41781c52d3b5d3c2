using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Passline.Instances;

/// <summary><c>Passline:Auth</c> (SPEC 8).</summary>
public sealed class AuthOptions
{
    public const string Section = "Passline:Auth";

    /// <summary>
    /// <c>TokenCacheSeconds</c>: how long a node may keep accepting a token after it was revoked (or its instance changed),
    /// in exchange for not looking every call up in the database. <c>0</c> checks every call.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 3600)]
    public int TokenCacheSeconds { get; set; } = 10;
}

/// <summary>
/// Remembers recently seen valid tokens for <see cref="AuthOptions.TokenCacheSeconds"/>, so that a busy client does not
/// cost a database lookup per call. Only hits are kept (a flood of made-up tokens cannot fill it). A revoked token or a
/// changed instance takes effect on every node within that bound.
/// </summary>
public sealed class TokenCache(TimeProvider time, IOptions<AuthOptions> options)
{
    private const int MaxEntries = 10_000;

    private readonly TimeSpan lifetime = TimeSpan.FromSeconds(options.Value.TokenCacheSeconds);
    private readonly ConcurrentDictionary<string, (Instance Instance, DateTimeOffset Until)> entries = new(StringComparer.Ordinal);

    public Instance? Get(byte[] tokenHash) =>
        entries.TryGetValue(Convert.ToBase64String(tokenHash), out var entry) && entry.Until > time.GetUtcNow() ? entry.Instance : null;

    public void Add(byte[] tokenHash, Instance instance)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        entries[Convert.ToBase64String(tokenHash)] = (instance, time.GetUtcNow() + lifetime);
    }
}
