namespace Passline.Client;

/// <summary>Where Passline is and which instance this application is (configuration section <c>Passline</c> by default).</summary>
public sealed class PasslineClientOptions
{
    /// <summary>Passline's base URL, such as <c>https://passline.example.com</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The instance's id.</summary>
    public Guid Instance { get; set; }

    /// <summary>An API token of the instance (<c>pl_...</c>).</summary>
    public string? ApiToken { get; set; }

    /// <summary>
    /// The instance's callback signing secret (<c>whsec_...</c>). Needed only by <c>MapPasslineCallback</c>, which
    /// refuses every callback while it is unset.
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>How far a callback's signing time may be from now; default five minutes (Standard Webhooks).</summary>
    public TimeSpan CallbackTolerance { get; set; } = CallbackVerifier.DefaultTolerance;
}
