using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Passline.Storage;

public static class StorageServices
{
    public const string DefaultConnectionString = "Data Source=data/passline.db";

    /// <summary>The database chosen by configuration, migrated at start, and the unit-of-work runner.</summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddPasslineStorage(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddPasslineStorage(this IServiceCollection services, IConfiguration configuration)
    {
        // The writers take their clock from the container; the commands build theirs from this method alone.
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .Validate(o => o.Provider.ToUpperInvariant() is "SQLITE" or "POSTGRES", "Passline:Storage:Provider must be 'sqlite' or 'postgres'.")
            .Validate(o => !StorageOptions.IsPostgres(configuration) || configuration.GetConnectionString("Passline") is { Length: > 0 },
                "Passline:Storage:Provider is 'postgres' but ConnectionStrings:Passline is not set: give it a PostgreSQL connection string, "
                + "such as Host=db.example.com;Username=passline;Password=...;Database=passline.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new ConnectionStringValidation(configuration));

        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecretsOptions>, SecretsOptionsValidation>();
        services.AddSingleton<IPostConfigureOptions<SecretsOptions>, DevelopmentSecretsKey>();
        services.AddSingleton(services => SecretBox.Parse(services.GetRequiredService<IOptions<SecretsOptions>>().Value.Key!));

        var postgres = StorageOptions.IsPostgres(configuration);
        var connectionString = configuration.GetConnectionString("Passline") ?? DefaultConnectionString;

        if (postgres)
        {
            services.AddDbContextPool<PasslineDb, PostgresPasslineDb>((services, o) => Common(ConfigurePostgres(o, connectionString), services));
        }
        else
        {
            services.AddDbContextPool<PasslineDb, SqlitePasslineDb>((services, o) => Common(ConfigureSqlite(o, connectionString), services));
        }

        if (postgres)
        {
            services.AddSingleton(services => new Writes(
                services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<TimeProvider>(), null, services.GetRequiredService<ILogger<Writes>>()));
            services.AddSingleton(services => new OwnContexts(() => new PostgresPasslineDb((DbContextOptions<PostgresPasslineDb>)Common(
                ConfigurePostgres(new DbContextOptionsBuilder<PostgresPasslineDb>(), Unpooled(connectionString)), services).Options)));
        }
        else
        {
            services.AddSingleton(services => new SqliteWriter(
                connectionString,
                connection => (DbContextOptions<SqlitePasslineDb>)Common(ConfigureSqlite(new DbContextOptionsBuilder<SqlitePasslineDb>(), connection), services).Options,
                services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<SqliteWriter>>()));
            services.AddHostedService(services => services.GetRequiredService<SqliteWriter>());
            services.AddSingleton<Writes>();
        }

        return services;
    }

    /// <summary>A connection string that its provider cannot read stops the process with the provider's reason.</summary>
    private sealed class ConnectionStringValidation(IConfiguration configuration) : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            var connectionString = configuration.GetConnectionString("Passline") ?? DefaultConnectionString;
            try
            {
                _ = StorageOptions.IsPostgres(configuration)
                    ? new Npgsql.NpgsqlConnectionStringBuilder(connectionString).ConnectionString
                    : new SqliteConnectionStringBuilder(connectionString).ConnectionString;
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail($"ConnectionStrings:Passline is not a valid connection string: {e.Message}");
            }
        }
    }

    /// <summary>
    /// What every context of Passline's has on either database: encrypted columns, quiet failures, and the interceptors
    /// registered in the container (Passline registers none; tests use one to make the database fail on cue).
    /// </summary>
    private static DbContextOptionsBuilder Common(DbContextOptionsBuilder options, IServiceProvider services) =>
        NoModelDiffAtStart(QuietFailures(options.UseSecretBox(services.GetRequiredService<SecretBox>())))
            .AddInterceptors(services.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>());

    /// <summary>
    /// Before migrating, EF Core compares the code's model with the last migration's snapshot, to stop a build whose model
    /// has changes without a migration. The test suite makes that check on both databases (<c>MigrationsTests</c>), so a
    /// released build cannot have such changes, and no start needs to build the snapshot's model and diff the two: four
    /// starts each measured 2.35-2.70 s of CPU to the first <c>/healthz</c> instead of 2.56-2.73, and 137-139 MB resident
    /// instead of 141-142.
    /// </summary>
    private static DbContextOptionsBuilder NoModelDiffAtStart(DbContextOptionsBuilder options) =>
        options.ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning));

    /// <summary>
    /// A failed command or save is its caller's to judge: a unique violation is how a redelivered webhook or a lost race
    /// is recognised, and must not page an operator. So EF Core reports these at Debug; what nobody handles still reaches
    /// the exception handler or the worker loop, which log it as an error.
    /// </summary>
    private static DbContextOptionsBuilder QuietFailures(DbContextOptionsBuilder options) =>
        options.ConfigureWarnings(w => w.Log(
            (Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.SaveChangesFailed, LogLevel.Debug),
            (Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.CommandError, LogLevel.Debug)));

    public static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(Tuned(connectionString), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    /// <summary>
    /// Passline keeps no session state on its connections, so a pooled connection need not be reset (no <c>DISCARD ALL</c>
    /// on every reuse), and its few statements run often enough to be worth preparing (bench/run --only postgres: the
    /// database's CPU per full flow fell from 32.6 to 7.8 ms). An explicit setting in the connection string wins.
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var given = connectionString.ToUpperInvariant();
        if (!given.Contains("RESET ON CLOSE", StringComparison.Ordinal))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.Contains("AUTO PREPARE", StringComparison.Ordinal))
        {
            builder.MaxAutoPrepare = 50;
        }

        return builder.ConnectionString;
    }

    /// <summary>The connection string of a connection that does not come from Npgsql's pool nor go back to it (<see cref="OwnContext"/>).</summary>
    private static string Unpooled(string connectionString) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    /// <summary>SQLite on a connection of the caller's (the single writer's own), which closes and disposes it.</summary>
    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder options, SqliteConnection connection) =>
        options.UseSqlite(connection, sqlite => sqlite.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder options, string connectionString)
    {
        EnsureSqliteFolder(connectionString);
        return options.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable("__ef_migrations_history"))
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
