using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;
using static Passline.Channels.ProviderJson;

namespace Passline.Channels.Waha;

/// <summary>
/// <c>POST /webhooks/waha/{instance}</c> (SPEC 5): WAHA's <c>message</c> and <c>message.any</c> events, and
/// <c>message.ack</c> for the messages Passline sent, signed with <c>X-Webhook-Hmac</c>. Anything unsigned is refused
/// with 401 and changes nothing; events of another session and other events are acknowledged and ignored.
/// </summary>
public static class WahaWebhook
{
    public static IEndpointRouteBuilder MapWahaWebhook(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/waha/{instance}", Receive).WithTags("Webhooks").WithName("WahaWebhook");
        return app;
    }

    public sealed record Acknowledged(bool Success, string? Outcome);

    public static async Task<Results<Ok<Acknowledged>, ApiError>> Receive(
        string instance, HttpContext context, PasslineDb db, InboundProcessor processor, WahaIdentities identities,
        DeliveryReports reports, Monitoring.PasslineMetrics metrics)
    {
        string? outcome = null;
        var (outcomes, error) = await WebhookReceiver.ReceiveAsync(context, instance, Providers.Waha, db, processor,
            (body, target) => WebhookSignatures.IsValidWaha(body, context.Request.Headers["X-Webhook-Hmac"], target.Settings.WahaHmacKey),
            async (json, target) =>
            {
                // One WAHA server serves several numbers, and a global webhook fires for all of them: only this instance's session counts.
                if (Text(json, "session") is { } session && session != (target.Settings.WahaSession ?? "default"))
                {
                    metrics.MessageReceived(target.Id, InboundProcessor.Ignored);
                    return [];
                }

                if (ParseAck(json) is { } ack)
                {
                    outcome = await reports.ApplyAsync(target, [ack], context.RequestAborted) > 0 ? "status" : null;
                    return [];
                }

                if (Parse(json) is not { } message)
                {
                    return [];
                }

                // An @lid is resolved to its phone; a phone number with its @lid beside it teaches the pair (SPEC 1).
                if (message.IsUserText && message.UserId is { } lid)
                {
                    message = message with { Phone = await identities.ResolveAsync(target, lid, message.Phone, context.RequestAborted) };
                }

                return [message];
            });
        return error is null
            ? TypedResults.Ok(new Acknowledged(true, outcomes is [var first] ? first : outcome ?? InboundProcessor.Ignored))
            : error;
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
        if (chatId is null && !isGroup)
        {
            return null;
        }

        // The reply goes to the chat the message came from, whatever its form (SPEC 5). The engine may name the sender's
        // other form beside it: an @lid's phone, a phone number's @lid, which is then the sender's user id (SPEC 1).
        string? phone = null, lid = null;
        if (chatId is not null)
        {
            phone = ChatId.Phone(chatId);
            lid = chatId.EndsWith("@lid", StringComparison.Ordinal) ? chatId : null;
            var alternates = phone is null && lid is null ? [] : AlternatesInPayload(payload);
            phone ??= lid is null ? null : alternates.Select(ChatId.Phone).FirstOrDefault(p => p is not null);
            lid ??= phone is null ? null : alternates.FirstOrDefault(a => a.EndsWith("@lid", StringComparison.Ordinal));
        }

        // A media message counts by its caption, which WAHA puts in body too.
        return new IncomingMessage(id, chatId ?? from, phone, Text(payload, "body"), fromMe, isGroup, lid);
    }

    /// <summary>
    /// The sender's other forms that an engine puts beside it in the raw message (<c>_data</c>), normalised: NOWEB
    /// (Baileys) <c>key.remoteJidAlt</c> or, in older versions, <c>key.senderPn</c> / <c>key.senderLid</c>; GOWS
    /// (whatsmeow) <c>Info.SenderAlt</c>, possibly of a linked device (<c>:3@lid</c>). Each is the phone number of an
    /// <c>@lid</c> sender and the <c>@lid</c> of a phone-number sender, as WAHA's own <c>jidsFromKey</c> reads it.
    /// </summary>
    private static List<string> AlternatesInPayload(JsonElement payload)
    {
        if (Property(payload, "_data") is not { } data)
        {
            return [];
        }

        var key = Property(data, "key");
        string?[] candidates =
        [
            Text(key, "remoteJidAlt"),
            Text(key, "senderPn"),
            Text(key, "senderLid"),
            Text(Property(data, "Info"), "SenderAlt"),
        ];
        return [.. candidates.Select(c => c is null ? null : ChatId.Normalize(c)).OfType<string>()];
    }

    /// <summary>
    /// A <c>message.ack</c> of a message the business sent: <c>ack</c> -1 ERROR, 1 SERVER, 2 DEVICE, 3 READ, 4 PLAYED
    /// (WAHA's <c>WAMessageAck</c>). Null for any other event.
    /// </summary>
    public static DeliveryReport? ParseAck(JsonElement json)
    {
        if (Text(json, "event") != "message.ack" || Property(json, "payload") is not { } payload || Text(payload, "id") is not { Length: > 0 } id)
        {
            return null;
        }

        var ack = Property(payload, "ack") is { ValueKind: JsonValueKind.Number } number && number.TryGetInt32(out var n) ? n : 0;
        var status = ack switch
        {
            -1 => DeliveryStatuses.Failed,
            1 => DeliveryStatuses.Sent,
            2 => DeliveryStatuses.Delivered,
            >= 3 => DeliveryStatuses.Read,
            _ => null,
        };
        return status is null ? null : new DeliveryReport(id, status, status == DeliveryStatuses.Failed ? $"WAHA ack {Text(payload, "ackName") ?? "ERROR"}" : null);
    }
}
