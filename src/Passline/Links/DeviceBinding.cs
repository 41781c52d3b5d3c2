using System.Security.Cryptography;
using Passline.Instances;
using Passline.Requests;

namespace Passline.Links;

/// <summary>
/// The device binding of a link request (SPEC 4.2, 4.3): the browser that opens <c>link_url</c> gets a random cookie for
/// that request, and the request keeps only its SHA-256 and a summary of the browser (<c>Chrome on Windows</c>). When
/// Verify is pressed in another browser, the bound one receives the redirect, and the verification page can tell the
/// person that approving signs in another device.
/// </summary>
public static class DeviceBinding
{
    /// <summary>
    /// The binding cookie's name. Over HTTPS it has the <c>__Host-</c> prefix: a browser then takes it only from this
    /// host, secure and for the whole site, so a sibling subdomain cannot plant one.
    /// </summary>
    public static string CookieName(Guid request, bool https) => https ? $"__Host-passline-link-{request:N}" : $"passline-link-{request:N}";

    /// <summary>The SHA-256 of this browser's binding cookie for <paramref name="request"/>, or null when it has none.</summary>
    public static byte[]? Read(HttpRequest http, Guid request) =>
        http.Cookies.TryGetValue(CookieName(request, http.IsHttps), out var value) && IsWellFormed(value) ? Secrets.Hash(value) : null;

    /// <summary>Whether this browser holds the binding of <paramref name="request"/>.</summary>
    public static bool Holds(HttpRequest http, OtpRequest request) =>
        request.DeviceBindingHash is { } bound && Read(http, request.Id) is { } mine && CryptographicOperations.FixedTimeEquals(bound, mine);

    /// <summary>
    /// Gives this browser a new binding cookie for <paramref name="request"/> and returns the cookie's hash. Always a
    /// new value: a binding is issued once, to a request nobody holds yet, so a value the browser already sends was
    /// not ours to trust (planted to share the binding). The cookie lives until the request has expired and its
    /// redirect could be handed over.
    /// </summary>
    public static byte[] Issue(HttpContext context, OtpRequest request, DateTimeOffset now)
    {
        var value = Secrets.NewUrlToken();
        context.Response.Cookies.Append(CookieName(request.Id, context.Request.IsHttps), value, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax, // sent when the verification link is opened from WhatsApp (a top-level navigation)
            Path = "/",
            MaxAge = request.ExpiresAt + RequestLifecycle.ExchangeLifetime - now, // relative: immune to the browser's clock
            IsEssential = true,
        });
        return Secrets.Hash(value);
    }

    /// <summary>A short, non-secret fingerprint of a binding, for the verification form to say which binding it showed.</summary>
    public static string Fingerprint(byte[]? hash) => hash is null ? "none" : Convert.ToHexString(hash, 0, 8);

    /// <summary>Whether the User-Agent is a phone's or a tablet's, which go straight to WhatsApp (SPEC 4.3).</summary>
    public static bool IsPhone(string? userAgent) =>
        userAgent is not null && (userAgent.Contains("Android", StringComparison.OrdinalIgnoreCase)
            || userAgent.Contains("iPhone", StringComparison.Ordinal) || userAgent.Contains("iPad", StringComparison.Ordinal)
            || userAgent.Contains("Mobile", StringComparison.Ordinal));

    /// <summary>The browser and the operating system a User-Agent names, as a person says them: <c>Safari on iPhone</c>.</summary>
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown browser";
        }

        var ua = userAgent;
        var browser =
            Has(ua, "Edg/") || Has(ua, "EdgA/") || Has(ua, "EdgiOS/") ? "Edge"
            : Has(ua, "OPR/") || Has(ua, "Opera") ? "Opera"
            : Has(ua, "SamsungBrowser/") ? "Samsung Internet"
            : Has(ua, "Firefox/") || Has(ua, "FxiOS/") ? "Firefox"
            : Has(ua, "CriOS/") || Has(ua, "Chrome/") || Has(ua, "Chromium/") ? "Chrome"
            : Has(ua, "Safari/") && Has(ua, "Version/") ? "Safari"
            : Has(ua, "curl/") || Has(ua, "bot") || Has(ua, "Bot") ? "An automated client"
            : "Unknown browser";
        var os =
            Has(ua, "iPhone") ? "iPhone"
            : Has(ua, "iPad") ? "iPad"
            : Has(ua, "Android") ? "Android"
            : Has(ua, "Windows") ? "Windows"
            : Has(ua, "CrOS") ? "ChromeOS"
            : Has(ua, "Macintosh") || Has(ua, "Mac OS X") ? "macOS"
            : Has(ua, "Linux") ? "Linux"
            : null;
        return os is null ? browser : $"{browser} on {os}";
    }

    /// <summary>
    /// <see cref="Describe"/>'s stored sentence in the page's language: product names stay as they are, the words
    /// around them are translated (<c>Chrome auf Windows</c>, <c>Chrome على Windows</c>). Null stays null.
    /// </summary>
    public static string? Localized(string? description, Microsoft.Extensions.Localization.IStringLocalizer texts)
    {
        if (description is null)
        {
            return null;
        }

        var on = description.LastIndexOf(" on ", StringComparison.Ordinal);
        return on > 0
            ? texts["{0} on {1}", Words(description[..on], texts), description[(on + 4)..]].Value
            : Words(description, texts);
    }

    private static string Words(string browser, Microsoft.Extensions.Localization.IStringLocalizer texts) =>
        browser is "Unknown browser" or "An automated client" ? texts[browser].Value : browser;

    private static bool Has(string ua, string part) => ua.Contains(part, StringComparison.Ordinal);

    private static bool IsWellFormed(string value) =>
        value.Length is >= 40 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
