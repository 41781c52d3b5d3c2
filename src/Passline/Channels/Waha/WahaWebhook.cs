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

        // The reply goes to the chat the message came from, whatever its form (SPEC 5).
        var lid = chatId is not null && chatId.EndsWith("@lid", StringComparison.Ordinal) ? chatId : null;
        var phone = chatId is null ? null : ChatId.Phone(chatId) ?? (lid is null ? null : PhoneInPayload(payload));

        // A media message counts by its caption, which WAHA puts in body too.
        return new IncomingMessage(id, chatId ?? from, phone, Text(payload, "body"), fromMe, isGroup, lid);
    }

    /// <summary>
    /// The phone number an engine puts beside an <c>@lid</c> sender in the raw message (<c>_data</c>): NOWEB (Baileys)
    /// <c>key.remoteJidAlt</c> or, in older versions, <c>key.senderPn</c>; GOWS (whatsmeow) <c>Info.SenderAlt</c>.
    /// </summary>
    private static string? PhoneInPayload(JsonElement payload)
    {
        if (Property(payload, "_data") is not { } data)
        {
            return null;
        }

        string?[] candidates =
        [
            Text(Property(data, "key"), "remoteJidAlt"),
            Text(Property(data, "key"), "senderPn"),
            Text(Property(data, "Info"), "SenderAlt"),
        ];
        foreach (var candidate in candidates)
        {
            if (candidate is not null && ChatId.Normalize(candidate) is { } normalized && ChatId.Phone(normalized) is { } phone)
            {
                return phone;
            }
        }

        return null;
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
