using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>
/// What every provider's webhook does with a delivery (SPEC 5): read the raw body, find the provider's instance, check
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
        var (body, error) = await JsonBody.ReadBytesAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return ([], error);
        }

        var target = await FindAsync(instance, provider, db, context.RequestServices.GetRequiredService<InstanceCache>(), context.RequestAborted);
        if (target is null)
        {
            return ([], ApiError.NotFound("Instance not found."));
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

        var outcomes = new List<string>();
        foreach (var message in await parse(json, target))
        {
            outcomes.Add(await processor.ProcessAsync(target, message, context.Request, context.RequestAborted));
        }

        return (outcomes, null);
    }

    /// <summary>The instance <paramref name="instance"/> names, if it exists and uses <paramref name="provider"/>.</summary>
    public static async Task<Instance?> FindAsync(string instance, string provider, PasslineDb db, InstanceCache instances, CancellationToken cancellationToken) =>
        Guid.TryParse(instance, out var id) && await instances.FindAsync(db, id, cancellationToken) is { } found && found.Provider == provider
            ? found
            : null;
}
