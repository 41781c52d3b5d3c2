using System.Data.Common;
using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Passline.Storage;

/// <summary>
/// Key rotation (SPEC 8): rewrites every encrypted value under the first key of <c>Passline:Secrets:Key</c>, so that the
/// older keys can then be dropped from the list. Safe to run while servers are up, and to run again.
/// <para>
/// The servers change these rows meanwhile: the outbox redacts a message once it is sent, <c>secret rotate</c> and
/// <c>instance update</c> replace credentials, retention deletes old rows. So rows are read a page at a time after the
/// last key seen (a row deleted behind the page moves no other row out of the next one), as stored (ciphertext), and a
/// value is written back only if it is still the one read: <c>UPDATE ... WHERE key = @key AND column = @read</c>. A row
/// that changed in between is read again; what a server wrote after step 1 of the rotation is under the new key already.
/// (EF Core's concurrency tokens cannot do this: they would compare the value encrypted again, under a fresh nonce.)
/// </para>
/// </summary>
public static class SecretsReencryption
{
    private const int Batch = 500;

    /// <summary>How many times one row may change between its read and its write before the command stops (to be run again).</summary>
    private const int Tries = 10;

    /// <summary>
    /// Per table with encrypted columns, how many rows the command went through (each left under the first key; a row
    /// deleted before it was written is not counted); and how many data-protection keys were rewritten.
    /// </summary>
    public sealed record Result(IReadOnlyDictionary<string, int> Rows, int DataProtectionKeys);

    public static async Task<Result> RunAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        var box = EncryptedColumns.SecretBoxOf(db) ?? throw new InvalidOperationException("The database context has no key.");

        var rows = new Dictionary<string, int>();
        foreach (var table in EncryptedTables(db.Model))
        {
            rows[table.Name] = await RewriteAsync(db, box, table, cancellationToken);
        }

        // The key ring only adds rows (a new key, a revocation) and nothing of Passline's changes or deletes one, so
        // these are written back without such a check.
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

    /// <summary>
    /// What is wrong when the configured keys cannot read what is stored, else null: the newest row of each table with
    /// encrypted columns and the newest data-protection key are decrypted. A server started with a key set that has lost
    /// the key its secrets are under (an old key given alone after <c>secret reencrypt</c>, a new one without the old
    /// before it) would answer with errors and add a data-protection key under the wrong key, which the other nodes then
    /// cannot read: it does not start instead.
    /// </summary>
    public static async Task<string?> UnreadableAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        var box = EncryptedColumns.SecretBoxOf(db) ?? throw new InvalidOperationException("The database context has no key.");
        var stored = new List<(string Where, string Value)>();
        foreach (var table in EncryptedTables(db.Model))
        {
            foreach (var row in await ReadAsync(db, table, $"{table.Select} ORDER BY {table.Key} DESC LIMIT 1", [], cancellationToken))
            {
                stored.AddRange(row.Values.OfType<string>().Select(value => (table.Name, value)));
            }
        }

        if (await db.DataProtectionKeys.OrderByDescending(k => k.Id).Select(k => k.Xml).FirstOrDefaultAsync(cancellationToken) is { } xml)
        {
            stored.AddRange(XElement.Parse(xml).Descendants(SecretsXmlEncryptor.ElementName).Select(e => e.Element("value")?.Value)
                .OfType<string>().Select(value => ("data_protection_keys", value)));
        }

        foreach (var (where, value) in stored)
        {
            try
            {
                box.Decrypt(value);
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                return $"Passline:Secrets:Key cannot decrypt the secrets stored in {where}: {e.Message}";
            }
        }

