using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Passline.Hosting;

namespace Passline.Storage;

/// <summary>
/// Brings the database schema up to date before the server starts listening or a command does its work; with
/// <c>Passline:Storage:AutoMigrate</c> off, checks that it is. Then checks that the configured secrets key can read what
/// is stored. A database that cannot be reached or opened, or a key that cannot read it, then stops the process with one
/// line that says so (<see cref="ConfigurationException"/>); a database that goes away later is a passing failure
/// (503), not this.
/// </summary>
public static class DatabaseStartup
{
    public static async Task PrepareAsync(IServiceProvider services, bool migrate, CancellationToken cancellationToken)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
            if (migrate || services.GetRequiredService<IOptions<StorageOptions>>().Value.AutoMigrate)
            {
                await MigrateAsync(db, cancellationToken);
            }
            else if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                throw new ConfigurationException("the database is not migrated to this version of Passline; run passline migrate");
            }

            if (await SecretsReencryption.UnreadableAsync(db, cancellationToken) is { } unreadable)
            {
                throw new ConfigurationException(unreadable);
            }
        }
        catch (Exception e) when (ProblemOf(e, configuration) is { } problem)
        {
            throw new ConfigurationException(problem);
        }
    }

    public static async Task MigrateAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the single writer; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }

    /// <summary>What an operator is to fix about the database, in one line; null for anything else, which keeps its stack trace.</summary>
    private static string? ProblemOf(Exception e, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Passline") ?? StorageServices.DefaultConnectionString;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case PostgresException postgres:
                    return $"the database ({Where(connectionString)}) refused: {postgres.SqlState}: {postgres.MessageText}";
                case NpgsqlException:
                    return $"cannot reach the database ({Where(connectionString)}): {Reason(inner)}";
                case SqliteException sqlite:
                    return $"cannot open the SQLite database {File(connectionString)}: {sqlite.Message}";
                case IOException or UnauthorizedAccessException when !StorageOptions.IsPostgres(configuration):
                    return $"cannot open the SQLite database {File(connectionString)}: {inner.Message}";
            }
        }

        return null;
    }

    /// <summary>The socket's reason when there is one (<c>Connection refused</c>), else the innermost message.</summary>
    private static string Reason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.Message;
            }

            if (inner is TimeoutException)
            {
                return "no answer in time";
            }
        }

        return e.GetBaseException().Message;
    }

    private static string Where(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}";
    }

    private static string File(string connectionString) => new SqliteConnectionStringBuilder(connectionString).DataSource;
}
