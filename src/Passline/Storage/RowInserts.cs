using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using SQLitePCL;

namespace Passline.Storage;

/// <summary>
/// Inserts new rows without change tracking, for the hot paths that only add (SPEC 9): one <c>INSERT</c> per entity type,
/// built once from the EF Core model, so the columns, names and stored forms (value converters, encrypted columns) are
/// exactly what <c>SaveChanges</c> would write. On PostgreSQL all the rows go in one statement, one array parameter per
/// column (<c>INSERT ... SELECT * FROM unnest(...)</c>): one text to prepare whatever the number of rows, and one
/// statement for the database to plan and run instead of one per row. On SQLite, where
/// there is no round trip, one prepared statement runs once per row, and stays prepared on the single writer's
/// connection (<see cref="PasslineDb.Prepared"/>): the writer inserts one generate-link row per unit, and preparing
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

            var statement = StatementFor(db.Model, rows[0].GetType());
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
                        command.Parameters.AddRange(statement.Arrays(rows));
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    finally
                    {
                        await db.Database.CloseConnectionAsync();
                    }

                    return;
                }

                // SQLite: one statement prepared once, run once per row with its values bound by position. The single
                // writer's connection is open for its whole life and keeps the statement; elsewhere both are this call's.
                var sqlite = (SqliteConnection)connection;
                var owned = db.Prepared is null;
                if (owned)
                {
                    await db.Database.OpenConnectionAsync(cancellationToken);
                }

                sqlite3_stmt? prepared = null;
                try
                {
                    prepared = owned ? PreparedCommands.Prepare(sqlite, statement.Sql) : db.Prepared!.For(sqlite, statement.Sql);
                    foreach (var row in rows)
                    {
                        statement.Run(sqlite, prepared, row);
                    }
                }
                finally
                {
                    if (owned)
                    {
                        prepared?.Dispose();
                        await db.Database.CloseConnectionAsync();
                    }
                }
            }
            catch (DbException e)
            {
                throw new DbUpdateException($"Inserting {rows.Count} {statement.Table} rows failed.", e);
            }
        }
    }

    /// <summary>
    /// PostgreSQL: the <c>INSERT</c> of <paramref name="rows"/> as a part of a larger statement (a data-modifying
    /// <c>WITH</c>), inserted only if <paramref name="onlyWith"/> (a name that <c>WITH</c> defines) holds a row; the
    /// parameters are named <c>@{prefix}N</c>.
    /// </summary>
    public static (string Sql, NpgsqlParameter[] Parameters) PostgresInsert<T>(IModel model, IReadOnlyList<T> rows, string onlyWith, string prefix)
        where T : class
    {
        var statement = StatementFor(model, rows[0].GetType());
        return (statement.UnnestSqlFrom(prefix, $"{onlyWith}, "), statement.Arrays(rows, prefix));
    }

    /// <summary>
    /// SQLite: the <c>INSERT</c> of <paramref name="row"/> as a statement of a larger command, with named parameters
    /// <c>@{prefix}N</c> made by each column's type mapping, inserted only if <paramref name="onlyIf"/> (an SQL condition)
    /// holds.
    /// </summary>
    public static (string Sql, DbParameter[] Parameters) SqliteInsert(PasslineDb db, object row, string onlyIf, string prefix)
    {
        var statement = StatementFor(db.Model, row.GetType());
        using var command = db.Database.GetDbConnection().CreateCommand();
        return (statement.SelectSql(prefix, onlyIf), statement.Values(command, row, prefix));
    }

    /// <summary>The statements of the entity type <paramref name="clrType"/>, built once per model from its mapping.</summary>
    private static Statement StatementFor(IModel model, Type clrType) =>
        Statements.GetOrAdd((model, clrType), key => Statement.Build(key.Item1, key.Item2));

    /// <param name="StoredType">The CLR type of <see cref="Stored"/>, nullable where the column is: its arrays' element type.</param>
    private sealed record Column(string Name, RelationalTypeMapping Mapping, Func<object, object?> Value, Type StoredType)
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

    private sealed class Statement(string table, string sql, string names, Column[] columns)
    {
        public string Table => table;

        /// <summary>The SQLite form: one row's values, bound by position.</summary>
        public string Sql => sql;

        /// <summary>The PostgreSQL form: every column's values as one array, the rows unnested from them.</summary>
        public string UnnestSql { get; } = Unnest(table, names, columns, "p", "");

        /// <summary>
        /// <see cref="UnnestSql"/> with the parameters named <c>@{prefix}N</c> and the rows taken only for each row of
        /// <paramref name="from"/> (a list of names ending with a comma, or nothing).
        /// </summary>
        public string UnnestSqlFrom(string prefix, string from) => Unnest(table, names, columns, prefix, from);

        // Each array cast to its column's type, so that text arrays land in varchar columns and the statement's types
        // are fixed whatever values a batch holds.
        private static string Unnest(string table, string names, Column[] columns, string prefix, string from) =>
            $"INSERT INTO \"{table}\" ({names}) SELECT u.* FROM {from}unnest({string.Join(", ", columns.Select((c, i) => $"@{prefix}{i}::{c.Mapping.StoreType}[]"))}) AS u";

        /// <summary>The SQLite form with named parameters, as one statement of a larger command.</summary>
        public string SelectSql(string prefix, string onlyIf) =>
            $"INSERT INTO \"{table}\" ({names}) SELECT {string.Join(", ", columns.Select((_, i) => $"@{prefix}{i}"))} WHERE {onlyIf}";

        /// <summary>One parameter per column, <c>@{prefix}N</c> for the Nth, holding the stored value of <paramref name="row"/>.</summary>
        public DbParameter[] Values(DbCommand command, object row, string prefix) =>
            [.. columns.Select((c, i) => c.Mapping.CreateParameter(command, $"{prefix}{i}", c.Value(row)))];

        public static Statement Build(IModel model, Type clrType)
        {
            var entity = model.FindEntityType(clrType) ?? throw new InvalidOperationException($"{clrType.Name} is not in the model.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = new List<Column>();
            foreach (var property in entity.GetProperties())
            {
                // Every value comes from the row itself, but for a key the database generates (an identity), left to it:
                // the row's own property keeps its default.
                if (property.ValueGenerated != ValueGenerated.Never && property.ClrType != typeof(Guid))
                {
                    if (property.IsPrimaryKey() && property.ValueGenerated == ValueGenerated.OnAdd)
                    {
                        continue;
                    }

                    throw new InvalidOperationException($"{clrType.Name}.{property.Name} is generated by the database; insert it with SaveChanges.");
                }

                var mapping = property.GetRelationalTypeMapping();
                columns.Add(new Column(property.GetColumnName(table)!, mapping, property.GetGetter().GetClrValueUsingContainingEntity,
                    Column.StoredTypeOf(mapping, property.IsNullable)));
            }

            var names = string.Join(", ", columns.Select(c => $"\"{c.Name}\""));
            // SQLite's values are numbered: the column's position is its parameter's index.
            var values = string.Join(", ", columns.Select((_, i) => $"?{i + 1}"));
            return new Statement(table.Name, $"INSERT INTO \"{table.Name}\" ({names}) VALUES ({values})", names, [.. columns]);
        }

        /// <summary>
        /// One array parameter per column, <c>@{prefix}N</c> for the Nth, holding the stored values of
        /// <paramref name="rows"/> in order.
        /// </summary>
        public NpgsqlParameter[] Arrays<T>(IReadOnlyList<T> rows, string prefix = "p") where T : class
        {
            var parameters = new NpgsqlParameter[columns.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                var values = Array.CreateInstance(columns[c].StoredType, rows.Count);
                for (var r = 0; r < rows.Count; r++)
                {
                    values.SetValue(columns[c].Stored(rows[r]), r);
                }

                parameters[c] = new NpgsqlParameter($"{prefix}{c}", values);
            }

            return parameters;
        }

        /// <summary>
        /// Runs the SQLite statement once for <paramref name="row"/>, each column's stored value bound by its position,
        /// as Microsoft.Data.Sqlite binds what the column's EF Core type mapping gives it (a test compares the two).
        /// Binding through Microsoft.Data.Sqlite's parameters looked each of the 30 up by name and converted the name to
        /// UTF-8 on every run: with the parameter objects built by EF Core, most of the single writer's managed CPU.
        /// </summary>
        public void Run(SqliteConnection connection, sqlite3_stmt prepared, object row)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                var rc = columns[c].Stored(row) switch
                {
                    null => raw.sqlite3_bind_null(prepared, c + 1),
                    string text => raw.sqlite3_bind_text(prepared, c + 1, text),
                    long number => raw.sqlite3_bind_int64(prepared, c + 1, number),
                    int number => raw.sqlite3_bind_int64(prepared, c + 1, number),
                    bool flag => raw.sqlite3_bind_int64(prepared, c + 1, flag ? 1 : 0),
                    double number => raw.sqlite3_bind_double(prepared, c + 1, number),
                    byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(prepared, c + 1, 0),
                    byte[] bytes => raw.sqlite3_bind_blob(prepared, c + 1, bytes),
                    // EF Core stores a Guid in SQLite as upper-case text.
                    Guid id => raw.sqlite3_bind_text(prepared, c + 1, id.ToString().ToUpperInvariant()),
                    var other => throw new NotSupportedException($"{table}.{columns[c].Name}: no SQLite binding for {other.GetType().Name}."),
                };
                SqliteException.ThrowExceptionForRC(rc, connection.Handle);
            }

            var step = raw.sqlite3_step(prepared);
            if (step != raw.SQLITE_DONE)
            {
                // The error's message and code belong to the connection until the reset; read them first.
                var error = new SqliteException(
                    $"SQLite Error {step & 0xFF}: '{raw.sqlite3_errmsg(connection.Handle).utf8_to_string()}'.", step & 0xFF, raw.sqlite3_extended_errcode(connection.Handle));
                raw.sqlite3_reset(prepared);
                throw error;
            }

            raw.sqlite3_reset(prepared);
        }
    }
}
