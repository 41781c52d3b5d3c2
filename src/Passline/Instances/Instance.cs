using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Passline.Storage;

namespace Passline.Instances;

/// <summary>One WhatsApp business number connected through one provider (SPEC 1).</summary>
public sealed class Instance
{
    public Guid Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The business number, digits only, as used in <c>https://wa.me/&lt;phone&gt;</c>.</summary>
    public required string Phone { get; set; }

    /// <summary><c>simulator</c>, <c>waha</c> or <c>cloud-api</c>.</summary>
    public required string Provider { get; set; }

    /// <summary>Standard Webhooks signing secret (<c>whsec_...</c>); kept readable because callbacks are signed with it.</summary>
    public required string WebhookSecret { get; set; }

    /// <summary>Origins (<c>scheme://host[:port]</c>) that <c>redirect</c> may point to.</summary>
    public List<string> RedirectOrigins { get; set; } = [];

    public ProviderSettings Settings { get; set; } = new();
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Per-instance provider settings and credentials (SPEC 5, 8). Unused fields stay null.</summary>
public sealed class ProviderSettings
{
    public string? WahaUrl { get; set; }
    public string? WahaSession { get; set; }
    public string? WahaApiKey { get; set; }
    public string? WahaHmacKey { get; set; }
    public string? GraphUrl { get; set; }
    public string? GraphVersion { get; set; }
    public string? PhoneNumberId { get; set; }
    public string? AccessToken { get; set; }
    public string? AppSecret { get; set; }
    public string? VerifyToken { get; set; }
    public string? AuthTemplate { get; set; }
    public string? AuthTemplateLanguage { get; set; }
}

public static class Providers
{
    public const string Simulator = "simulator";
    public const string Waha = "waha";
    public const string CloudApi = "cloud-api";

    public static readonly string[] All = [Simulator, Waha, CloudApi];
}

internal sealed class InstanceConfiguration : IEntityTypeConfiguration<Instance>
{
    public void Configure(EntityTypeBuilder<Instance> e)
    {
        e.ToTable("instances");
        e.Property(i => i.Name).HasMaxLength(100);
        e.Property(i => i.Phone).HasMaxLength(20);
        e.Property(i => i.Provider).HasMaxLength(20);

        // Whoever reads the database must not be able to act as the business (SPEC 8).
        e.Property(i => i.WebhookSecret).IsEncrypted();
        e.ComplexProperty(i => i.Settings, s =>
        {
            s.Property(p => p.WahaApiKey).IsEncrypted();
            s.Property(p => p.WahaHmacKey).IsEncrypted();
            s.Property(p => p.AccessToken).IsEncrypted();
            s.Property(p => p.AppSecret).IsEncrypted();
            s.Property(p => p.VerifyToken).IsEncrypted();
        });
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> e)
    {
        e.ToTable("api_tokens");
        e.HasIndex(t => t.Hash).IsUnique();
        e.HasOne(t => t.Instance).WithMany().HasForeignKey(t => t.InstanceId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_api_tokens_instances_instance_id");
    }
}

public static class InstanceTables
{
    extension(PasslineDb db)
    {
        public DbSet<Instance> Instances => db.Set<Instance>();
        public DbSet<ApiToken> ApiTokens => db.Set<ApiToken>();
    }
}
