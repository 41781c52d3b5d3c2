using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Passline.Storage;

/// <summary>
/// The one database model, assembled from the features' entity configurations. Each storage provider has a thin subclass so that it gets its own
/// migrations (SQLite and PostgreSQL differ in types and DDL).
/// </summary>
public abstract class PasslineDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>ASP.NET Core data-protection keys (antiforgery, cookies), shared by every node (SPEC 8).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>
    /// Statements kept prepared on the connection of SQLite's single writer (<see cref="RowInserts"/>), which disposes
    /// them before it closes that connection; null elsewhere.
    /// </summary>
    internal PreparedCommands? Prepared { get; set; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Each feature configures its own tables (an IEntityTypeConfiguration beside its entity), so this room knows none.
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PasslineDb).Assembly);
        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        // Columns a feature marked IsEncrypted() are stored encrypted with Passline:Secrets:Key (SPEC 8).
        EncryptedColumns.Apply(modelBuilder, EncryptedColumns.SecretBoxOf(this));
    }
}

public sealed class SqlitePasslineDb(DbContextOptions<SqlitePasslineDb> options) : PasslineDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type: store instants as Unix milliseconds so that they compare and sort in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
    }

    private sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(),
        v => DateTimeOffset.FromUnixTimeMilliseconds(v));
}

public sealed class PostgresPasslineDb(DbContextOptions<PostgresPasslineDb> options) : PasslineDb(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // An outbox row is updated twice: its claim sets only a lease, which no index holds, so the new version can stay
        // on the row's page without new index entries (a HOT update) if the page has room; filled to the brim by
        // inserts, it had room for ~40% of them. Pages kept 30% free made it every claim (49-50% of the updates, the
        // record being the other half): +12% full flows on the means of four interleaved pairs (docs/performance.md,
        // "This round").
        foreach (var outbox in modelBuilder.Model.GetEntityTypes().Where(e => e.ClrType.IsAssignableTo(typeof(Outbox.OutboxRow))).ToList())
        {
            modelBuilder.Entity(outbox.ClrType).HasStorageParameter("fillfactor", 70);
        }
    }
}
