using System.Text.Json;
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
            Content = JsonRequestBody.Of(new System.Text.Json.Nodes.JsonObject
            {
                ["session"] = settings.WahaSession ?? "default",
                ["chatId"] = message.ChatId,
                ["text"] = message.Text,
                ["linkPreview"] = false,
            }),
        };
        if (!string.IsNullOrEmpty(settings.WahaApiKey))
        {
            request.Headers.Add("X-Api-Key", settings.WahaApiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        // WAHA sends text only: a message that carries a link went as text, not as a button.
        var result = Delivery.Classify(response, now, response.IsSuccessStatusCode ? await MessageIdAsync(response, cancellationToken) : null);
        return message.Link is not null ? result with { AsText = true } : result;
    }

    /// <summary>
    /// WAHA answers with the sent message as its engine has it: WEBJS <c>{"id": {"_serialized": "true_..._..."}}</c>,
    /// GOWS <c>{"id": "..."}</c>, NOWEB (Baileys) <c>{"key": {"id": "..."}}</c>.
    /// </summary>
    private static async Task<string?> MessageIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            return ProviderJson.Text(ProviderJson.Property(root, "key"), "id")
                ?? ProviderJson.Text(root, "id")
                ?? ProviderJson.Text(ProviderJson.Property(root, "id"), "_serialized");
        }
        catch (JsonException)
        {
            // The message was accepted; an answer we cannot read does not make it unsent.
        }

        return null;
    }
}
