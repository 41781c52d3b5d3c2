using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Passline.Storage;

/// <summary>
/// Inserts new rows without change tracking, for the hot paths that only add (SPEC 9): one <c>INSERT</c> per entity type,
/// built once from the EF Core model, so the columns, names and stored forms (value converters, encrypted columns) are
/// exactly what <c>SaveChanges</c> would write. On PostgreSQL all the rows go in one statement, one array parameter per
/// column (<c>INSERT ... SELECT * FROM unnest(...)</c>): one text to prepare whatever the number of rows, and one
/// statement for the database to plan and run instead of one per row. On SQLite, where
/// there is no round trip, one prepared statement runs once per row, and stays prepared for the rest of the single
/// writer's batch (<see cref="PasslineDb.Prepared"/>): the writer inserts one generate-link row per unit, and preparing
/// the 30-column statement anew for each was nearly a third of its CPU in the profile. Runs in the unit of work's
/// transaction, or alone in a one-statement unit.
/// <para>
/// Measured on generate-link: with <c>SaveChanges</c> of each batch in the single writer (change tracking, command
/// building) a request cost 230 µs of server CPU, with these inserts 175 µs (one run each, same machine).
/// </para>
/// </summary>
public static class RowInserts
{
    private static readonly ConcurrentDictionary<(IModel, Type), Statement> Statements = new();

    extension(PasslineDb db)
    {
        /// <summary>
        /// Inserts <paramref name="rows"/> in the current transaction. A failure is a <see cref="DbUpdateException"/>
        /// wrapping the provider's, as from <c>SaveChanges</c> (so <see cref="DbErrors.IsUniqueViolation"/> applies).
        /// </summary>
        public async Task InsertAsync<T>(IReadOnlyList<T> rows, CancellationToken cancellationToken) where T : class
        {
            if (rows.Count == 0)
            {
                return;
            }

            var statement = Statements.GetOrAdd((db.Model, typeof(T)), key => Statement.Build(key.Item1, key.Item2));
            var connection = db.Database.GetDbConnection();
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            try
            {
                if (connection is NpgsqlConnection)
                {
                    // Outside a transaction (a statement unit) the connection is opened for this statement only.
                    await db.Database.OpenConnectionAsync(cancellationToken);
                    try
                    {
                        await using var command = connection.CreateCommand();
                        command.CommandText = statement.UnnestSql;
                        command.Transaction = transaction;
                        statement.BindArrays(command.Parameters, rows);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    finally
                    {
                        await db.Database.CloseConnectionAsync();
                    }

                    return;
                }

                var owned = db.Prepared is null ? connection.CreateCommand() : null;
                var single = owned ?? db.Prepared!.For(connection, statement.Sql);
                await using (owned)
                {
                    single.CommandText = statement.Sql;
                    single.Transaction = transaction;
                    foreach (var row in rows)
                    {
                        single.Parameters.Clear();
                        statement.Bind(single.Parameters, single, row);
                        await single.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
            }
            catch (DbException e)
            {
                throw new DbUpdateException($"Inserting {rows.Count} {statement.Table} rows failed.", e);
            }
        }
    }

    /// <param name="StoredType">The CLR type of <see cref="Stored"/>, nullable where the column is: its arrays' element type.</param>
    private sealed record Column(string Name, string Parameter, RelationalTypeMapping Mapping, Func<object, object?> Value, Type StoredType)
    {
        /// <summary>The column's value in <paramref name="row"/> as the database stores it (after the value converter).</summary>
        public object? Stored(object row)
        {
            var value = Value(row);
            return value is not null && Mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;
        }

        public static Type StoredTypeOf(RelationalTypeMapping mapping, bool nullable)
        {
            var type = mapping.Converter?.ProviderClrType ?? mapping.ClrType;
            type = Nullable.GetUnderlyingType(type) ?? type;
            return nullable && type.IsValueType ? typeof(Nullable<>).MakeGenericType(type) : type;
        }
    }

    private sealed class Statement(string table, string sql, string unnestSql, Column[] columns)
    {
        public string Table => table;

        public string Sql => sql;

        /// <summary>The PostgreSQL form: every column's values as one array, the rows unnested from them.</summary>
        public string UnnestSql => unnestSql;

        public static Statement Build(IModel model, Type clrType)
        {
            var entity = model.FindEntityType(clrType) ?? throw new InvalidOperationException($"{clrType.Name} is not in the model.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = new List<Column>();
            foreach (var property in entity.GetProperties())
            {
                // Every value comes from the row itself: a key the database generates (an identity) has no place here.
                if (property.ValueGenerated != ValueGenerated.Never && property.ClrType != typeof(Guid))
                {
                    throw new InvalidOperationException($"{clrType.Name}.{property.Name} is generated by the database; insert it with SaveChanges.");
                }

                var mapping = property.GetRelationalTypeMapping();
                // Named with the prefix as the SQL writes it: Microsoft.Data.Sqlite then finds each at its first lookup.
                columns.Add(new Column(property.GetColumnName(table)!, $"@p{columns.Count}", mapping, property.GetGetter().GetClrValueUsingContainingEntity,
                    Column.StoredTypeOf(mapping, property.IsNullable)));
            }

            var names = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));
            var values = string.Join(", ", columns.Select(c => c.Parameter));
            // Each array cast to its column's type, so that text arrays land in varchar columns and the statement's types
            // are fixed whatever values a batch holds.
            var arrays = string.Join(", ", columns.Select(c => $"{c.Parameter}::{c.Mapping.StoreType}[]"));
            return new Statement(
                table.Name,
                $"INSERT INTO \"{table.Name}\" ({names}) VALUES ({values})",
                $"INSERT INTO \"{table.Name}\" ({names}) SELECT * FROM unnest({arrays})",
                [.. columns]);
        }

        /// <summary>Adds one array parameter per column, holding the stored values of <paramref name="rows"/> in order.</summary>
        public void BindArrays<T>(DbParameterCollection parameters, IReadOnlyList<T> rows) where T : class
        {
            for (var c = 0; c < columns.Length; c++)
            {
                var values = Array.CreateInstance(columns[c].StoredType, rows.Count);
                for (var r = 0; r < rows.Count; r++)
                {
                    values.SetValue(columns[c].Stored(rows[r]), r);
                }

                parameters.Add(new NpgsqlParameter(columns[c].Parameter, values));
            }
        }

        /// <summary>
        /// Adds one parameter per column, made by the column's EF Core type mapping (its value converter and the
        /// provider's parameter type), so the stored form is the one <c>SaveChanges</c> writes.
        /// </summary>
        public void Bind(DbParameterCollection parameters, DbCommand factory, object row)
        {
            foreach (var column in columns)
            {
                parameters.Add(column.Mapping.CreateParameter(factory, column.Parameter, column.Value(row)));
            }
        }
    }
}
