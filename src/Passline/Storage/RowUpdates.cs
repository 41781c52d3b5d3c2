using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Passline.Storage;

/// <summary>
/// Writes the changes of one attached row, and optionally one new row beside it, with hand-written SQL instead of
/// <c>SaveChanges</c>, whose pipeline is costly on a hot path (SPEC 9). EF Core's change tracking still
/// says which columns changed, so the <c>UPDATE</c> sets exactly what <c>SaveChanges</c> would; the values go through
/// each property's type mapping and value converter (<see cref="StoredValues"/>), the new row through
/// <see cref="RowInserts"/>. One command: on PostgreSQL one statement (a data-modifying <c>WITH</c>), one round trip,
/// atomic without a transaction; on SQLite two statements, which the unit's savepoint keeps together.
/// <para>
/// Measured on the PostgreSQL flows: the outbox's two records a flow (the reply's and the callback's) were 13% of the
/// server's CPU samples in <c>SaveChanges</c> (docs/performance.md).
/// </para>
/// </summary>
public static class RowUpdates
{
    extension(PasslineDb db)
    {
        /// <summary>
        /// Updates the row of <paramref name="entry"/> by its key: the columns whose properties changed since it was
        /// attached, or every column with <paramref name="allColumns"/>; with <paramref name="inserted"/>, inserts that
        /// row too, only if the update found its row. With <paramref name="onlyIf"/>, the update finds the row only
        /// while that property's column still holds that value (not null): an outbox row's lease, say. Returns whether
        /// it found the row. The row is no longer tracked afterwards. A failure is a <see cref="DbUpdateException"/>
        /// wrapping the provider's, as from <c>SaveChanges</c>.
        /// </summary>
        public async Task<bool> UpdateAsync(
            EntityEntry entry, bool allColumns, object? inserted, CancellationToken cancellationToken, (string Property, object Value)? onlyIf = null)
        {
            entry.DetectChanges();
            var table = StoreObjectIdentifier.Table(entry.Metadata.GetTableName()!, entry.Metadata.GetSchema());
            var key = entry.Metadata.FindPrimaryKey()!.Properties.Single();
            var keyColumn = $"\"{key.GetColumnName(table)}\"";
            using var factory = db.Database.GetDbConnection().CreateCommand();
            List<DbParameter> parameters = [Parameter(factory, key, "key", entry.Property(key.Name).CurrentValue)];
            var sets = new List<string>();
            foreach (var property in entry.Properties.Where(p => p.Metadata != key && (allColumns || p.IsModified)))
            {
                var name = $"u{sets.Count}";
                sets.Add($"\"{property.Metadata.GetColumnName(table)}\" = @{name}");
                parameters.Add(Parameter(factory, property.Metadata, name, property.CurrentValue));
            }

            var where = $"{keyColumn} = @key";
            if (onlyIf is (var condition, var value))
            {
                var property = entry.Metadata.FindProperty(condition)!;
                where += $" AND \"{property.GetColumnName(table)}\" = @w";
                parameters.Add(Parameter(factory, property, "w", value));
            }

            entry.State = EntityState.Detached;
            var sql = $"UPDATE \"{table.Name}\" SET {(sets.Count == 0 ? $"{keyColumn} = @key" : string.Join(", ", sets))} WHERE {where}";
            if (inserted is not null)
            {
                // The new row only beside an update that found its row.
                var postgres = db.Database.IsNpgsql();
                var (insert, values) = postgres
                    ? RowInserts.PostgresInsert(db.Model, [inserted], "updated", "i")
                    : RowInserts.SqliteInsert(db, inserted, "changes() = 1", "i");
                sql = postgres ? $"WITH updated AS ({sql} RETURNING 1) {insert}" : $"{sql}; {insert}";
                parameters.AddRange(values);
            }

            try
            {
                // Through EF Core's command pipeline (its logging and interceptors), not its query or save pipelines. The
                // count is the update's, or the insert's beside it (PostgreSQL) or with it (SQLite): none if no row was found.
                return await db.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken) > 0;
            }
            catch (DbException e)
            {
                throw new DbUpdateException($"Updating a {table.Name} row failed.", e);
            }
        }
    }

    private static DbParameter Parameter(DbCommand command, IProperty property, string name, object? value) =>
        property.GetRelationalTypeMapping().CreateParameter(command, name, value, property.IsNullable);
}
