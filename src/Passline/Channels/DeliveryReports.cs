using System.Data.Common;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>A provider's report on a message it accepted: Cloud API <c>statuses[]</c>, WAHA <c>message.ack</c>.</summary>
/// <param name="ProviderMessageId">The provider's id of the message, as its send answer or its webhook names it.</param>
/// <param name="Status">One of <see cref="DeliveryStatuses"/>.</param>
/// <param name="Error">For <c>failed</c>: the provider's error (Meta: <c>131026 Message undeliverable</c>).</param>
public sealed record DeliveryReport(string ProviderMessageId, string Status, string? Error);

/// <summary>
/// Applies delivery reports (SPEC 2.4, 3) through <see cref="RequestLifecycle.ReportDeliveryAsync"/>: each moves its
/// message's delivery status forward, never back; a code that could not be delivered ends its request.
/// </summary>
public sealed class DeliveryReports(PasslineDb db, RequestWork requests, Monitoring.PasslineMetrics metrics, ILogger<DeliveryReports> logger)
{
    private const int MaxError = 300;

    /// <summary>
    /// Applies <paramref name="reports"/>; returns how many moved a message of this instance on. The messages they name
    /// are read at once; then each message's reports are applied in their order (a report compares with what the one
    /// before it stored), and different messages' side by side (<see cref="WebhookReceiver.InOrderPerKeyAsync"/>): Meta
    /// batches statuses, three or more for every message sent.
    /// </summary>
    public async Task<int> ApplyAsync(Instance instance, IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count == 0)
        {
            return 0;
        }

        // WAHA names a sent message true_<chat>_<id> in its events, with the chat it was delivered to, which may differ
        // from the one its send answer named; Passline stores <id> (rows stored before kept the whole id).
        // Read without EF Core's query pipeline (RowReads): every status a provider sends runs it, three or more a message.
        var ids = reports.Select(r => r.ProviderMessageId).Concat(reports.Select(r => KeyId(r.ProviderMessageId))).Distinct().ToList();
        List<DbParameter> parameters = [db.Parameter<OutboundMessage>(nameof(OutboundMessage.InstanceId), "instance", instance.Id)];
        parameters.AddRange(ids.Select((id, i) => db.Parameter<OutboundMessage>(nameof(OutboundMessage.ProviderMessageId), $"id{i}", id)));
        var messages = await db.ReadAsync<OutboundMessage>(
            $"SELECT * FROM outbound_messages WHERE instance_id = @instance AND provider_message_id IN ({string.Join(", ", ids.Select((_, i) => $"@id{i}"))})",
            parameters, cancellationToken);
        var byProviderId = messages.ToLookup(m => m.ProviderMessageId!, StringComparer.Ordinal);
        var reported = reports
            .Select(r => (Report: r, Message: byProviderId[r.ProviderMessageId].FirstOrDefault() ?? byProviderId[KeyId(r.ProviderMessageId)].FirstOrDefault()))
            .Where(pair => pair.Message is not null)
            .Select(pair => (pair.Report, Message: pair.Message!))
            .ToList();

        var applied = 0;
        await WebhookReceiver.InOrderPerKeyAsync(reported, pair => pair.Message.Id.ToString(), async (index, aborted) =>
        {
            var (report, message) = reported[index];
            if (DeliveryStatuses.Rank(report.Status) <= DeliveryStatuses.Rank(message.DeliveryStatus))
            {
                return;
            }

            var error = report.Error is { Length: > MaxError } tooLong ? tooLong[..MaxError] : report.Error;
            if (await requests.RunAsync(lifecycle => lifecycle.ReportDeliveryAsync(message, report.Status, error, resendButtonAsText: instance.Provider == Providers.CloudApi), aborted))
            {
                // Committed: the message's next report in this delivery compares with the status now stored.
                message.DeliveryStatus = report.Status;
                Interlocked.Increment(ref applied);
                metrics.DeliveryReported(instance.Provider, report.Status);
                logger.LogDebug("Message {MessageId} for request {RequestId}: {Status} {Error}", message.Id, message.RequestId, report.Status, error);
            }
        }, cancellationToken);
        return applied;
    }

    /// <summary>
    /// The message's own id in WAHA's serialized form <c>true_&lt;chat&gt;_&lt;id&gt;</c> (a group's with a fourth part,
    /// the participant); any other id as it is. The chat part is no key: GOWS answers a send with the chat asked for and
    /// acks it with the chat WhatsApp delivered to (an <c>@lid</c> for a phone number).
    /// </summary>
    public static string KeyId(string providerMessageId) =>
        providerMessageId.Split('_') is { Length: >= 3 } parts ? parts[2] : providerMessageId;
}
