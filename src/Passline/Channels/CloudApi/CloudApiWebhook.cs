using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels.CloudApi;

/// <summary>
/// <c>/webhooks/cloud-api/{instance}</c> (SPEC 5): the <c>hub.challenge</c> handshake on GET, and on POST the
/// <c>entry[].changes[].value.messages[]</c> of a webhook signed with <c>X-Hub-Signature-256</c>. Statuses and
/// anything that is not a user's text are acknowledged and ignored, so Meta does not retry them.
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
        var target = await WebhookReceiver.FindAsync(instance, Providers.CloudApi, db, context.RequestAborted);
        if (target is null)
        {
            return ApiError.NotFound("Instance not found.");
        }

        return mode == "subscribe" && challenge is not null && WebhookSignatures.SecretEquals(verifyToken, target.Settings.VerifyToken)
            ? TypedResults.Text(challenge, "text/plain")
            : ApiError.Forbidden("The verify token does not match.");
    }

    public static async Task<Results<Ok<Acknowledged>, ApiError>> Receive(string instance, HttpContext context, PasslineDb db, InboundProcessor processor)
    {
        var (outcomes, error) = await WebhookReceiver.ReceiveAsync(context, instance, Providers.CloudApi, db, processor,
            (body, target) => WebhookSignatures.IsValidCloudApi(body, context.Request.Headers["X-Hub-Signature-256"], target.Settings.AppSecret),
            (json, target) => Parse(json, target.Settings.PhoneNumberId));
        return error is null ? TypedResults.Ok(new Acknowledged(true, outcomes)) : error;
    }

    /// <summary>The user messages of a Cloud API webhook addressed to <paramref name="phoneNumberId"/>.</summary>
    public static IEnumerable<IncomingMessage> Parse(JsonElement json, string? phoneNumberId)
    {
        foreach (var value in Each(json, "entry").SelectMany(entry => Each(entry, "changes")).Select(change => Property(change, "value")))
        {
            if (value is not { } v || (phoneNumberId is not null && Text(Property(v, "metadata"), "phone_number_id") is { } to && to != phoneNumberId))
            {
                continue;
            }

            foreach (var message in Each(v, "messages"))
            {
                var id = Text(message, "id");

                // Users known only by a business-scoped id carry no phone number: kept as received (SPEC 1).
                var from = Text(message, "from") ?? Text(message, "from_user_id") ?? Text(message, "user_id");
                if (id is null || from is null)
                {
                    continue;
                }

                var chatId = from.All(char.IsAsciiDigit) ? ChatId.Normalize(from) ?? from : from;
                yield return new IncomingMessage(id, chatId, ChatId.Phone(chatId), MessageText(message), FromMe: false, IsGroup: false);
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

    private static JsonElement? Property(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement? obj, string name) =>
        Property(obj, name) is { } value ? FieldReader.TextOf(value) : null;
}
