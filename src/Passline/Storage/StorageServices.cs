using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Passline.Storage;

public static class StorageServices
{
    public const string DefaultConnectionString = "Data Source=data/passline.db";

    public static IServiceCollection AddPasslineStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .Validate(o => o.Provider is "sqlite" or "postgres", "Passline:Storage:Provider must be 'sqlite' or 'postgres'.")
            .ValidateOnStart();

        var provider = configuration[$"{StorageOptions.Section}:Provider"] ?? "sqlite";
        var connectionString = configuration.GetConnectionString("Passline") ?? DefaultConnectionString;

        if (provider == "postgres")
        {
            services.AddDbContextPool<PasslineDb, PostgresPasslineDb>(o => ConfigurePostgres(o, connectionString));
        }
        else
        {
            services.AddDbContextPool<PasslineDb, SqlitePasslineDb>(o => ConfigureSqlite(o, connectionString));
        }

        services.AddHostedService<DatabaseStartup>();
        return services;
    }

    public static void ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    public static void ConfigureSqlite(DbContextOptionsBuilder options, string connectionString)
    {
        EnsureSqliteFolder(connectionString);
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();
    }

    /// <summary>The SQLite file is created on first start; its folder has to exist for that.</summary>
    private static void EnsureSqliteFolder(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:" || file.StartsWith("file:", StringComparison.Ordinal))
        {
            return;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }
}
