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

        var publicBase = context.RequestServices.GetRequiredService<PublicUrls>().Base(context.Request);
        return (await ProcessAllAsync(target, await parse(json, target), publicBase, processor, context.RequestAborted), null);
    }

    /// <summary>
    /// The messages of a batched delivery (Meta batches <c>entry × changes × messages</c> under load), each chat's in the
    /// order they came, so that its replies and its limit follow that order (<see cref="InOrderPerKeyAsync"/>). The
    /// outcomes are in the order of <paramref name="messages"/>.
    /// </summary>
    private static async Task<IReadOnlyList<string>> ProcessAllAsync(
        Instance target, IReadOnlyList<IncomingMessage> messages, string publicBase, InboundProcessor processor, CancellationToken cancellationToken)
    {
        var outcomes = new string[messages.Count];
        await InOrderPerKeyAsync(messages, m => m.ChatId,
            async (index, aborted) => outcomes[index] = await processor.ProcessAsync(target, messages[index], publicBase, aborted), cancellationToken);
        return outcomes;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on each of <paramref name="items"/> (by index): the items of one key one after another
    /// in their order, different keys side by side, a few at a time. So the units of work of one delivery share the
    /// SQLite writer's commits rather than waiting for one flush each, without one delivery taking a PostgreSQL pool's
    /// connections from other requests. A failure (a database gone for longer than the retries) fails the delivery as a
    /// whole: the provider sends it again, and deduplication answers what was already done.
    /// </summary>
    public static Task InOrderPerKeyAsync<T>(
        IReadOnlyList<T> items, Func<T, string> key, Func<int, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        // Most deliveries carry one message or one status.
        if (items.Count <= 1)
        {
            return items.Count == 0 ? Task.CompletedTask : work(0, cancellationToken);
        }

        var groups = Enumerable.Range(0, items.Count).GroupBy(i => key(items[i]), StringComparer.Ordinal);
        return Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = KeysAtOnce, CancellationToken = cancellationToken },
            async (group, aborted) =>
            {
                foreach (var index in group)
                {
                    await work(index, aborted);
                }
            });
    }

    /// <summary>How many keys (chats, sent messages) of one delivery are worked on at once.</summary>
    private const int KeysAtOnce = 8;

    /// <summary>The instance <paramref name="instance"/> names, if it exists and uses <paramref name="provider"/>.</summary>
    public static async Task<Instance?> FindAsync(string instance, string provider, PasslineDb db, InstanceCache instances, CancellationToken cancellationToken) =>
        Guid.TryParse(instance, out var id) && await instances.FindAsync(db, id, cancellationToken) is { } found && found.Provider == provider
            ? found
            : null;
}
