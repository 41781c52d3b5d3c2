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
}

public static class Providers
{
    public const string Simulator = "simulator";
    public const string Waha = "waha";
    public const string CloudApi = "cloud-api";

    public static readonly string[] All = [Simulator, Waha, CloudApi];
}
