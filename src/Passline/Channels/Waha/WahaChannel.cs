using System.Net;
using System.Text.Json;
using Passline.Instances;
using Passline.Outbox;

namespace Passline.Channels.Waha;

/// <summary>
/// Sending through a WAHA gateway: <c>POST {base}/api/sendText</c> with <c>X-Api-Key</c> (SPEC 5). Besides timeouts, 408,
/// 429 and 5xx, WAHA's 422 for a session that is not WORKING yet is retried.
/// </summary>
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
        var result = response.IsSuccessStatusCode ? Delivery.Classify(response, now, await MessageIdAsync(response, cancellationToken))
            : await SessionNotReadyAsync(response, cancellationToken) is { } notReady ? Delivery.Transient(response, now, notReady)
            : Delivery.Classify(response, now);

        // WAHA sends text only: a message that carries a link went as text, not as a button.
        return message.Link is not null ? result with { AsText = true } : result;
    }

    /// <summary>
    /// WAHA's refusal while the session is not WORKING (starting, reconnecting): it waits 5 s for the session, then
    /// answers <c>422 {"error": "Session status is not as expected. Try again later or restart the session", "session",
    /// "status": "STARTING", "expected": ["WORKING"]}</c> (<c>SessionManager.waitUntilStatus</c>). The session comes back,
    /// so unlike other 422s this one is worth another try; the error names the status. Null for any other answer.
    /// </summary>
    private static async Task<string?> SessionNotReadyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.UnprocessableEntity)
        {
            return null;
        }

        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            var expectsWorking = ProviderJson.Property(root, "expected") is { ValueKind: JsonValueKind.Array } expected
                && expected.EnumerateArray().Any(status => ProviderJson.Text(status) == "WORKING");
            if (!expectsWorking && ProviderJson.Text(root, "error")?.Contains("Session status is not as expected", StringComparison.Ordinal) != true)
            {
                return null;
            }

            // One of WAHA's status names (STARTING, SCAN_QR_CODE, FAILED, ...); anything else is not copied into the error.
            var status = ProviderJson.Text(root, "status") is { Length: > 0 and <= 32 } named && named.All(c => char.IsAsciiLetterUpper(c) || c == '_') ? named : "not ready";
            return $"HTTP 422 session {status}, not WORKING";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The sent message's own id (<see cref="DeliveryReports.KeyId"/>). WAHA answers with the message as its engine has
    /// it: WEBJS <c>{"id": {"_serialized": "true_&lt;chat&gt;_&lt;id&gt;"}}</c>, GOWS <c>{"id": "true_&lt;chat&gt;_&lt;id&gt;"}</c>,
    /// NOWEB (Baileys) <c>{"key": {"id": "&lt;id&gt;"}}</c>. The chat there is the one asked for, and its acks may name
    /// another (the user's <c>@lid</c>), so only the id is kept.
    /// </summary>
    private static async Task<string?> MessageIdAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = json.RootElement;
            var id = ProviderJson.Text(ProviderJson.Property(root, "key"), "id")
                ?? ProviderJson.Text(root, "id")
                ?? ProviderJson.Text(ProviderJson.Property(root, "id"), "_serialized");
            return id is null ? null : DeliveryReports.KeyId(id);
        }
        catch (JsonException)
        {
            // The message was accepted; an answer we cannot read does not make it unsent.
        }

        return null;
    }
}
