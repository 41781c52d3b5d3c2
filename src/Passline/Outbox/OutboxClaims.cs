using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Passline.Storage;

namespace Passline.Outbox;

/// <summary>
/// Claims due outbox rows for one worker: a single <c>UPDATE ... RETURNING</c> sets a lease on up to
/// <c>limit</c> rows that are pending, due and not leased. On PostgreSQL the inner select takes
/// <c>FOR UPDATE SKIP LOCKED</c>, so several nodes claim disjoint rows without waiting on each other; SQLite
/// serialises writers, so the statement is atomic there as it is. A worker that dies loses its lease when it runs out.
/// </summary>
public static class OutboxClaims
{
    public static async Task<List<Guid>> ClaimAsync(PasslineDb db, string table, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        var postgres = db.Database.IsNpgsql();
        var sql = $"""
            UPDATE {table} SET locked_until = @lease
            WHERE id IN (
                SELECT id FROM {table}
                WHERE status = 'pending' AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until < @now)
                ORDER BY next_attempt_at
                LIMIT {limit}{(postgres ? " FOR UPDATE SKIP LOCKED" : "")})
            RETURNING id
            """;

        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction(); // inside SQLite's single writer
            AddParameter(command, "@now", postgres ? now : now.ToUnixTimeMilliseconds());
            AddParameter(command, "@lease", postgres ? now + lease : (now + lease).ToUnixTimeMilliseconds());
            var ids = new List<Guid>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void AddParameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
