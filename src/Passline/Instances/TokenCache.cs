using System.Collections.Concurrent;

namespace Passline.Instances;

/// <summary>
/// Remembers recently seen valid tokens for a few seconds, so that a busy client does not cost a database lookup per
/// call. Only hits are kept (a flood of made-up tokens cannot fill it). A revoked token or a changed instance takes
/// effect on every node within <see cref="Lifetime"/>.
/// </summary>
public sealed class TokenCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (Instance Instance, DateTimeOffset Until)> entries = new(StringComparer.Ordinal);

    public Instance? Get(byte[] tokenHash) =>
        entries.TryGetValue(Convert.ToBase64String(tokenHash), out var entry) && entry.Until > time.GetUtcNow() ? entry.Instance : null;

    public void Add(byte[] tokenHash, Instance instance)
    {
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        entries[Convert.ToBase64String(tokenHash)] = (instance, time.GetUtcNow() + Lifetime);
    }
}
