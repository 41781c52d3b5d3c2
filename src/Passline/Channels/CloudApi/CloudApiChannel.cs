using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;

namespace Passline.Channels.CloudApi;

/// <summary>
/// Sending through Meta's WhatsApp Cloud API: <c>POST {graph}/{version}/{phone_number_id}/messages</c> with the
/// access token (SPEC 5). Texts go without link preview; code OTPs use the instance's authentication template.
/// </summary>
public static class CloudApiChannel
{
    public static async Task<DeliveryResult> SendAsync(HttpClient http, ProviderSettings settings, OutboundMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var url = $"{(settings.GraphUrl ?? "https://graph.facebook.com").TrimEnd('/')}/{settings.GraphVersion ?? "v21.0"}/{settings.PhoneNumberId}/messages";
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(Body(settings, message)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);

        using var response = await http.SendAsync(request, cancellationToken);
        return Delivery.Classify(response, now, response.IsSuccessStatusCode ? await MessageIdAsync(response, cancellationToken) : null);
    }

    /// <summary>The Graph API addresses users by their number, digits only; other identities go as received.</summary>
    public static string Recipient(string chatId) => ChatId.Phone(chatId)?.TrimStart('+') ?? chatId;

    private static JsonObject Body(ProviderSettings settings, OutboundMessage message)
    {
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["to"] = Recipient(message.ChatId) };
        if (message.Kind == OutboundKinds.Code && !string.IsNullOrEmpty(settings.AuthTemplate) && message.Code is { } code)
        {
            // Authentication templates carry the code in the body and again in the copy-code button.
            body["type"] = "template";
            body["template"] = new JsonObject
            {
                ["name"] = settings.AuthTemplate,
                ["language"] = new JsonObject { ["code"] = settings.AuthTemplateLanguage ?? "en" },
                ["components"] = new JsonArray
                {
                    new JsonObject { ["type"] = "body", ["parameters"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = code } } },
                    new JsonObject
                    {
                        ["type"] = "button", ["sub_type"] = "url", ["index"] = "0",
                        ["parameters"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = code } },
                    },
                },
            };
        }
        else
        {
            body["type"] = "text";
            body["text"] = new JsonObject { ["body"] = message.Text, ["preview_url"] = false };
        }

        return body;
    }

    private static async Task<string?> MessageIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            return json?["messages"]?[0]?["id"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
