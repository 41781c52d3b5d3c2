using Microsoft.EntityFrameworkCore;
using Passline.Storage;

namespace Passline.Inbound;

/// <summary>The identities an instance has resolved to phone numbers (SPEC 1), remembered in the database.</summary>
public sealed class IdentityBook(PasslineDb db, Writes writes, ILogger<IdentityBook> logger)
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

        try
        {
            await writes.RunAsync(async work =>
            {
                // A user who changes numbers keeps the id on WAHA: the newest pair wins.
                var rows = await work.Db.KnownIdentities
                    .Where(k => k.InstanceId == instanceId && k.UserId == userId)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.Phone, phone).SetProperty(k => k.ResolvedAt, work.Now), work.Aborted);
                if (rows == 0)
                {
                    work.Db.KnownIdentities.Add(new KnownIdentity { InstanceId = instanceId, UserId = userId, Phone = phone, ResolvedAt = work.Now });
                }
            }, cancellationToken);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            // Another node or webhook learnt the same pair at the same moment.
            logger.LogDebug("Identity {UserId} was remembered concurrently", userId);
        }
    }
}
