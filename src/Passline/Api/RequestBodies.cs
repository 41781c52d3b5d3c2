using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Passline.Api;

// The request bodies as the OpenAPI document describes them. Handlers read bodies field by field (FieldReader), so that
// every way a body can be wrong is a 4xx naming the field; these records only declare the shape, with the exact field
// names of SPEC 2.2 (chatId in camelCase, as the Hypersender API has it; chat_id is accepted as an alias).

[Description("Every field is optional.")]
public sealed record GenerateLinkRequest(
    [property: JsonPropertyName("expires"), Range(60, 86400), Description("Seconds until the link expires. Default 1800.")] int? Expires = null,
    [property: JsonPropertyName("name"), StringLength(100, MinimumLength = 1), Description("The application name shown to the user. Default: the instance's name.")] string? Name = null,
    [property: JsonPropertyName("chatId"), Description("Only this WhatsApp user may complete the request: 201063178738@c.us, +20 106 317 8738 or 201063178738; an empty string means none. Alias: chat_id.")] string? ChatId = null,
    [property: JsonPropertyName("message"), Description("The WhatsApp texts; an empty array ([], PHP's empty array) counts as absent.")] LinkMessages? Message = null,
    [property: JsonPropertyName("callback"), Description("The callback URLs; an empty array ([], PHP's empty array) counts as absent.")] LinkCallbacks? Callback = null,
    [property: JsonPropertyName("redirect"), StringLength(2048), Description("Where the browser goes after Verify, with ?otp_uuid=...&otp_token=...; its origin must be among the instance's allowed redirect origins.")] string? Redirect = null,
    [property: JsonPropertyName("language"), StringLength(35), Description(RequestBodies.LanguageDescription)] string? Language = null);

[Description("The WhatsApp texts. Placeholders: {name}, {code}, and in success also {link}.")]
public sealed record LinkMessages(
    [property: JsonPropertyName("prompt"), StringLength(500, MinimumLength = 1), Description("The pre-filled message; must not contain [ or ]. Default: Give me link to login at {name}")] string? Prompt = null,
    [property: JsonPropertyName("success"), StringLength(1000, MinimumLength = 1), Description("The reply with the verification link; must contain {link}. Default: Here is your login link: {link}")] string? Success = null,
    [property: JsonPropertyName("failed"), StringLength(1000, MinimumLength = 1), Description("Default: Login failed, please try again later.")] string? Failed = null,
    [property: JsonPropertyName("expired"), StringLength(1000, MinimumLength = 1), Description("Default: The link has been expired, please try another one.")] string? Expired = null);

[Description("Signed callbacks (Standard Webhooks) when the request ends.")]
public sealed record LinkCallbacks(
    [property: JsonPropertyName("success"), StringLength(2048), Description("Absolute https URL called when the request is verified.")] string? Success = null,
    [property: JsonPropertyName("failed"), StringLength(2048), Description("Absolute https URL called when the request fails or expires.")] string? Failed = null);

public sealed record RequestCodeRequest(
    [property: JsonPropertyName("chatId"), Required, Description("The WhatsApp user to send the code to: 201063178738@c.us, +20 106 317 8738 or 201063178738. Alias: chat_id.")] string ChatId,
    [property: JsonPropertyName("length"), Range(4, 10), Description("Code length. Default 6.")] int? Length = null,
    [property: JsonPropertyName("useNumber"), Description("Digits in the code. Default true.")] bool? UseNumber = null,
    [property: JsonPropertyName("useLetter"), Description("Letters in the code. Default false. At least one of useNumber and useLetter must be true.")] bool? UseLetter = null,
    [property: JsonPropertyName("allCapital"), Description("Capital letters; lower-case otherwise. Default false.")] bool? AllCapital = null,
    [property: JsonPropertyName("name"), StringLength(100, MinimumLength = 1), Description("The application name in the message. Default: the instance's name.")] string? Name = null,
    [property: JsonPropertyName("expires"), Range(60, 86400), Description("Seconds until the code expires, 60 to 86400. Default 1800.")] int? Expires = null,
    [property: JsonPropertyName("callback"), Description("(extension) Signed callbacks when the request ends: validated, or failed (a code that could not be delivered ends failed, reason undeliverable).")] LinkCallbacks? Callback = null,
    [property: JsonPropertyName("language"), StringLength(35), Description(RequestBodies.LanguageDescription)] string? Language = null);

internal static class RequestBodies
{
    public const string LanguageDescription =
        "The language of the default WhatsApp messages and of the pages for this request: en, ar, pt-BR, es, id, hi, tr, fr, de or ru "
        + "(a regional variant such as es-MX counts as its language). Default: the instance's language; pages without one follow the browser.";
}

public sealed record ValidateCodeRequest(
    [property: JsonPropertyName("chatId"), Required, Description("The WhatsApp user the code was sent to. Alias: chat_id.")] string ChatId,
    [property: JsonPropertyName("code"), Required, Description("The code the user typed (a string, or a number for digit-only codes).")] string Code);

public sealed record ExchangeRequest(
    [property: JsonPropertyName("token"), Required, StringLength(200, MinimumLength = 1), Description("The otp_token the browser brought back to the redirect.")] string Token);

public sealed record SimulatorInboundRequest(
    [property: JsonPropertyName("from"), Required, Description("The sender: a phone number or chat id.")] string From,
    [property: JsonPropertyName("text"), Required, StringLength(4096, MinimumLength = 1)] string Text,
    [property: JsonPropertyName("id"), StringLength(200), Description("The provider message id; a repeated id is ignored. Default: a new one.")] string? Id = null);
