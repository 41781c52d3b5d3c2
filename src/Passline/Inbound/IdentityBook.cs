using Microsoft.EntityFrameworkCore;
using Passline.Storage;

namespace Passline.Inbound;

/// <summary>The identities an instance has resolved to phone numbers (SPEC 1), remembered in the database.</summary>
public sealed class IdentityBook(PasslineDb db, TimeProvider time, ILogger<IdentityBook> logger)
{
    public async Task<string?> FindAsync(Guid instanceId, string userId, CancellationToken cancellationToken) =>
        await db.KnownIdentities.AsNoTracking()
            .Where(k => k.InstanceId == instanceId && k.UserId == userId)
            .Select(k => k.Phone)
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>Remembers that <paramref name="userId"/> is <paramref name="phone"/>; a pair already known is left as it is.</summary>
    public async Task RememberAsync(Guid instanceId, string userId, string phone, CancellationToken cancellationToken)
    {
        if (await FindAsync(instanceId, userId, cancellationToken) == phone)
        {
            return;
        }

        // An upsert in one statement, so that two nodes learning the same pair at once do not collide.
        var now = time.GetUtcNow();
        var rows = await db.KnownIdentities
            .Where(k => k.InstanceId == instanceId && k.UserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Phone, phone).SetProperty(k => k.ResolvedAt, now), cancellationToken);
        if (rows > 0)
        {
            return;
        }

        var entry = db.KnownIdentities.Add(new KnownIdentity { InstanceId = instanceId, UserId = userId, Phone = phone, ResolvedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            logger.LogDebug("Identity {UserId} was remembered concurrently", userId);
        }
        finally
        {
            entry.State = EntityState.Detached;
        }
    }
}
