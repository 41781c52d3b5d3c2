using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;
using static Passline.Channels.ProviderJson;

namespace Passline.Channels.CloudApi;

/// <summary>
/// <c>/webhooks/cloud-api/{instance}</c> (SPEC 5): the <c>hub.challenge</c> handshake on GET, and on POST the
/// <c>entry[].changes[].value.messages[]</c> and <c>statuses[]</c> of a webhook signed with <c>X-Hub-Signature-256</c>.
/// Statuses update the delivery status of sent messages; anything that is not a user's text or a status is acknowledged
/// and ignored, so Meta does not retry it.
/// </summary>
public static class CloudApiWebhook
{
    public static IEndpointRouteBuilder MapCloudApiWebhook(this IEndpointRouteBuilder app)
    {
        app.MapGet("/webhooks/cloud-api/{instance}", Handshake).WithTags("Webhooks").WithName("CloudApiHandshake");
        app.MapPost("/webhooks/cloud-api/{instance}", Receive).WithTags("Webhooks").WithName("CloudApiWebhook");
        return app;
    }

    public sealed record Acknowledged(bool Success, IReadOnlyList<string> Outcomes);

    public static async Task<Results<ContentHttpResult, ApiError>> Handshake(
        string instance, HttpContext context, PasslineDb db,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "hub.mode")] string? mode,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "hub.verify_token")] string? verifyToken,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "hub.challenge")] string? challenge)
    {
        var target = await WebhookReceiver.FindAsync(instance, Providers.CloudApi, db, context.RequestServices.GetRequiredService<InstanceCache>(), context.RequestAborted);
        if (target is null)
        {
            return ApiError.NotFound("Instance not found.");
        }

        return mode == "subscribe" && challenge is not null && WebhookSignatures.SecretEquals(verifyToken, target.Settings.VerifyToken)
            ? TypedResults.Text(challenge, "text/plain")
            : ApiError.Forbidden("The verify token does not match.");
    }

    public static async Task<Results<Ok<Acknowledged>, ApiError>> Receive(
        string instance, HttpContext context, PasslineDb db, InboundProcessor processor, IdentityBook identities, DeliveryReports reports, ILoggerFactory loggers)
    {
        var (outcomes, error) = await WebhookReceiver.ReceiveAsync(context, instance, Providers.CloudApi, db, processor,
            (body, target) => WebhookSignatures.IsValidCloudApi(body, context.Request.Headers["X-Hub-Signature-256"], target.Settings.AppSecret),
            async (json, target) =>
            {
                if (OtherNumbers(json, target.Settings.PhoneNumberId) is [_, ..] others)
                {
                    // Meta sends an app's webhooks to one URL unless a number has its own: another instance's messages
                    // arrived here and go unanswered. Answered 200 all the same: Meta would only send them here again.
                    loggers.CreateLogger(typeof(CloudApiWebhook)).LogWarning(
                        "Cloud API webhook for instance {Instance} carried events of phone number ids {Others}, not its own: give each number its own callback URL (docs/providers.md)",
                        target.Id, string.Join(", ", others));
                }

                await reports.ApplyAsync(target, [.. Statuses(json, target.Settings.PhoneNumberId)], context.RequestAborted);
                var messages = new List<IncomingMessage>();
                foreach (var message in Parse(json, target.Settings.PhoneNumberId))
                {
                    messages.Add(await ResolveAsync(identities, target, message, context.RequestAborted));
                }

                return messages;
            });
        return error is null ? TypedResults.Ok(new Acknowledged(true, outcomes)) : error;
    }

    /// <summary>
    /// Remembers a BSUID's phone while Meta still shows it; a later message without the number then still has it (SPEC 1).
    /// </summary>
    private static async Task<IncomingMessage> ResolveAsync(IdentityBook identities, Instance target, IncomingMessage message, CancellationToken cancellationToken)
    {
        if (!message.IsUserText || message.UserId is not { } userId)
        {
            return message;
        }

        if (message.Phone is { } phone)
        {
            await identities.RememberAsync(target.Id, userId, phone, cancellationToken);
            return message;
        }

        return message with { Phone = await identities.FindAsync(target.Id, userId, cancellationToken) };
    }

    /// <summary>
    /// The user messages of a Cloud API webhook addressed to <paramref name="phoneNumberId"/>. Since 2026-03-31 a user
    /// has a business-scoped id (BSUID: <c>from_user_id</c>, <c>contacts[].user_id</c>); one who hides the number has
    /// no <c>from</c> / <c>wa_id</c>, and is then answered through <c>recipient</c> (SPEC 1, 5). Messages posted in a
    /// group carry <c>group_id</c> and are ignored.
    /// </summary>
    public static IEnumerable<IncomingMessage> Parse(JsonElement json, string? phoneNumberId)
    {
        foreach (var value in Values(json, phoneNumberId))
        {
            var contacts = Each(value, "contacts").ToList();
            foreach (var message in Each(value, "messages"))
            {
                var id = Text(message, "id");
                var from = Text(message, "from");
                var contact = contacts.FirstOrDefault(c => from is not null ? Text(c, "wa_id") == from : Text(c, "user_id") == Text(message, "from_user_id"));
                var userId = Text(message, "from_user_id") ?? (contact.ValueKind == JsonValueKind.Object ? Text(contact, "user_id") : null);
                var phoneChat = from is null ? null : ChatId.Normalize(from) is { } normalized && ChatId.Digits(normalized) is not null ? normalized : null;
                if (id is null || (phoneChat is null && userId is null))
                {
                    continue;
                }

                var phone = phoneChat is null ? null : ChatId.Phone(phoneChat);
                var chatId = phoneChat ?? userId!;
                var isGroup = Property(message, "group_id") is not null;
                yield return new IncomingMessage(id, chatId, phone, MessageText(message), FromMe: false, isGroup, userId);
            }
        }
    }

    /// <summary>
    /// <c>statuses[]</c>: <c>sent</c>, <c>delivered</c>, <c>read</c>, or <c>failed</c> with <c>errors[]</c>
    /// (<c>code</c>, <c>title</c>), for the messages this number sent.
    /// </summary>
    public static IEnumerable<DeliveryReport> Statuses(JsonElement json, string? phoneNumberId)
    {
        foreach (var value in Values(json, phoneNumberId))
        {
            foreach (var status in Each(value, "statuses"))
            {
                var state = Text(status, "status");
                if (Text(status, "id") is not { } id
                    || state is not (DeliveryStatuses.Sent or DeliveryStatuses.Delivered or DeliveryStatuses.Read or DeliveryStatuses.Failed))
                {
                    continue;
                }

                string? error = null;
                if (state == DeliveryStatuses.Failed)
                {
                    var first = Each(status, "errors").FirstOrDefault();
                    var code = first.ValueKind == JsonValueKind.Object && Property(first, "code") is { ValueKind: JsonValueKind.Number } c ? c.GetRawText() : null;
                    var title = first.ValueKind == JsonValueKind.Object ? Text(first, "title") ?? Text(first, "message") : null;
                    error = string.Join(' ', new[] { code, title }.Where(p => p is not null)) is { Length: > 0 } e ? e : "failed";
                }

                yield return new DeliveryReport(id, state, error);
            }
        }
    }

    /// <summary>The phone number ids, other than <paramref name="phoneNumberId"/>, whose events a delivery carries.</summary>
    public static IReadOnlyList<string> OtherNumbers(JsonElement json, string? phoneNumberId) =>
        phoneNumberId is null ? [] : [.. Each(json, "entry").SelectMany(entry => Each(entry, "changes"))
            .Select(change => Text(Property(Property(change, "value"), "metadata"), "phone_number_id"))
            .OfType<string>().Where(id => id != phoneNumberId).Distinct()];

    private static IEnumerable<JsonElement> Values(JsonElement json, string? phoneNumberId)
    {
        foreach (var value in Each(json, "entry").SelectMany(entry => Each(entry, "changes")).Select(change => Property(change, "value")))
        {
            if (value is { } v && (phoneNumberId is null || Text(Property(v, "metadata"), "phone_number_id") is not { } to || to == phoneNumberId))
            {
                yield return v;
            }
        }
    }

    /// <summary>The text a user typed: a text body, a button or list reply's title, or a media caption.</summary>
    private static string? MessageText(JsonElement message) => Text(message, "type") switch
    {
        "text" => Text(Property(message, "text"), "body"),
        "button" => Text(Property(message, "button"), "text"),
        "interactive" => Text(Property(Property(message, "interactive"), "button_reply"), "title")
            ?? Text(Property(Property(message, "interactive"), "list_reply"), "title"),
        "image" or "video" or "document" => Text(Property(message, Text(message, "type")!), "caption"),
        _ => null,
    };

    private static IEnumerable<JsonElement> Each(JsonElement? obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];
}
