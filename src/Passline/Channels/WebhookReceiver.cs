using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>
/// What every provider's webhook does with a delivery (SPEC 5): find the provider's instance, read the raw body, check
/// the signature over the raw bytes (anything unsigned is refused with 401 and changes nothing), parse the JSON, and
/// hand each user message to the <see cref="InboundProcessor"/>. A provider adapter supplies only its signature check
/// and its parser, which may look identities up and apply delivery reports on the way.
/// </summary>
public static class WebhookReceiver
{
    public static async Task<(IReadOnlyList<string> Outcomes, ApiError? Error)> ReceiveAsync(
        HttpContext context, string instance, string provider, PasslineDb db, InboundProcessor processor,
        Func<byte[], Instance, bool> isAuthentic, Func<JsonElement, Instance, Task<IReadOnlyList<IncomingMessage>>> parse)
    {
        var target = await FindAsync(instance, provider, db, context.RequestServices.GetRequiredService<InstanceCache>(), context.RequestAborted);
        if (target is null)
        {
            return ([], ApiError.NotFound("Instance not found."));
        }

        // Only an instance's webhook reads a body of a batch's size (Passline:Limits:WebhookBodyBytes).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = context.RequestServices.GetRequiredService<IOptions<BodyLimitOptions>>().Value.WebhookBodyBytes;
        }

        var (body, error) = await JsonBody.ReadBytesAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return ([], error);
        }

        if (!isAuthentic(body!, target))
        {
            return ([], ApiError.Unauthenticated());
        }

        var (json, invalid) = JsonBody.ParseObject(body!);
        if (invalid is not null)
        {
            return ([], invalid);
        }

        var messages = await parse(json, target);
        var publicBase = context.RequestServices.GetRequiredService<PublicUrls>().Base(context.Request);
        if (messages is [var only])
        {
            return ([await processor.ProcessAsync(target, only, publicBase, context.RequestAborted)], null);
        }

        return (await ProcessAllAsync(target, messages, publicBase, processor, context.RequestAborted), null);
    }

    /// <summary>
    /// The messages of a batched delivery (Meta batches <c>entry × changes × messages</c> under load): each chat's in the
    /// order they came, so its replies follow the same order, and chats side by side, a few at a time, so that on SQLite
    /// their units share the writer's commits rather than waiting for one flush each. The outcomes are in the order of
    /// <paramref name="messages"/>. A failure (a database gone for longer than the retries) fails the delivery as a
    /// whole: the provider sends it again, and deduplication answers the messages already done.
    /// </summary>
    private static async Task<IReadOnlyList<string>> ProcessAllAsync(
        Instance target, IReadOnlyList<IncomingMessage> messages, string publicBase, InboundProcessor processor, CancellationToken cancellationToken)
    {
        var outcomes = new string[messages.Count];
        var chats = Enumerable.Range(0, messages.Count).GroupBy(i => messages[i].ChatId, StringComparer.Ordinal);
        await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = ChatsAtOnce, CancellationToken = cancellationToken },
            async (chat, aborted) =>
            {
                foreach (var index in chat)
                {
                    outcomes[index] = await processor.ProcessAsync(target, messages[index], publicBase, aborted);
                }
            });
        return outcomes;
    }

    /// <summary>
    /// How many chats of one delivery are processed at once: enough to fill a commit of SQLite's writer, few enough
    /// that one delivery does not take a PostgreSQL pool's connections from other requests.
    /// </summary>
    private const int ChatsAtOnce = 8;

    /// <summary>The instance <paramref name="instance"/> names, if it exists and uses <paramref name="provider"/>.</summary>
    public static async Task<Instance?> FindAsync(string instance, string provider, PasslineDb db, InstanceCache instances, CancellationToken cancellationToken) =>
        Guid.TryParse(instance, out var id) && await instances.FindAsync(db, id, cancellationToken) is { } found && found.Provider == provider
            ? found
            : null;
}
