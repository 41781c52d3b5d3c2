using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Passline.Tests.Infrastructure;

/// <summary>
/// Interleaves a change of the test's own with another piece of work, deterministically: once armed, it runs the change
/// just before the nth command that matches executes (a read or a write of one table), and then never again.
/// Registered as a service, it sees every context of the app; commands the change itself runs are not counted.
/// </summary>
public sealed class BeforeCommand : DbCommandInterceptor
{
    private Func<string, bool>? matches;
    private int nth;
    private Func<Task>? change;
    private int seen;
    private int ran;

    /// <summary>Whether the change ran: a test that meant to interleave and did not proves nothing.</summary>
    public bool Ran => Volatile.Read(ref ran) == 1;

    public void Arm(Func<string, bool> matches, int nth, Func<Task> change)
    {
        this.matches = matches;
        this.nth = nth;
        this.change = change;
    }

    // SQLite's provider quotes every name; Npgsql only names that need it. Hand-written SQL quotes every name.

    /// <summary>A <c>SELECT</c> from <paramref name="table"/>.</summary>
    public static Func<string, bool> Reads(string table) => sql =>
        sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)
        && (sql.Contains($"FROM \"{table}\"", StringComparison.Ordinal) || sql.Contains($"FROM {table} ", StringComparison.Ordinal));

    /// <summary>An <c>UPDATE</c> of <paramref name="table"/>.</summary>
    public static Func<string, bool> Updates(string table) => sql =>
        sql.Contains($"UPDATE \"{table}\"", StringComparison.Ordinal) || sql.Contains($"UPDATE {table} ", StringComparison.Ordinal);

    private async Task RunIfDueAsync(DbCommand command)
    {
        if (matches is null || change is null || Ran || !matches(command.CommandText) || Interlocked.Increment(ref seen) != nth)
        {
            return;
        }

        Volatile.Write(ref ran, 1);
        await change();
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await RunIfDueAsync(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await RunIfDueAsync(command);
        return result;
    }
}
