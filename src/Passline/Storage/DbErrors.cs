using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Passline.Storage;

public static class DbErrors
{
    /// <summary>True when the save failed on a unique index: a lost race that the caller can resolve.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 or 1555, // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
        _ => false,
    };

    /// <summary>
    /// True when SQLite failed one statement on a constraint (<c>SQLITE_CONSTRAINT</c>): it undid that statement alone and
    /// the transaction around it goes on.
    /// </summary>
    public static bool IsStatementOnly(Exception exception) =>
        exception.GetBaseException() is SqliteException { SqliteErrorCode: 19 };

    /// <summary>
    /// True when <paramref name="exception"/> (or what it wraps) is a passing failure of the database: a restart, a
    /// dropped connection, an exhausted pool, a busy SQLite file, a connection whose prepared statements no longer match
    /// (<see cref="IsPreparedStatementMismatch"/>). Worth a short retry, then a 503, never a 500.
    /// </summary>
    public static bool IsTransient(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException npgsql when npgsql.IsTransient:
                case PostgresException postgres when IsMismatch(postgres):
                case SqliteException { SqliteErrorCode: 5 or 6 }: // SQLITE_BUSY, SQLITE_LOCKED
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a connection's prepared statements no longer match what Npgsql believes of them: after a database
    /// restart cut a command short, Npgsql's automatic preparation was seen to prepare again a statement the server
    /// already held (42P05, "prepared statement "_auto0" already exists"), and a connection in that state fails the same
    /// way on every later use (npgsql/npgsql#4082 is such a case). Passing, once those connections are gone.
    /// </summary>
    private static bool IsPreparedStatementMismatch(Exception? exception) =>
        exception?.GetBaseException() is PostgresException postgres && IsMismatch(postgres);

    /// <summary>
    /// After a prepared-statement mismatch (<see cref="IsPreparedStatementMismatch"/>), empties Npgsql's pools: the
    /// connection that met it would fail the same way on every later use, whoever uses it next. Idle connections close
    /// now, busy ones when they go back; the next try, of a unit or of the client's request, runs on a fresh one.
    /// </summary>
    public static void ForgetConnectionsAfter(Exception? exception)
    {
        if (IsPreparedStatementMismatch(exception))
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static bool IsMismatch(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.DuplicatePreparedStatement or PostgresErrorCodes.InvalidSqlStatementName;
}
