using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Passline.Storage;

/// <summary>
/// Key rotation (SPEC 8): rewrites every encrypted value under the first key of <c>Passline:Secrets:Key</c>, so that the
/// older keys can then be dropped from the list. Safe to run while servers are up, and to run again.
/// </summary>
public static class SecretsReencryption
{
    private const int Batch = 500;

    public sealed record Result(int Instances, int Messages, int DataProtectionKeys);

    public static async Task<Result> RunAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        var box = EncryptedColumns.SecretBoxOf(db) ?? throw new InvalidOperationException("The database context has no key.");

        var instances = await db.Instances.ToListAsync(cancellationToken);
        foreach (var instance in instances)
        {
            MarkEncryptedModified(db.Entry(instance));
        }

        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();

        // Delivered messages are redacted; what is left to rewrite are the ones still waiting (and any not yet redacted).
        var messageIds = await db.OutboundMessages.Where(m => m.Text != "" || m.Code != null).Select(m => m.Id).ToListAsync(cancellationToken);
        foreach (var chunk in messageIds.Chunk(Batch))
        {
            foreach (var message in await db.OutboundMessages.Where(m => chunk.Contains(m.Id)).ToListAsync(cancellationToken))
            {
                MarkEncryptedModified(db.Entry(message));
            }

            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }

        var keys = await db.DataProtectionKeys.ToListAsync(cancellationToken);
        var rewrittenKeys = 0;
        foreach (var key in keys.Where(k => k.Xml is not null))
        {
            var xml = XElement.Parse(key.Xml!);
            var values = xml.Descendants(SecretsXmlEncryptor.ElementName).Select(e => e.Element("value")).OfType<XElement>().ToList();
            foreach (var value in values)
            {
                value.Value = box.Encrypt(box.Decrypt(value.Value));
            }

            if (values.Count > 0)
            {
                key.Xml = xml.ToString(SaveOptions.DisableFormatting);
                rewrittenKeys++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return new Result(instances.Count, messageIds.Count, rewrittenKeys);
    }

    /// <summary>Marks each encrypted column modified, so that saving writes it again through the converter (first key).</summary>
    private static void MarkEncryptedModified(EntityEntry entry)
    {
        foreach (var property in entry.Properties.Where(p => p.Metadata.GetValueConverter() is EncryptedConverter))
        {
            property.IsModified = true;
        }

        foreach (var property in entry.ComplexProperties.SelectMany(c => c.Properties).Where(p => p.Metadata.GetValueConverter() is EncryptedConverter))
        {
            property.IsModified = true;
        }
    }
}
