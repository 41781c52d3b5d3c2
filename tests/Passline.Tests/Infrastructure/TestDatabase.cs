using Npgsql;

namespace Passline.Tests.Infrastructure;

/// <summary>
/// A database of the test's own. The suite runs on SQLite (a file in a temporary folder) unless
/// <c>PASSLINE_TEST_POSTGRES</c> names a PostgreSQL server, in which case each database is created there
/// and dropped afterwards. <c>scripts/test</c> runs the suite once each way.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly string? PostgresServer = Environment.GetEnvironmentVariable("PASSLINE_TEST_POSTGRES");

    private TestDatabase(string provider, string connectionString, string? cleanup)
    {
        Provider = provider;
        ConnectionString = connectionString;
        this.cleanup = cleanup;
    }

    private readonly string? cleanup;
    private string? server;

    public static bool IsPostgres => !string.IsNullOrEmpty(PostgresServer);

    public string Provider { get; }
    public string ConnectionString { get; }

    public static Task<TestDatabase> CreateAsync() => IsPostgres ? CreatePostgresAsync(PostgresServer!) : CreateSqliteAsync();

    /// <summary>A database on the given PostgreSQL server (a throwaway cluster of the test's own).</summary>
    public static async Task<TestDatabase> CreatePostgresAsync(string server)
    {
        var name = "passline_test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase("postgres", builder.ConnectionString, name) { server = server };
    }

    /// <summary>A SQLite database, whichever database the suite runs on (for what only SQLite has).</summary>
    public static Task<TestDatabase> CreateSqliteAsync()
    {
        var folder = Directory.CreateTempSubdirectory("passline-test-");
        return Task.FromResult(new TestDatabase("sqlite", $"Data Source={Path.Combine(folder.FullName, "passline.db")}", folder.FullName));
    }

    /// <summary>The <c>Passline:Secrets:Key</c> of this database (base64 of 32 bytes), generated per database.</summary>
    public string SecretsKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Configuration keys that point Passline at this database, with the key its secrets are encrypted with.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Passline:Storage:Provider", Provider),
        new("ConnectionStrings:Passline", ConnectionString),
        new("Passline:Secrets:Key", SecretsKey),
    ];

    public async ValueTask DisposeAsync()
    {
        if (cleanup is null)
        {
            return;
        }

        if (Provider == "postgres")
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {cleanup} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        else
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(cleanup, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a host being torn down; the temporary folder is cleaned by the OS.
            }
        }
    }
}
