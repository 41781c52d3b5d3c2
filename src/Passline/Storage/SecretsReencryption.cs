using System.Reflection;
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

    /// <summary>How many rows with encrypted columns were rewritten, and how many data-protection keys.</summary>
    public sealed record Result(IReadOnlyDictionary<string, int> Rows, int DataProtectionKeys);

    public static async Task<Result> RunAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        var box = EncryptedColumns.SecretBoxOf(db) ?? throw new InvalidOperationException("The database context has no key.");

        // Every table with an encrypted column, found in the model: Storage knows no feature's entities by name.
        var rows = new Dictionary<string, int>();
        var tables = db.Model.GetEntityTypes().Where(e => e.GetProperties()
            .Concat(e.GetComplexProperties().SelectMany(c => c.ComplexType.GetProperties()))
            .Any(p => p.GetValueConverter() is EncryptedConverter));
        foreach (var table in tables)
        {
            var rewrite = typeof(SecretsReencryption).GetMethod(nameof(RewriteAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(table.ClrType);
            rows[table.GetTableName() ?? table.Name] = await (Task<int>)rewrite.Invoke(null, [db, table.FindPrimaryKey()!.Properties[0].Name, cancellationToken])!;
        }

        var rewrittenKeys = 0;
        foreach (var key in await db.DataProtectionKeys.ToListAsync(cancellationToken))
        {
            if (key.Xml is null)
            {
                continue;
            }

            var xml = XElement.Parse(key.Xml);
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
        db.ChangeTracker.Clear();
        return new Result(rows, rewrittenKeys);
    }

    /// <summary>Reads the rows of one table a batch at a time and writes each encrypted column again.</summary>
    private static async Task<int> RewriteAsync<T>(PasslineDb db, string key, CancellationToken cancellationToken) where T : class
    {
        var count = 0;
        while (true)
        {
            var batch = await db.Set<T>().OrderBy(e => EF.Property<object>(e, key)).Skip(count).Take(Batch).ToListAsync(cancellationToken);
            foreach (var row in batch)
            {
                MarkEncryptedModified(db.Entry(row));
            }

            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            count += batch.Count;
            if (batch.Count < Batch)
            {
                return count;
            }
        }
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
