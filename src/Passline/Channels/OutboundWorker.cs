using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Links;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>
/// Sends the outbox (SPEC 5): claims due rows, sends each through its provider, records every attempt, and
/// retries timeouts, 408, 429 and 5xx with exponential backoff and jitter (or as <c>Retry-After</c> says) until the
/// message is an hour old; any other 4xx gives up at once.
/// </summary>
public sealed class OutboundWorker(
    IServiceScopeFactory scopes, OutboxSignal signal, TimeProvider time, IOptions<WorkerOptions> options, ILogger<OutboundWorker> logger)
    : OutboxWorker(scopes, signal, time, options, logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);
    private static readonly TimeSpan BackoffCap = TimeSpan.FromMinutes(5);

    protected override string Table => "outbound_messages";

    protected override async Task DeliverAsync(IServiceProvider services, Guid id, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<PasslineDb>();
        var message = await db.OutboundMessages.FirstAsync(m => m.Id == id, cancellationToken);
        var instance = await db.Instances.AsNoTracking().FirstAsync(i => i.Id == message.InstanceId, cancellationToken);

        var result = await services.GetRequiredService<ChannelSender>().SendAsync(instance, message, cancellationToken);
        services.GetRequiredService<Monitoring.PasslineMetrics>().Delivered(instance.Provider, result.OutcomeName);
        var now = Time.GetUtcNow();
        message.Attempts++;
        message.LockedUntil = null;
        message.LastError = result.Error;
        db.OutboundAttempts.Add(new OutboundAttempt
        {
            MessageId = message.Id,
            AttemptedAt = now,
            StatusCode = result.StatusCode,
            Outcome = result.OutcomeName,
            Error = result.Error,
        });

        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                message.Status = OutboundStatuses.Sent;
                message.SentAt = now;
                message.ProviderMessageId = result.ProviderMessageId;
                break;
            case DeliveryOutcome.Retry when now - message.CreatedAt < MaxAge:
                message.NextAttemptAt = now + (result.RetryAfter ?? Delivery.Backoff(message.Attempts, BackoffCap));
                break;
            default:
                message.Status = OutboundStatuses.Failed;
                logger.LogWarning("Gave up sending message {MessageId} for request {RequestId} after {Attempts} attempts: {Error}",
                    message.Id, message.RequestId, message.Attempts, result.Error);
                break;
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Message {MessageId} for request {RequestId} via {Provider}: {Outcome} {StatusCode}",
            message.Id, message.RequestId, instance.Provider, result.OutcomeName, result.StatusCode);

        // A code OTP is "sent" once the provider has accepted it (SPEC 2.3).
        if (result.Outcome == DeliveryOutcome.Delivered && message.Kind == OutboundKinds.Code && message.RequestId is { } requestId)
        {
            await db.OtpRequests
                .Where(r => r.Id == requestId && r.Status == OtpStatuses.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, OtpStatuses.Sent), cancellationToken);
        }
    }
}
