using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Passline.Instances;
using Passline.Links;

namespace Passline.Storage;

/// <summary>
/// The one database model. Each storage provider has a thin subclass so that it gets its own
/// migrations (SQLite and PostgreSQL differ in types and DDL).
/// </summary>
public abstract class PasslineDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<Instance> Instances => Set<Instance>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<OtpRequest> OtpRequests => Set<OtpRequest>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Instance>(e =>
        {
            e.ToTable("instances");
            e.Property(i => i.Name).HasMaxLength(100);
            e.Property(i => i.Phone).HasMaxLength(20);
            e.Property(i => i.Provider).HasMaxLength(20);
            e.ComplexProperty(i => i.Settings);
        });

        modelBuilder.Entity<ApiToken>(e =>
        {
            e.ToTable("api_tokens");
            e.HasIndex(t => t.Hash).IsUnique();
            e.HasOne(t => t.Instance).WithMany().HasForeignKey(t => t.InstanceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<OtpRequest>(e =>
        {
            e.ToTable("otp_requests");
            e.Property(r => r.OtpType).HasMaxLength(8);
            e.Property(r => r.Code).HasMaxLength(16);
            e.Property(r => r.Status).HasMaxLength(16);
            e.Property(r => r.FailedReason).HasMaxLength(32);
            e.HasOne<Instance>().WithMany().HasForeignKey(r => r.InstanceId).OnDelete(DeleteBehavior.Cascade);

            // A link code identifies its request among the instance's open requests (SPEC 2.2);
            // the database enforces it so that concurrent generate-link calls cannot collide.
            e.HasIndex(r => new { r.InstanceId, r.Code }, "open_link_code")
                .HasDatabaseName("ix_otp_requests_open_link_code")
                .HasFilter("otp_type = 'link' AND status = 'pending'")
                .IsUnique();
            e.HasIndex(r => new { r.InstanceId, r.Code }, "instance_code").HasDatabaseName("ix_otp_requests_instance_code");
            e.HasIndex(r => new { r.InstanceId, r.ChatId, r.CreatedAt });
            e.HasIndex(r => r.VerificationTokenHash).IsUnique();
            e.HasIndex(r => r.ExchangeTokenHash).IsUnique();
            e.HasIndex(r => new { r.Status, r.ExpiresAt });
        });
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

public sealed class PostgresPasslineDb(DbContextOptions<PostgresPasslineDb> options) : PasslineDb(options);
