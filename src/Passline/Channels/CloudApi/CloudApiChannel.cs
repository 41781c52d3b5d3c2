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
/// access token (SPEC 5). A phone number goes in <c>to</c>, a business-scoped user id in <c>recipient</c>. Texts go
/// without link preview; the success message as a <c>cta_url</c> button when the instance replies with buttons, and as
/// text when Meta refuses that; code OTPs use the instance's authentication template.
/// </summary>
public static class CloudApiChannel
{
    public static async Task<DeliveryResult> SendAsync(HttpClient http, Instance instance, OutboundMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = instance.Settings;
        if (message.Link is not null && ReplyStyles.Of(instance) == ReplyStyles.Button)
        {
            var (interactive, refusal) = await PostAsync(http, settings, Button(message, settings.ButtonLabel ?? ReplyStyles.DefaultButtonLabel), now, cancellationToken);
            if (interactive.Outcome != DeliveryOutcome.GiveUp || refusal?.RefusesAnyMessage == true)
            {
                return interactive;
            }

            // Meta refused the interactive message (an old client, a policy, a label it does not take): the text still works.
        }

        var (text, _) = await PostAsync(http, settings, Body(settings, message), now, cancellationToken);
        return message.Link is not null ? text with { AsText = true } : text;
    }

    private static async Task<(DeliveryResult Result, CloudApiError? Refusal)> PostAsync(
        HttpClient http, ProviderSettings settings, JsonObject body, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var url = $"{(settings.GraphUrl ?? "https://graph.facebook.com").TrimEnd('/')}/{settings.GraphVersion ?? "v21.0"}/{settings.PhoneNumberId}/messages";
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonRequestBody.Of(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);

        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return (Delivery.Classify(response, now, await MessageIdAsync(response, cancellationToken)), null);
        }

        var refusal = await CloudApiError.ReadAsync(response, cancellationToken);
        return refusal is null ? (Delivery.Classify(response, now), null) : (refusal.Classify(response, now), refusal);
    }

    /// <summary>
    /// The start of every body: a phone number (digits only) in <c>to</c>; a business-scoped user id, which Meta refuses
    /// in <c>to</c>, in <c>recipient</c> (SPEC 5).
    /// </summary>
    public static JsonObject Addressed(string chatId)
    {
        var body = new JsonObject { ["messaging_product"] = "whatsapp", ["recipient_type"] = "individual" };
        if (ChatId.Digits(chatId) is { } digits)
        {
            body["to"] = digits;
        }
        else
        {
            body["recipient"] = chatId;
        }

        return body;
    }

    /// <summary>
    /// An interactive call-to-action message: the success text without its link as the body, and a button that opens
    /// the link (Meta's <c>cta_url</c>).
    /// </summary>
    public static JsonObject Button(OutboundMessage message, string label)
    {
        var body = Addressed(message.ChatId);
        body["type"] = "interactive";
        body["interactive"] = new JsonObject
        {
            ["type"] = "cta_url",
            ["body"] = new JsonObject { ["text"] = WithoutLink(message.Text, message.Link!) },
            ["action"] = new JsonObject
            {
                ["name"] = "cta_url",
                ["parameters"] = new JsonObject { ["display_text"] = label, ["url"] = message.Link },
            },
        };
        return body;
    }

    /// <summary>The text with the link taken out, and the spaces and line breaks it leaves tidied.</summary>
    public static string WithoutLink(string text, string link)
    {
        var lines = text.Replace(link, "", StringComparison.Ordinal).Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        var tidy = string.Join('\n', lines).Trim();
        return tidy.Length > 0 ? tidy : text;
    }

    private static JsonObject Body(ProviderSettings settings, OutboundMessage message)
    {
        var body = Addressed(message.ChatId);
        if (message.Kind == OutboundKinds.Code && !string.IsNullOrEmpty(settings.AuthTemplate) && message.Code is { } code)
        {
            // Authentication templates carry the code in the body and again in the copy-code button.
            body["type"] = "template";
            body["template"] = new JsonObject
            {
                ["name"] = settings.AuthTemplate,
                ["language"] = new JsonObject { ["code"] = settings.AuthTemplateLanguage ?? AuthTemplates.DefaultLanguage },
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
