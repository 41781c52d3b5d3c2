using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Storage;

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
/// Remembers instances for <see cref="AuthOptions.TokenCacheSeconds"/>: the owners of recently seen valid tokens, so that
/// a busy client does not cost a database lookup per call, and instances by id, so that sending a message, signing a
/// callback or showing a page in the instance's language does not either. Only hits are kept (a flood of made-up
/// tokens cannot fill it). A revoked token or a changed instance takes effect on every node within that bound. The
/// instances it hands out are shared: read them, never change them.
/// </summary>
public sealed class InstanceCache(TimeProvider time, IOptions<AuthOptions> options)
{
    private const int MaxEntries = 10_000;

    private readonly TimeSpan lifetime = TimeSpan.FromSeconds(options.Value.TokenCacheSeconds);
    private readonly ConcurrentDictionary<string, (Instance Instance, DateTimeOffset Until)> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, (Instance Instance, DateTimeOffset Until)> ids = new();

    /// <summary>The instance whose valid token hashes to <paramref name="tokenHash"/>, when it was seen lately.</summary>
    public Instance? ByToken(byte[] tokenHash) => Fresh(tokens, Convert.ToBase64String(tokenHash));

    public void AddToken(byte[] tokenHash, Instance instance)
    {
        Keep(tokens, Convert.ToBase64String(tokenHash), instance);
        Keep(ids, instance.Id, instance);
    }

    /// <summary>The instance <paramref name="id"/>, from memory when it was read lately, else from <paramref name="db"/>.</summary>
    public async ValueTask<Instance?> FindAsync(PasslineDb db, Guid id, CancellationToken cancellationToken)
    {
        if (Fresh(ids, id) is { } known)
        {
            return known;
        }

        var instance = await db.Instances.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (instance is not null)
        {
            Keep(ids, id, instance);
        }

        return instance;
    }

    private Instance? Fresh<TKey>(ConcurrentDictionary<TKey, (Instance Instance, DateTimeOffset Until)> entries, TKey key) where TKey : notnull =>
        entries.TryGetValue(key, out var entry) && entry.Until > time.GetUtcNow() ? entry.Instance : null;

    private void Keep<TKey>(ConcurrentDictionary<TKey, (Instance Instance, DateTimeOffset Until)> entries, TKey key, Instance instance) where TKey : notnull
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        entries[key] = (instance, time.GetUtcNow() + lifetime);
    }
}
