using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Passline.Instances;
using Passline.Outbox;

namespace Passline.Channels.Waha;

/// <summary>Sending through a WAHA gateway: <c>POST {base}/api/sendText</c> with <c>X-Api-Key</c> (SPEC 5).</summary>
public static class WahaChannel
{
    public static async Task<DeliveryResult> SendAsync(HttpClient http, ProviderSettings settings, OutboundMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.WahaUrl!.TrimEnd('/')}/api/sendText")
        {
            Content = JsonContent.Create(new SendText(settings.WahaSession ?? "default", message.ChatId, message.Text, LinkPreview: false)),
        };
        if (!string.IsNullOrEmpty(settings.WahaApiKey))
        {
            request.Headers.Add("X-Api-Key", settings.WahaApiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        return Delivery.Classify(response, now, response.IsSuccessStatusCode ? await MessageIdAsync(response, cancellationToken) : null);
    }

    private sealed record SendText(
        [property: JsonPropertyName("session")] string Session,
        [property: JsonPropertyName("chatId")] string ChatId,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("linkPreview")] bool LinkPreview);

    /// <summary>WAHA answers with the sent message; its id is a string or, on some engines, <c>{"_serialized": "..."}</c>.</summary>
    private static async Task<string?> MessageIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("id", out var id))
            {
                return id.ValueKind == JsonValueKind.String ? id.GetString()
                    : id.ValueKind == JsonValueKind.Object && id.TryGetProperty("_serialized", out var serialized) ? serialized.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // The message was accepted; an answer we cannot read does not make it unsent.
        }

        return null;
    }
}
