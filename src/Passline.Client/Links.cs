using System.Text.Json.Serialization;

namespace Passline.Client;

/// <summary>
/// The body of <c>POST /generate-link</c>. Every field is optional; a field left null is not sent, so the
/// server's default applies. Field names are the Hypersender API's camelCase ones.
/// </summary>
public sealed record GenerateLinkRequest
{
    /// <summary>Lifetime in seconds, 60 to 86400 (server default 1800).</summary>
    [JsonPropertyName("expires")]
    public int? Expires { get; init; }

    /// <summary>The application name shown to the user and used for <c>{name}</c> (server default: the instance's name).</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>When set, only this WhatsApp user (<c>20123456789@c.us</c>, <c>+20 123...</c>) can complete the request.</summary>
    [JsonPropertyName("chatId")]
    public string? ChatId { get; init; }

    /// <summary>The texts of the conversation.</summary>
    [JsonPropertyName("message")]
    public LinkMessages? Message { get; init; }

    /// <summary>Where Passline POSTs the signed callback when the request ends.</summary>
    [JsonPropertyName("callback")]
    public LinkCallbacks? Callback { get; init; }

    /// <summary>Absolute URL (its origin allowed for the instance) the browser goes to after Verify.</summary>
    [JsonPropertyName("redirect")]
    public string? Redirect { get; init; }

    /// <summary>
    /// A supported BCP 47 tag (<c>ar</c>, <c>pt-BR</c>, ...): the language of the default messages and of the pages for
    /// this request (server default: the instance's language; pages without one follow the browser).
    /// </summary>
    [JsonPropertyName("language")]
    public string? Language { get; init; }
}

/// <summary>
/// The WhatsApp texts of a link request; null fields take the server's defaults.
/// Placeholders: <c>{name}</c>, <c>{code}</c>, and in <see cref="Success"/> also <c>{link}</c>.
/// </summary>
public sealed record LinkMessages
{
    /// <summary>The pre-filled message the user sends; must not contain <c>[</c> or <c>]</c>.</summary>
    [JsonPropertyName("prompt")]
    public string? Prompt { get; init; }

    /// <summary>The answer carrying the verification URL; must contain <c>{link}</c>.</summary>
    [JsonPropertyName("success")]
    public string? Success { get; init; }

    /// <summary>The answer when the request cannot be completed.</summary>
    [JsonPropertyName("failed")]
    public string? Failed { get; init; }

    /// <summary>The answer when the request has expired.</summary>
    [JsonPropertyName("expired")]
    public string? Expired { get; init; }
}

/// <summary>Callback URLs of a link request: absolute <c>https</c> URLs.</summary>
public sealed record LinkCallbacks
{
    /// <summary>Called when the request is verified.</summary>
    [JsonPropertyName("success")]
    public string? Success { get; init; }

    /// <summary>Called when the request fails or expires.</summary>
    [JsonPropertyName("failed")]
    public string? Failed { get; init; }
}

/// <summary>The <c>data</c> of a generate-link answer.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="Code">The 8-letter code the user's WhatsApp message carries in brackets.</param>
/// <param name="ChatId">The bound chat, or null until a user sends the code.</param>
/// <param name="Status">See <see cref="OtpStatus"/>; <c>pending</c> when created.</param>
/// <param name="OtpType"><c>link</c>.</param>
/// <param name="ExpiresAt">When the request expires.</param>
/// <param name="CreatedAt">When the request was created.</param>
/// <param name="WhatsappLink">
/// The <c>https://wa.me/...?text=...</c> link to show the user. Kept as a string: <see cref="Uri.ToString"/>
/// would unescape the pre-filled text.
/// </param>
/// <param name="LinkUrl">Passline's own page for the link: QR code on a desktop, WhatsApp on a phone.</param>
public sealed record GeneratedLink(
    Guid Uuid, string Code, string? ChatId, string Status, string OtpType,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string WhatsappLink, string LinkUrl);
