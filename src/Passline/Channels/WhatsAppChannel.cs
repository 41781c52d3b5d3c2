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

    /// <summary>A code OTP is <c>sent</c> once the provider has accepted its message (SPEC 2.3).</summary>
    public Task RecordedAsync(UnitOfWork work, OutboundMessage message, DeliveryResult result)
    {
        if (result.StoredIsDelivered)
        {
            work.AfterCommit(() => simulated.Notify((message.InstanceId, message.ChatId)));
        }

        return RecordingRunsStatements(message, result) ? requests.In(work).MarkSentAsync(message.RequestId!.Value) : Task.CompletedTask;
    }

    public bool RecordingRunsStatements(OutboundMessage message, DeliveryResult result) =>
        result.Outcome == DeliveryOutcome.Delivered && message.Kind == OutboundKinds.Code && message.RequestId is not null;

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
