using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Passline.Client;

/// <summary>A verified callback: the delivery's id (the same on every retry: handle each once) and what it says.</summary>
/// <param name="WebhookId">The <c>webhook-id</c> header, stable across retries of one delivery.</param>
/// <param name="SignedAt">When Passline signed this attempt (<c>webhook-timestamp</c>).</param>
/// <param name="Payload">The callback's body.</param>
public sealed record PasslineCallback(string WebhookId, DateTimeOffset SignedAt, CallbackPayload Payload);

/// <summary>Maps the endpoint that receives Passline's callbacks.</summary>
public static class PasslineCallbackEndpoint
{
    /// <summary>Passline's callbacks are small; anything larger is not one.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Maps <c>POST <paramref name="pattern"/></c>: reads the raw body, verifies its Standard Webhooks signature with
    /// the registered <see cref="CallbackVerifier"/> (see <c>AddPasslineClient</c>), and calls
    /// <paramref name="handler"/> with the typed callback. Answers 204 when the handler completes (Passline then stops
    /// delivering), 401 for a missing, wrong or stale signature, 400 for a signed body that is not a callback, 413 for
    /// a body over 64 KiB. An exception from the handler is a 500, and Passline delivers again later.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route, such as <c>/passline/callback</c>; use its absolute URL as <c>callback.success</c> / <c>callback.failed</c>.</param>
    /// <param name="handler">Handles a verified callback; <see cref="HttpContext.RequestServices"/> gives the request's services.</param>
    /// <returns>The endpoint's builder, for authorization, rate limiting or metadata.</returns>
    public static RouteHandlerBuilder MapPasslineCallback(
        this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern, Func<PasslineCallback, HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.MapPost(pattern, (Delegate)((HttpContext context) => ReceiveAsync(context, handler)));
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, Func<PasslineCallback, HttpContext, Task> handler)
    {
        var request = context.Request;
        var body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var verifier = context.RequestServices.GetRequiredService<CallbackVerifier>();
        string id = request.Headers[CallbackVerifier.IdHeader].ToString();
        string timestamp = request.Headers[CallbackVerifier.TimestampHeader].ToString();
        CallbackPayload payload;
        try
        {
            payload = verifier.VerifyAndParse(body, id, timestamp, request.Headers[CallbackVerifier.SignatureHeader].ToString());
        }
        catch (CallbackVerificationException e)
        {
            Logger(context).LogWarning("Refused a Passline callback: {Reason}", e.Message);
            return Results.Unauthorized();
        }
        catch (JsonException e)
        {
            Logger(context).LogWarning(e, "A correctly signed Passline callback is not a callback body.");
            return Results.BadRequest();
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture));
        await handler(new PasslineCallback(id, signedAt, payload), context).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>The body exactly as received, or null when it is over <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Passline.Client.Callbacks");
}
