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

    /// <summary>The default language of its pages and WhatsApp messages (<c>--language</c>), a supported tag.</summary>
    public string Language { get; set; } = Localization.Languages.Default;

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

    /// <summary><c>text</c> or <c>button</c> (SPEC 5 "Reply style"); null means the provider's default.</summary>
    public string? ReplyStyle { get; set; }

    /// <summary>The label of the success message's button; null means <c>Verify</c>.</summary>
    public string? ButtonLabel { get; set; }
}

public static class ReplyStyles
{
    public const string Text = "text";
    public const string Button = "button";
    public const string DefaultButtonLabel = "Verify";
    public const int MaxButtonLabel = 20;

    /// <summary>Buttons by default on the Cloud API; WhatsApp Web gateways cannot send them reliably.</summary>
    public static string Of(Instance instance) =>
        instance.Settings.ReplyStyle ?? (instance.Provider == Providers.CloudApi ? Button : Text);
}

public static class Providers
{
    public const string Simulator = "simulator";
    public const string Waha = "waha";
    public const string CloudApi = "cloud-api";

    public static readonly string[] All = [Simulator, Waha, CloudApi];

    /// <summary>
    /// Why the instance's provider cannot reach <paramref name="chatId"/> (the API's answer names
    /// <paramref name="field"/>), or null when it can: the Cloud API knows phone numbers and its own user ids, never a
    /// WhatsApp Web <c>@lid</c>.
    /// </summary>
    public static string? Unreachable(Instance instance, string chatId, string field) =>
        instance.Provider == CloudApi && chatId.EndsWith("@lid", StringComparison.Ordinal)
            ? $"The {field} must be a phone number on this instance: an @lid is a WhatsApp Web id, which the Cloud API does not know."
            : null;
}

internal sealed class InstanceConfiguration : IEntityTypeConfiguration<Instance>
{
    public void Configure(EntityTypeBuilder<Instance> e)
    {
        e.ToTable("instances");
        e.Property(i => i.Name).HasMaxLength(100);
        e.Property(i => i.Phone).HasMaxLength(20);
        e.Property(i => i.Provider).HasMaxLength(20);
        e.Property(i => i.Language).HasMaxLength(16).HasDefaultValue("en");

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

public static class AuthTemplates
{
    /// <summary>Meta's template language code when none is set (SPEC 8).</summary>
    public const string DefaultLanguage = "en_US";

    /// <summary>
    /// Whether <paramref name="code"/> is a locale as Meta names template languages: a language (<c>en</c>,
    /// <c>fil</c>) and optionally an underscore and a region (<c>en_US</c>, <c>pt_BR</c>). Written by hand because the
    /// server runs with invariant globalization, which knows no cultures.
    /// </summary>
    public static bool IsLocale(string code)
    {
        var parts = code.Split('_');
        return parts.Length <= 2
            && parts[0].Length is 2 or 3 && parts[0].All(char.IsAsciiLetterLower)
            && (parts.Length == 1 || (parts[1].Length == 2 && parts[1].All(char.IsAsciiLetterUpper)));
    }
}
