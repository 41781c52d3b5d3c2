using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
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
    /// <summary>
    /// The claim's condition on the status, and the filter of each outbox's index of due rows (<see cref="IndexDue"/>):
    /// the same text, so that either database sees the index cover the claim. A row leaves the index when it is
    /// delivered or given up, so the index holds only the rows in flight, and a row's last update adds no entry to it.
    /// </summary>
    public const string Pending = "status = '" + OutboxStatuses.Pending + "'";

    /// <summary>The index the claim reads: pending rows by when they are due.</summary>
    public static void IndexDue<TRow>(EntityTypeBuilder<TRow> e) where TRow : OutboxRow =>
        e.HasIndex(r => r.NextAttemptAt).HasFilter(Pending);

    /// <summary>Claims up to <paramref name="limit"/> due rows and returns them whole (one statement, no second read).</summary>
    public static Task<List<TRow>> ClaimAsync<TRow>(PasslineDb db, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
        where TRow : OutboxRow
    {
        var postgres = db.Database.IsNpgsql();
        var table = db.Model.FindEntityType(typeof(TRow))!.GetTableName()!;
        var sql = $"""
            UPDATE {table} SET locked_until = @lease
            WHERE id IN (
                SELECT id FROM {table}
                WHERE {Pending} AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until < @now)
                ORDER BY next_attempt_at
                LIMIT {limit}{(postgres ? " FOR UPDATE SKIP LOCKED" : "")})
            RETURNING *
            """;

        // Only the table name (from the model) and the limit (a number) are spliced in; the values are parameters.
        return db.ReadAsync<TRow>(sql,
            [db.Parameter<TRow>(nameof(OutboxRow.LockedUntil), "lease", now + lease), db.Parameter<TRow>(nameof(OutboxRow.NextAttemptAt), "now", now)],
            cancellationToken);
    }
}
