using System.Data.Common;

namespace Passline.Storage;

/// <summary>
/// Commands prepared once and run many times on one open connection, disposed together by their owner while that
/// connection is still open: a statement must not outlive its connection's turn, as the native connection then serves
/// another caller.
/// </summary>
internal sealed class PreparedCommands : IDisposable
{
    private readonly Dictionary<string, DbCommand> commands = [];

    public DbCommand For(DbConnection connection, string sql)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands.Add(sql, command);
        }

        return command;
    }

    public void Dispose()
    {
        foreach (var command in commands.Values)
        {
            command.Dispose();
        }

        commands.Clear();
    }
}