        return null;
    }

    /// <summary>A table with encrypted columns: its name, its key column and those columns (quoted).</summary>
    private sealed record Table(string Name, string Key, IReadOnlyList<string> Columns)
    {
        public string Select => $"SELECT {Key}, {string.Join(", ", Columns)} FROM \"{Name}\"";
    }

    /// <summary>A row as stored: its key and the values of its encrypted columns (ciphertext, empty or null).</summary>
    private sealed record StoredRow(object Key, string?[] Values);

    /// <summary>Every table with an encrypted column, found in the model: Storage knows no feature's entities by name.</summary>
    private static List<Table> EncryptedTables(IModel model)
    {
        var tables = new List<Table>();
        foreach (var entity in model.GetEntityTypes().Where(e => e.GetTableName() is not null))
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = entity.GetProperties()
                .Concat(entity.GetComplexProperties().SelectMany(c => c.ComplexType.GetProperties()))
                .Where(p => p.GetValueConverter() is EncryptedConverter)
                .Select(p => $"\"{p.GetColumnName(table)}\"")
                .ToList();
            if (columns.Count > 0)
            {
                tables.Add(new Table(table.Name, $"\"{entity.FindPrimaryKey()!.Properties.Single().GetColumnName(table)}\"", columns));
            }
        }

        return tables;
    }

    /// <summary>Goes through the rows of one table a page at a time, in key order; how many it went through.</summary>
    private static async Task<int> RewriteAsync(PasslineDb db, SecretBox box, Table table, CancellationToken cancellationToken)
    {
        var count = 0;
        object? last = null;
        while (true)
        {
            // After the last key seen, not after a count of rows: rows deleted behind the page shift nothing.
            var after = last is null ? "" : $" WHERE {table.Key} > @after";
            var page = await ReadAsync(db, table, $"{table.Select}{after} ORDER BY {table.Key} LIMIT {Batch}",
                last is null ? [] : [Parameter(db, "after", last)], cancellationToken);
            foreach (var row in page)
            {
                if (await RewriteRowAsync(db, box, table, row, cancellationToken))
                {
                    count++;
                }
            }

            if (page.Count < Batch)
            {
                return count;
            }

            last = page[^1].Key;
        }
    }

    /// <summary>
    /// Writes each value of the row that is not under the first key again, all in one statement that finds the row only
    /// if they are still what was read; else reads the row again and goes on from what it holds now. False when the row
    /// is gone. One statement a row, without a transaction around the page: no server waits on this command's locks for
    /// longer than one row (and only rows that need it are written: a redacted message holds nothing).
    /// </summary>
    private static async Task<bool> RewriteRowAsync(PasslineDb db, SecretBox box, Table table, StoredRow row, CancellationToken cancellationToken)
    {
        for (var tries = 0; ; tries++)
        {
            var stale = Enumerable.Range(0, table.Columns.Count).Where(i => row.Values[i] is { } value && !box.IsUnderFirstKey(value)).ToList();
            if (stale.Count == 0)
            {
                return true;
            }

            if (tries == Tries)
            {
                throw new InvalidOperationException($"A row of {table.Name} changed {Tries} times while it was being re-encrypted; run the command again.");
            }

            List<DbParameter> parameters = [Parameter(db, "key", row.Key)];
            foreach (var i in stale)
            {
                parameters.Add(Parameter(db, $"read{i}", row.Values[i]!));
                parameters.Add(Parameter(db, $"new{i}", box.Encrypt(box.Decrypt(row.Values[i]!))));
            }

            var sets = string.Join(", ", stale.Select(i => $"{table.Columns[i]} = @new{i}"));
            var unchanged = string.Concat(stale.Select(i => $" AND {table.Columns[i]} = @read{i}"));
            var sql = $"UPDATE \"{table.Name}\" SET {sets} WHERE {table.Key} = @key{unchanged}";
            if (await db.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken) == 1)
            {
                return true;
            }

            // Changed or deleted since it was read: what the server wrote stays.
            var current = await ReadAsync(db, table, $"{table.Select} WHERE {table.Key} = @key", [Parameter(db, "key", row.Key)], cancellationToken);
            if (current.Count == 0)
            {
                return false;
            }

            row = current[0];
        }
    }

    /// <summary>
    /// Reads rows as stored, through EF Core's command pipeline (its logging and interceptors) but not its query
    /// pipeline, whose converters would decrypt them.
    /// </summary>
    private static async Task<List<StoredRow>> ReadAsync(PasslineDb db, Table table, string sql, IReadOnlyList<DbParameter> parameters, CancellationToken cancellationToken)
    {
        var command = db.GetService<IRawSqlCommandBuilder>().Build(sql, parameters, db.Model);
        await using var reader = await command.RelationalCommand.ExecuteReaderAsync(new RelationalCommandParameterObject(
            db.GetService<IRelationalConnection>(), command.ParameterValues, null, db, db.GetService<IRelationalCommandDiagnosticsLogger>(), CommandSource.FromSqlQuery),
            cancellationToken);
        var rows = new List<StoredRow>();
        var data = reader.DbDataReader;
        while (await data.ReadAsync(cancellationToken))
        {
            var values = new string?[table.Columns.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = await data.IsDBNullAsync(i + 1, cancellationToken) ? null : data.GetString(i + 1);
            }

            // The key as the provider gives it (a uuid on PostgreSQL, text on SQLite), so that it goes back unconverted.
            rows.Add(new StoredRow(data.GetValue(0), values));
        }

        return rows;
    }

    private static DbParameter Parameter(PasslineDb db, string name, object value)
    {
        using var command = db.Database.GetDbConnection().CreateCommand();
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        return parameter;
    }
}
