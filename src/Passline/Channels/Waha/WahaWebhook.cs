using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels.Waha;

/// <summary>
/// <c>POST /webhooks/waha/{instance}</c> (SPEC 5): WAHA's <c>message</c> and <c>message.any</c> events, signed with
/// <c>X-Webhook-Hmac</c>. Anything unsigned is refused with 401 and changes nothing; other events are acknowledged and ignored.
/// </summary>
public static class WahaWebhook
{
    public static IEndpointRouteBuilder MapWahaWebhook(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/waha/{instance}", Receive).WithTags("Webhooks").WithName("WahaWebhook");
        return app;
    }

    public sealed record Acknowledged(bool Success, string? Outcome);

    public static async Task<Results<Ok<Acknowledged>, ApiError>> Receive(string instance, HttpContext context, PasslineDb db, InboundProcessor processor)
    {
        var (outcomes, error) = await WebhookReceiver.ReceiveAsync(context, instance, Providers.Waha, db, processor,
            (body, target) => WebhookSignatures.IsValidWaha(body, context.Request.Headers["X-Webhook-Hmac"], target.Settings.WahaHmacKey),
            (json, _) => Parse(json) is { } message ? [message] : []);
        return error is null ? TypedResults.Ok(new Acknowledged(true, outcomes is [var outcome] ? outcome : InboundProcessor.Ignored)) : error;
    }

    /// <summary>The user message in a WAHA event, or null for events and payloads that are not one.</summary>
    public static IncomingMessage? Parse(JsonElement json)
    {
        if (Text(json, "event") is not ("message" or "message.any")
            || !json.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object
            || Text(payload, "id") is not { Length: > 0 } id || Text(payload, "from") is not { Length: > 0 } from)
        {
            return null;
        }

        var fromMe = payload.TryGetProperty("fromMe", out var me) && me.ValueKind == JsonValueKind.True;
        var (chatId, isGroup) = IncomingMessage.Sender(from);

        // A media message counts by its caption, which WAHA puts in body too.
        return chatId is null && !isGroup
            ? null
            : new IncomingMessage(id, chatId ?? from, chatId is null ? null : ChatId.Phone(chatId), Text(payload, "body"), fromMe, isGroup);
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) ? FieldReader.TextOf(value) : null;
}
