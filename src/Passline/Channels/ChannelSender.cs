using Passline.Channels.CloudApi;
using Passline.Channels.Waha;
using Passline.Instances;

namespace Passline.Channels;

/// <summary>Sends one outbox message through its instance's provider (SPEC 5).</summary>
public sealed class ChannelSender(IHttpClientFactory httpClients, TimeProvider time)
{
    public const string HttpClientName = "whatsapp";

    public async Task<DeliveryResult> SendAsync(Instance instance, OutboundMessage message, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        try
        {
            return instance.Provider switch
            {
                // The simulator's outbox is this table: a stored message is a sent message (GET /simulator/{instance}/outbox).
                Providers.Simulator => new DeliveryResult(DeliveryOutcome.Delivered, null, null, null, $"sim_{message.Id:N}"),
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
