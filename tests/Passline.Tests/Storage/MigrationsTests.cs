using Microsoft.EntityFrameworkCore;
using Passline.Storage;

namespace Passline.Tests.Storage;

/// <summary>The model each database is migrated to is the model the code uses: a change without its migration fails here.</summary>
public sealed class MigrationsTests
{
    private static readonly SecretBox Box = SecretBox.Parse(Convert.ToBase64String(new byte[32]));

    [Fact]
    public void EveryModelChangeOnSqliteHasItsMigration()
    {
        var options = StorageServices.ConfigureSqlite(new DbContextOptionsBuilder<SqlitePasslineDb>(), "Data Source=unused.db").UseSecretBox(Box);
        using var db = new SqlitePasslineDb((DbContextOptions<SqlitePasslineDb>)options.Options);

        Assert.False(db.Database.HasPendingModelChanges(), "the SQLite model has changes without a migration: run scripts/add-migration");
    }

    [Fact]
    public void EveryModelChangeOnPostgresHasItsMigration()
    {
        var options = StorageServices.ConfigurePostgres(new DbContextOptionsBuilder<PostgresPasslineDb>(), "Host=unused").UseSecretBox(Box);
        using var db = new PostgresPasslineDb((DbContextOptions<PostgresPasslineDb>)options.Options);

        Assert.False(db.Database.HasPendingModelChanges(), "the PostgreSQL model has changes without a migration: run scripts/add-migration");
    }
}
