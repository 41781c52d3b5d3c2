using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Passline.Storage;

/// <summary>
/// SQLite statements prepared once on one open connection and run many times, finalized together by their owner while
/// that connection is still open (a statement must not outlive its connection).
/// </summary>
internal sealed class PreparedCommands : IDisposable
{
    private readonly Dictionary<string, sqlite3_stmt> statements = [];

    public sqlite3_stmt For(SqliteConnection connection, string sql)
    {
        if (!statements.TryGetValue(sql, out var statement))
        {
            statement = Prepare(connection, sql);
            statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>A statement of the caller's to finalize (dispose).</summary>
    public static sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
        var rc = raw.sqlite3_prepare_v3(connection.Handle, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        return statement;
    }

    public void Dispose()
    {
        foreach (var statement in statements.Values)
        {
            statement.Dispose();
        }

        statements.Clear();
    }
}
