using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Passline.Tests.Infrastructure;

/// <summary>
/// Makes the database fail on cue: the first <paramref name="times"/> commands that insert into <paramref name="table"/>
/// throw a <see cref="TimeoutException"/> before they run, a passing failure as a dropped connection would be.
/// Registered as a service, it applies to every context of the app.
/// </summary>
public sealed class FailingCommands(string table, int times = 1) : DbCommandInterceptor
{
    // SQLite's provider quotes every name; Npgsql only names that need it.
    private readonly string[] inserts = [$"INSERT INTO \"{table}\"", $"INSERT INTO {table} "];

    private int failed;

    /// <summary>How many commands it failed.</summary>
    public int Failed => Math.Min(Volatile.Read(ref failed), times);

    private void FailIfDue(DbCommand command)
    {
        if (inserts.Any(insert => command.CommandText.Contains(insert, StringComparison.Ordinal)) && Interlocked.Increment(ref failed) <= times)
        {
            throw new TimeoutException($"Injected failure of an insert into {table}.");
        }
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        FailIfDue(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        FailIfDue(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        FailIfDue(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        FailIfDue(command);
        return ValueTask.FromResult(result);
    }
}
