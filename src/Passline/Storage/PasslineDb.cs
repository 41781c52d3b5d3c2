using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Passline.Callbacks;
using Passline.Channels;
using Passline.Channels.Simulator;
using Passline.Inbound;
using Passline.Instances;
using Passline.Links;

namespace Passline.Storage;

/// <summary>
/// The one database model. Each storage provider has a thin subclass so that it gets its own
/// migrations (SQLite and PostgreSQL differ in types and DDL).
/// </summary>
public abstract class PasslineDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Instance> Instances => Set<Instance>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<OtpRequest> OtpRequests => Set<OtpRequest>();
    public DbSet<InboundMessage> InboundMessages => Set<InboundMessage>();
    public DbSet<OutboundMessage> OutboundMessages => Set<OutboundMessage>();
    public DbSet<OutboundAttempt> OutboundAttempts => Set<OutboundAttempt>();
    public DbSet<CallbackDelivery> CallbackDeliveries => Set<CallbackDelivery>();
    public DbSet<CallbackAttempt> CallbackAttempts => Set<CallbackAttempt>();
    public DbSet<Api.RateCounter> RateCounters => Set<Api.RateCounter>();
    public DbSet<SimulatedPhoneMessage> SimulatedPhoneMessages => Set<SimulatedPhoneMessage>();

    /// <summary>ASP.NET Core data-protection keys (antiforgery, cookies), shared by every node (SPEC 8).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Credentials, signing secrets and messages waiting to be sent are stored encrypted (SPEC 8).
        var encrypted = new EncryptedConverter(EncryptedColumns.SecretBoxOf(this));

        modelBuilder.Entity<Instance>(e =>
        {
            e.ToTable("instances");
            e.Property(i => i.Name).HasMaxLength(100);
            e.Property(i => i.Phone).HasMaxLength(20);
            e.Property(i => i.Provider).HasMaxLength(20);
            e.Property(i => i.WebhookSecret).HasConversion((ValueConverter)encrypted);
            e.ComplexProperty(i => i.Settings, s =>
            {
                s.Property(p => p.WahaApiKey).HasConversion((ValueConverter)encrypted);
                s.Property(p => p.WahaHmacKey).HasConversion((ValueConverter)encrypted);
                s.Property(p => p.AccessToken).HasConversion((ValueConverter)encrypted);
                s.Property(p => p.AppSecret).HasConversion((ValueConverter)encrypted);
                s.Property(p => p.VerifyToken).HasConversion((ValueConverter)encrypted);
            });
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
            e.Property(r => r.DeviceDescription).HasMaxLength(100);
            e.HasOne<Instance>().WithMany().HasForeignKey(r => r.InstanceId).OnDelete(DeleteBehavior.Cascade);

            // A link code identifies its request among the instance's open requests (SPEC 2.2);
            // the database enforces it so that concurrent generate-link calls cannot collide.
            e.HasIndex(r => new { r.InstanceId, r.Code }, "open_link_code")
                .HasDatabaseName("ix_otp_requests_open_link_code")
                .HasFilter("otp_type = 'link' AND status = 'pending'")
                .IsUnique();
            e.HasIndex(r => new { r.InstanceId, r.Code }, "instance_code").HasDatabaseName("ix_otp_requests_instance_code");
            e.HasIndex(r => new { r.InstanceId, r.ChatId, r.CreatedAt });
            e.HasIndex(r => new { r.InstanceId, r.BoundChatId, r.CreatedAt });
            e.HasIndex(r => r.VerificationTokenHash).IsUnique();
            e.HasIndex(r => r.ExchangeTokenHash).IsUnique();
            e.HasIndex(r => new { r.Status, r.ExpiresAt });
        });

        modelBuilder.Entity<InboundMessage>(e =>
        {
            e.ToTable("inbound_messages");
            e.Property(m => m.ProviderMessageId).HasMaxLength(200);
            e.Property(m => m.Outcome).HasMaxLength(16);

            // Deduplication: the database refuses a provider message id it has seen, also from concurrent deliveries.
            e.HasIndex(m => new { m.InstanceId, m.ProviderMessageId }).IsUnique();
            e.HasIndex(m => new { m.InstanceId, m.ChatId, m.ReceivedAt });
            e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<OutboundMessage>(e =>
        {
            e.ToTable("outbound_messages");
            e.Property(m => m.Kind).HasMaxLength(8);
            e.Property(m => m.Status).HasMaxLength(16);
            e.Property(m => m.Text).HasConversion((ValueConverter)encrypted);
            e.Property(m => m.Code).HasConversion((ValueConverter)encrypted);
            e.HasIndex(m => new { m.Status, m.NextAttemptAt });
            e.HasIndex(m => new { m.InstanceId, m.ChatId, m.CreatedAt });
            e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<OutboundAttempt>(e =>
        {
            e.ToTable("outbound_attempts");
            e.Property(a => a.Outcome).HasMaxLength(16);
            e.HasIndex(a => a.MessageId);
            e.HasOne<OutboundMessage>().WithMany().HasForeignKey(a => a.MessageId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CallbackDelivery>(e =>
        {
            e.ToTable("callback_deliveries");
            e.Property(d => d.Url).HasMaxLength(2048);
            e.Property(d => d.Status).HasMaxLength(16);
            e.Ignore(d => d.WebhookId);
            e.HasIndex(d => new { d.Status, d.NextAttemptAt });
            e.HasIndex(d => d.RequestId);
            e.HasOne<Instance>().WithMany().HasForeignKey(d => d.InstanceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CallbackAttempt>(e =>
        {
            e.ToTable("callback_attempts");
            e.Property(a => a.Outcome).HasMaxLength(16);
            e.HasIndex(a => a.DeliveryId);
            e.HasOne<CallbackDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Api.RateCounter>(e =>
        {
            e.ToTable("rate_counters");
            e.HasKey(c => new { c.Key, c.WindowStart });
            e.Property(c => c.Key).HasMaxLength(200);
            e.HasIndex(c => c.WindowStart);
        });

        modelBuilder.Entity<SimulatedPhoneMessage>(e =>
        {
            e.ToTable("simulated_phone_messages");
            e.HasIndex(m => new { m.InstanceId, m.ChatId, m.SentAt });
            e.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
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
