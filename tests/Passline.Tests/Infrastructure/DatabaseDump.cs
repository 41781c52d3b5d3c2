using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Passline.Tests.Infrastructure;

/// <summary>Every row of every table as text, as whoever reads the database or a backup would see it.</summary>
public static class DatabaseDump
{
    public static Task<string> AllTablesAsync(PasslineApp app) => app.WithDbAsync(async db =>
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = db.Database.IsSqlite()
                ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("outbound_messages", tables);
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dump.Append(table).Append(':');
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    dump.Append(' ').Append(Text(reader, i));
                }

                dump.AppendLine();
            }
        }

        return dump.ToString();
    });

    private static string Text(DbDataReader reader, int column) => reader.IsDBNull(column)
        ? "null"
        : reader.GetValue(column) switch
        {
            byte[] bytes => Convert.ToHexString(bytes) + " " + Encoding.UTF8.GetString(bytes),
            var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
}
