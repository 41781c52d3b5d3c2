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

    /// <summary>
    /// Claims up to <paramref name="limit"/> due rows, the least tried first and then the longest due, and returns them
    /// whole (one statement, no second read), in that order. Least tried first: a destination that keeps failing (a
    /// provider or a receiver that does not answer) piles up rows in retry, and new rows, of its instance or any other,
    /// go before them rather than behind them.
    /// </summary>
    public static async Task<List<TRow>> ClaimAsync<TRow>(PasslineDb db, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
        where TRow : OutboxRow
    {
        var postgres = db.Database.IsNpgsql();
        var table = db.Model.FindEntityType(typeof(TRow))!.GetTableName()!;
        var sql = $"""
            UPDATE {table} SET locked_until = @lease
            WHERE id IN (
                SELECT id FROM {table}
                WHERE {Pending} AND next_attempt_at <= @now AND (locked_until IS NULL OR locked_until < @now)
                ORDER BY attempts, next_attempt_at
                LIMIT {limit}{(postgres ? " FOR UPDATE SKIP LOCKED" : "")})
            RETURNING *
            """;

        // Only the table name (from the model) and the limit (a number) are spliced in; the values are parameters.
        // RETURNING gives the rows in no set order (in the order of their ids, as it happens): sorted again here.
        var claimed = await db.ReadAsync<TRow>(sql,
            [db.Parameter<TRow>(nameof(OutboxRow.LockedUntil), "lease", now + lease), db.Parameter<TRow>(nameof(OutboxRow.NextAttemptAt), "now", now)],
            cancellationToken);
        claimed.Sort((a, b) => a.Attempts != b.Attempts ? a.Attempts.CompareTo(b.Attempts) : a.NextAttemptAt.CompareTo(b.NextAttemptAt));
        return claimed;
    }

    /// <summary>
    /// Gives back the lease of claimed rows that were not tried (their turn came too late for it), so that the next
    /// claim takes them rather than a claim after the lease has run out. Only while this claim's lease still holds them.
    /// </summary>
    public static Task ReleaseAsync<TRow>(PasslineDb db, IReadOnlyList<Guid> ids, DateTimeOffset lease, CancellationToken cancellationToken)
        where TRow : OutboxRow
    {
        var table = db.Model.FindEntityType(typeof(TRow))!.GetTableName()!;
        var parameters = ids.Select((id, i) => db.Parameter<TRow>(nameof(OutboxRow.Id), $"id{i}", id)).ToList();
        parameters.Add(db.Parameter<TRow>(nameof(OutboxRow.LockedUntil), "lease", lease));
        // Only the table name (from the model) and parameter names are spliced in.
        var sql = $"UPDATE {table} SET locked_until = NULL WHERE locked_until = @lease AND id IN ({string.Join(", ", ids.Select((_, i) => $"@id{i}"))})";
        return db.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken);
    }
}
