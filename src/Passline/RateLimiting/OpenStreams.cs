using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Passline.RateLimiting;

/// <summary>
/// Live-status event streams open on this node, per client (<see cref="RateLimits.Client"/>): each holds a connection
/// and looks at the database every 2 s for up to 10 minutes, so one address may hold only
/// <see cref="RateLimitOptions.StreamsPerIp"/> of them at once. Counted in memory: what it guards is this node's own.
/// </summary>
public sealed class OpenStreams(IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, int> open = new();

    /// <summary>A slot for one more stream of <paramref name="client"/>, given back when disposed; null when its streams are at the limit.</summary>
    public IDisposable? TryOpen(string client)
    {
        var limit = options.Value.StreamsPerIp;
        if (limit <= 0)
        {
            return Slot.None;
        }

        while (true)
        {
            var count = open.GetOrAdd(client, 0);
            if (count >= limit)
            {
                return null;
            }

            if (open.TryUpdate(client, count + 1, count))
            {
                return new Slot(this, client);
            }
        }
    }

    private void Release(string client)
    {
        while (true)
        {
            var count = open.GetValueOrDefault(client);
            if (count <= 1 ? open.TryRemove(new KeyValuePair<string, int>(client, count)) : open.TryUpdate(client, count - 1, count))
            {
                return;
            }
        }
    }

    private sealed class Slot(OpenStreams? streams, string client) : IDisposable
    {
        public static readonly Slot None = new(null, "");

        private int released;

        public void Dispose()
        {
            if (streams is not null && Interlocked.Exchange(ref released, 1) == 0)
            {
                streams.Release(client);
            }
        }
    }
}
