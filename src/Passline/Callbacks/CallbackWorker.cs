using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Channels;
using Passline.Storage;

namespace Passline.Callbacks;

/// <summary>
/// Delivers the callback outbox (SPEC 7): POSTs each body signed per Standard Webhooks, through the guarded client
/// (no private addresses unless allowed, no redirects, 10 s timeout). A 2xx delivers; a 410 stops; anything else is
/// retried with exponential backoff and jitter for 25 hours. Every attempt is recorded.
/// </summary>
/// <summary>The coarse classes of <c>callback.last_error</c> (SPEC 7), besides <c>HTTP {status}</c>.</summary>
public static class CallbackErrors
{
    public const string Timeout = "timed out";
    public const string Refused = "refused by the network guard";
    public const string ConnectionFailed = "connection failed";
}

public sealed class CallbackWorker(
    IServiceScopeFactory scopes, OutboxSignal signal, TimeProvider time, IOptions<WorkerOptions> options, ILogger<CallbackWorker> logger)
    : OutboxWorker(scopes, signal, time, options, logger)
{
    public const string HttpClientName = "callbacks";
    public static readonly TimeSpan RetryFor = TimeSpan.FromHours(25);
    private static readonly TimeSpan BackoffCap = TimeSpan.FromHours(1);

    protected override string Table => "callback_deliveries";

    protected override async Task DeliverAsync(IServiceProvider services, Guid id, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<PasslineDb>();
        var delivery = await db.CallbackDeliveries.FirstAsync(d => d.Id == id, cancellationToken);
        var secret = await db.Instances.Where(i => i.Id == delivery.InstanceId).Select(i => i.WebhookSecret).FirstAsync(cancellationToken);

        var result = await PostAsync(services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), delivery, secret, cancellationToken);
        services.GetRequiredService<Monitoring.PasslineMetrics>().Delivered("callback", result.OutcomeName);
        var now = Time.GetUtcNow();
        delivery.Attempts++;
        delivery.LockedUntil = null;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = result.StatusCode;
        delivery.LastError = result.Error;
        db.CallbackAttempts.Add(new CallbackAttempt
        {
            DeliveryId = delivery.Id,
            AttemptedAt = now,
            StatusCode = result.StatusCode,
            Outcome = result.OutcomeName,
            Error = result.Error,
        });

        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                delivery.Status = CallbackStatuses.Delivered;
                delivery.DeliveredAt = now;
                break;
            case DeliveryOutcome.Retry when now - delivery.CreatedAt < RetryFor:
                var wait = Delivery.Backoff(delivery.Attempts, BackoffCap);
                delivery.NextAttemptAt = now + (result.RetryAfter is { } after && after > wait ? Min(after, BackoffCap) : wait);
                break;
            default:
                delivery.Status = CallbackStatuses.Failed;
                logger.LogWarning("Gave up the callback of request {RequestId} after {Attempts} attempts: {Error}", delivery.RequestId, delivery.Attempts, result.Error);
                break;
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Callback {WebhookId} of request {RequestId}: {Outcome} {StatusCode}", delivery.WebhookId, delivery.RequestId, result.OutcomeName, result.StatusCode);
    }

    private async Task<DeliveryResult> PostAsync(HttpClient http, CallbackDelivery delivery, string secret, CancellationToken cancellationToken)
    {
        var timestamp = Time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", delivery.WebhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", CallbackSigner.Sign(secret, delivery.WebhookId, timestamp, delivery.Payload));
        request.Headers.UserAgent.ParseAdd("Passline-Callbacks/1.0");

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if ((int)response.StatusCode == StatusCodes.Status410Gone)
            {
                return new DeliveryResult(DeliveryOutcome.GiveUp, 410, "HTTP 410");
            }

            // Unlike a provider, a receiver's 4xx may be a passing fault of its own deployment: only 410 stops.
            var result = Delivery.Classify(response, Time.GetUtcNow());
            return result with
            {
                Outcome = result.Outcome == DeliveryOutcome.GiveUp ? DeliveryOutcome.Retry : result.Outcome,
                Error = result.Error is null ? null : $"HTTP {result.StatusCode}",
            };
        }

        // The error a token holder sees through GET /requests/{uuid} is a coarse class: naming the resolved address, or
        // telling a TLS failure (something listens) from a refused connection (nothing does), would make callbacks a
        // port scanner. The operator's log keeps the detail.
        catch (HttpRequestException e) when (e.InnerException is RefusedAddressException refused)
        {
            logger.LogWarning("Callback of request {RequestId} refused by the network guard: {Detail}", delivery.RequestId, refused.Message);
            return new DeliveryResult(DeliveryOutcome.GiveUp, null, CallbackErrors.Refused);
        }
        catch (Exception e) when (e is TaskCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, null, CallbackErrors.Timeout);
        }
        catch (HttpRequestException e)
        {
            logger.LogInformation("Callback of request {RequestId} could not be delivered: {Error} {Detail}", delivery.RequestId, e.HttpRequestError, e.Message);
            return new DeliveryResult(DeliveryOutcome.Retry, null, CallbackErrors.ConnectionFailed);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
