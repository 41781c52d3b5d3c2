namespace Passline.Api;

/// <summary>
/// <c>Passline:Limits</c>: how large a request body may be (SPEC 6). Kestrel enforces
/// <see cref="RequestBodyBytes"/> on every request; a provider's webhook raises it for itself to
/// <see cref="WebhookBodyBytes"/> before it reads, since a provider batches messages into one delivery.
/// </summary>
public sealed class BodyLimitOptions
{
    public const string Section = "Passline:Limits";

    /// <summary>An API call's body, and a page's form (SPEC 6: 64 KiB).</summary>
    public int RequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// A provider webhook's body. Meta batches up to 1,000 updates (messages and statuses) into one delivery, several
    /// hundred KiB, and retries whatever is refused; WAHA's events carry the engine's raw message beside its own fields.
    /// </summary>
    public int WebhookBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A limit as the 413 answer names it: <c>64 KiB</c>, <c>4 MiB</c>, or bytes.</summary>
    public static string Describe(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";
}
