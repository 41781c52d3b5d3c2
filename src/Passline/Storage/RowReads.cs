using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Passline.Storage;

/// <summary>
/// Reads whole rows of an entity type from hand-written SQL on the hot paths (SPEC 9): the reverse of
/// <see cref="RowInserts"/>. Each column of the result is matched by name to the property the EF Core model maps to it
/// and read through that property's type mapping and value converter, so the entity is what a query of EF Core would
/// give (instants from Unix milliseconds on SQLite, statuses from their names, encrypted columns decrypted). Untracked.
/// Runs in the unit of work's transaction when there is one.
/// <para>
/// Why not EF Core's own queries here: each run finds its compiled plan from the query's expression (a cache keyed by
/// the expression, the parameters extracted from it) and, since EF Core 9, builds a delegate from a dynamic method for
/// the command resolver the plan holds as a nested lambda. A <c>perf</c> profile of the simulator's outbox read put 28%
/// of the request's samples in starting the query, against 18% in running it and reading the row; a request that reads
/// one row cost 330-420 µs of server CPU where the health check costs 19-29 µs (docs/performance.md).
/// </para>
/// </summary>
public static class RowReads
{
    private static readonly ConcurrentDictionary<(IModel, Type), Shape> Shapes = new();

    extension(PasslineDb db)
    {
        /// <summary>
        /// Runs <paramref name="sql"/> (a <c>SELECT</c> of the entity's columns, or a statement ending in
        /// <c>RETURNING *</c>) with <paramref name="parameters"/> (see <see cref="StoredValues"/>) and reads every row it
        /// returns as a <typeparamref name="T"/>.
        /// </summary>
        public Task<List<T>> ReadAsync<T>(string sql, IReadOnlyList<DbParameter> parameters, CancellationToken cancellationToken) where T : class =>
            ReadRowsAsync<T>(db, sql, parameters, int.MaxValue, cancellationToken);

        /// <summary>The first row <paramref name="sql"/> returns, or null; any further rows are not read.</summary>
        public async Task<T?> ReadFirstAsync<T>(string sql, IReadOnlyList<DbParameter> parameters, CancellationToken cancellationToken) where T : class =>
            (await ReadRowsAsync<T>(db, sql, parameters, 1, cancellationToken)) is [var first, ..] ? first : null;
    }

    private static async Task<List<T>> ReadRowsAsync<T>(PasslineDb db, string sql, IReadOnlyList<DbParameter> parameters, int limit, CancellationToken cancellationToken)
        where T : class
    {
        var shape = Shapes.GetOrAdd((db.Model, typeof(T)), key => Shape.Build(key.Item1, key.Item2));
        var rows = new List<T>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            if (db.Database.GetCommandTimeout() is { } timeout)
            {
                command.CommandTimeout = timeout;
            }

            foreach (var parameter in parameters)
            {
                command.Parameters.Add(parameter);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var columns = shape.ColumnsOf(reader);
            while (rows.Count < limit && await reader.ReadAsync(cancellationToken))
            {
                rows.Add((T)shape.Read(reader, columns));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return rows;
    }

    /// <summary>How to read one column into its property: by the stored type, then through the value converter.</summary>
    private sealed class Column(IProperty property, RelationalTypeMapping mapping)
    {
        private readonly Func<DbDataReader, int, object> read = Reader(mapping.Converter?.ProviderClrType ?? mapping.ClrType);
        private readonly ValueConverter? converter = mapping.Converter;
        private readonly Action<object, object?> set = Setter(property);

        public void Read(DbDataReader reader, int ordinal, object row)
        {
            if (reader.IsDBNull(ordinal))
            {
                if (!property.IsNullable)
                {
                    throw new InvalidOperationException($"{property.DeclaringType.DisplayName()}.{property.Name}: the column is null, the property is not nullable.");
                }

                set(row, null);
                return;
            }

            var stored = read(reader, ordinal);
            set(row, converter is null ? stored : converter.ConvertFromProvider(stored));
        }

        /// <summary>Sets the property where EF Core's own materialization would (its backing field, or the property).</summary>
        private static Action<object, object?> Setter(IProperty property)
        {
            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            var row = Expression.Parameter(typeof(object));
            var value = Expression.Parameter(typeof(object));
            var target = Expression.MakeMemberAccess(Expression.Convert(row, member.DeclaringType!), member);
            return Expression.Lambda<Action<object, object?>>(Expression.Assign(target, Expression.Convert(value, target.Type)), row, value).Compile();
        }

        /// <summary><c>reader.GetFieldValue&lt;stored type&gt;(ordinal)</c>, boxed: each provider's own conversion of its value.</summary>
        private static Func<DbDataReader, int, object> Reader(Type stored) =>
            typeof(Column).GetMethod(nameof(GetFieldValue), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(Nullable.GetUnderlyingType(stored) ?? stored)
                .CreateDelegate<Func<DbDataReader, int, object>>();

        private static object GetFieldValue<TStored>(DbDataReader reader, int ordinal) => reader.GetFieldValue<TStored>(ordinal)!;
    }

    private sealed class Shape(Type clrType, FrozenDictionary<string, Column> columns)
    {
        /// <summary>The column of each of the result's fields, in order; null for a field the entity does not map.</summary>
        public Column?[] ColumnsOf(DbDataReader reader)
        {
            var ordered = new Column?[reader.FieldCount];
            for (var i = 0; i < ordered.Length; i++)
            {
                ordered[i] = columns.GetValueOrDefault(reader.GetName(i));
            }

            return ordered;
        }

        public object Read(DbDataReader reader, Column?[] ordered)
        {
            var row = Activator.CreateInstance(clrType)!;
            for (var i = 0; i < ordered.Length; i++)
            {
                ordered[i]?.Read(reader, i, row);
            }

            return row;
        }

        public static Shape Build(IModel model, Type clrType)
        {
            var entity = model.FindEntityType(clrType) ?? throw new InvalidOperationException($"{clrType.Name} is not in the model.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = entity.GetProperties()
                .Where(p => !p.IsShadowProperty())
                .ToFrozenDictionary(p => p.GetColumnName(table)!, p => new Column(p, p.GetRelationalTypeMapping()), StringComparer.OrdinalIgnoreCase);
            return new Shape(clrType, columns);
        }
    }
}
