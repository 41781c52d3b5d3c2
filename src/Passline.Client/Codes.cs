using System.Text.Json.Serialization;

namespace Passline.Client;

/// <summary>
/// The body of <c>POST /request-code</c>. Optional fields left null are not sent, so the server's default applies.
/// Field names are the Hypersender API's camelCase ones.
/// </summary>
public sealed record RequestCodeRequest
{
    /// <summary>The WhatsApp user to send the code to (<c>20123456789@c.us</c>, <c>+20 123...</c>).</summary>
    [JsonPropertyName("chatId")]
    public required string ChatId { get; init; }

    /// <summary>Number of characters, 4 to 10 (server default 6).</summary>
    [JsonPropertyName("length")]
    public int? Length { get; init; }

    /// <summary>Use digits (server default true).</summary>
    [JsonPropertyName("useNumber")]
    public bool? UseNumber { get; init; }

    /// <summary>Use letters (server default false).</summary>
    [JsonPropertyName("useLetter")]
    public bool? UseLetter { get; init; }

    /// <summary>Upper-case letters instead of lower-case ones (server default false).</summary>
    [JsonPropertyName("allCapital")]
    public bool? AllCapital { get; init; }

    /// <summary>The application name used in the message (server default: the instance's name).</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>Lifetime in seconds, 60 to 1800 (server default 1800).</summary>
    [JsonPropertyName("expires")]
    public int? Expires { get; init; }

    /// <summary>A supported BCP 47 tag (<c>ar</c>, <c>pt-BR</c>, ...): the language of the code's message (server default: the instance's).</summary>
    [JsonPropertyName("language")]
    public string? Language { get; init; }
}

/// <summary>The <c>data</c> of a request-code answer.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="ChatId">The chat the code is sent to, normalised.</param>
/// <param name="Code">The code that was sent.</param>
/// <param name="Status"><c>pending</c>, then <c>sent</c> once the provider accepts the message.</param>
/// <param name="OtpType"><c>code</c>.</param>
/// <param name="ExpiresAt">When the code expires.</param>
/// <param name="CreatedAt">When the request was created.</param>
public sealed record RequestedCode(
    Guid Uuid, string ChatId, string Code, string Status, string OtpType, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>The <c>data</c> of a successful validate-code answer.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="ChatId">The chat whose code was validated.</param>
/// <param name="Status"><c>validated</c>.</param>
/// <param name="ValidatedAt">When the code was validated.</param>
public sealed record ValidatedCode(Guid Uuid, string ChatId, string Status, DateTimeOffset ValidatedAt);
