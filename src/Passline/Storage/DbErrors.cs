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
    /// dropped connection, an exhausted pool, a busy SQLite file. Worth a short retry, then a 503, never a 500.
    /// </summary>
    public static bool IsTransient(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException npgsql when npgsql.IsTransient:
                case SqliteException { SqliteErrorCode: 5 or 6 }: // SQLITE_BUSY, SQLITE_LOCKED
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }
}
