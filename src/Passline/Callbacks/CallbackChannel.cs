using System.Text;
using Microsoft.EntityFrameworkCore;
using Passline.Instances;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Storage;

namespace Passline.Callbacks;

/// <summary>The coarse classes of <c>callback.last_error</c> (SPEC 7), besides <c>HTTP {status}</c>.</summary>
public static class CallbackErrors
{
    public const string Timeout = "timed out";
    public const string Refused = "refused by the network guard";
    public const string ConnectionFailed = "connection failed";
}

/// <summary>
/// The callback outbox's channel (SPEC 7): POSTs a body signed per Standard Webhooks through the guarded client (no
/// private addresses unless allowed, no redirects, 10 s timeout). A 2xx delivers; a 410 stops; anything else is retried
/// with backoff for 25 hours: unlike a provider, a receiver's 4xx may be a passing fault of its own deployment.
/// </summary>
public sealed class CallbackChannel(
    IHttpClientFactory httpClients, TimeProvider time, InstanceCache instances, PasslineMetrics metrics, ILogger<CallbackChannel> logger)
    : IOutboxChannel<CallbackDelivery>
{
    public const string HttpClientName = "callbacks";

    public static readonly OutboxPolicy Retries = new(GiveUpAfter: TimeSpan.FromHours(25), BackoffCap: TimeSpan.FromHours(1), RetryAfterMayShorten: false);

    public OutboxPolicy Policy => Retries;

    public async Task<DeliveryResult> DeliverAsync(CallbackDelivery delivery, IServiceProvider services, CancellationToken cancellationToken)
    {
        // The instance cache's bound applies to a rotated secret as to a revoked token (SPEC 8): no lookup per callback.
        var instance = await instances.FindAsync(services.GetRequiredService<PasslineDb>(), delivery.InstanceId, cancellationToken)
            ?? throw new InvalidOperationException($"Instance {delivery.InstanceId} of callback {delivery.Id} is gone.");
        var result = await PostAsync(httpClients.CreateClient(HttpClientName), delivery, instance.WebhookSecret, cancellationToken);
        metrics.Delivered("callback", result.OutcomeName);
        return result;
    }

    private async Task<DeliveryResult> PostAsync(HttpClient http, CallbackDelivery delivery, string secret, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
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

            var result = Delivery.Classify(response, time.GetUtcNow());
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
}
