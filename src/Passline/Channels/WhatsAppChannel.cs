using Microsoft.EntityFrameworkCore;
using Passline.Channels.CloudApi;
using Passline.Channels.Waha;
using Passline.Instances;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>
/// The WhatsApp outbox's channel (SPEC 5): sends one message through its instance's provider. Messages are retried for
/// an hour (a login message later than that is worthless), as <c>Retry-After</c> says when the provider sends one;
/// a provider's 4xx other than 408 and 429 is permanent, but for WAHA's 422 while its session is not WORKING.
/// </summary>
public sealed class WhatsAppChannel(
    IHttpClientFactory httpClients, TimeProvider time, RequestWork requests, InstanceCache instances, PasslineMetrics metrics, Simulator.SimulatorMailbox simulated) : IOutboxChannel<OutboundMessage>
{
    public const string HttpClientName = "whatsapp";

    public static readonly OutboxPolicy Retries = new(GiveUpAfter: TimeSpan.FromHours(1), BackoffCap: TimeSpan.FromMinutes(5), RetryAfterMayShorten: true);

    public OutboxPolicy Policy => Retries;

    public async Task<DeliveryResult> DeliverAsync(OutboundMessage message, IServiceProvider services, CancellationToken cancellationToken)
    {
        var instance = await instances.FindAsync(services.GetRequiredService<PasslineDb>(), message.InstanceId, cancellationToken)
            ?? throw new InvalidOperationException($"Instance {message.InstanceId} of message {message.Id} is gone.");
        var result = await SendAsync(instance, message, cancellationToken);
        metrics.Delivered(instance.Provider, result.OutcomeName);
        return result;
    }

    /// <summary>
    /// A code OTP is <c>sent</c> once the provider has accepted its message (SPEC 2.3), and ends <c>failed</c>
    /// (<c>undeliverable</c>) with its failed callback once the provider has refused it for good or the retries have run
    /// out (SPEC 3): the code will never arrive, and the application should not wait for it until it expires.
    /// </summary>
    public Task RecordedAsync(UnitOfWork work, OutboundMessage message, DeliveryResult result)
    {
        if (result.StoredIsDelivered)
        {
            work.AfterCommit(() => simulated.Notify((message.InstanceId, message.ChatId)));
        }

        if (!RecordingRunsStatements(message, result))
        {
            return Task.CompletedTask;
        }

        var lifecycle = requests.In(work);
        return result.Outcome == DeliveryOutcome.Delivered ? lifecycle.MarkSentAsync(message.RequestId!.Value)
            : message.Status == OutboundStatuses.Failed ? lifecycle.UndeliverableAsync(message.RequestId!.Value)
            : Task.CompletedTask;
    }

    /// <summary>
    /// Whether recording this attempt changes the request too: a code's, when it was sent and whenever it may be the last
    /// (whether a retry is the last is decided as it is recorded).
    /// </summary>
    public bool RecordingRunsStatements(OutboundMessage message, DeliveryResult result) =>
        message.Kind == OutboundKinds.Code && message.RequestId is not null;

    private async Task<DeliveryResult> SendAsync(Instance instance, OutboundMessage message, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        try
        {
            return instance.Provider switch
            {
                // The simulator's outbox is this table: a stored message is a sent message (GET /simulator/{instance}/outbox).
                Providers.Simulator => new DeliveryResult(DeliveryOutcome.Delivered, null, null, null, $"sim_{message.Id:N}") { StoredIsDelivered = true },
                Providers.Waha => await WahaChannel.SendAsync(http, instance.Settings, message, time.GetUtcNow(), cancellationToken),
                Providers.CloudApi => await CloudApiChannel.SendAsync(http, instance, message, time.GetUtcNow(), cancellationToken),
                _ => new DeliveryResult(DeliveryOutcome.GiveUp, null, $"unknown provider {instance.Provider}"),
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Delivery.Failure(e);
        }
    }
}
