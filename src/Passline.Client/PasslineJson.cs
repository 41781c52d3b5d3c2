using System.Text.Json;
using System.Text.Json.Serialization;

namespace Passline.Client;

/// <summary>
/// The wire format: responses are snake_case (the naming policy); request bodies carry the Hypersender
/// API's camelCase names, spelled out with <see cref="JsonPropertyNameAttribute"/> on each request record.
/// Null request fields are left out so that the server's defaults apply.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GenerateLinkRequest))]
[JsonSerializable(typeof(RequestCodeRequest))]
[JsonSerializable(typeof(ValidateCodeBody))]
[JsonSerializable(typeof(ExchangeBody))]
[JsonSerializable(typeof(ApiEnvelope<GeneratedLink>), TypeInfoPropertyName = "GeneratedLinkEnvelope")]
[JsonSerializable(typeof(ApiEnvelope<RequestedCode>), TypeInfoPropertyName = "RequestedCodeEnvelope")]
[JsonSerializable(typeof(ApiEnvelope<ValidatedCode>), TypeInfoPropertyName = "ValidatedCodeEnvelope")]
[JsonSerializable(typeof(ApiEnvelope<OtpRequestDetails>), TypeInfoPropertyName = "OtpRequestDetailsEnvelope")]
[JsonSerializable(typeof(ApiEnvelope<VerifiedIdentity>), TypeInfoPropertyName = "VerifiedIdentityEnvelope")]
[JsonSerializable(typeof(ApiEnvelope<JsonElement>), TypeInfoPropertyName = "JsonElementEnvelope")]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(CallbackPayload))]
internal sealed partial class PasslineJson : JsonSerializerContext;

/// <summary><c>{"success": true, "message": "...", "data": {...}}</c></summary>
internal sealed record ApiEnvelope<T>(bool Success, string? Message, T? Data);

/// <summary><c>{"success": false, "message": "...", "errors": {"field": ["..."]}}</c></summary>
internal sealed record ErrorEnvelope(bool Success, string? Message, Dictionary<string, string[]>? Errors);

internal sealed record ValidateCodeBody(
    [property: JsonPropertyName("chatId")] string ChatId,
    [property: JsonPropertyName("code")] string Code);

internal sealed record ExchangeBody([property: JsonPropertyName("token")] string Token);
