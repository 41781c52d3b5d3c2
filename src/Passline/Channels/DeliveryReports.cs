using Microsoft.EntityFrameworkCore;
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

    /// <summary>Applies <paramref name="reports"/>; returns how many moved a message of this instance on.</summary>
    public async Task<int> ApplyAsync(Instance instance, IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        var applied = 0;
        foreach (var report in reports)
        {
            // WAHA names a sent message true_<chat>_<id> in its events; NOWEB's send answer gave only <id>.
            var parts = report.ProviderMessageId.Split('_');
            var keyId = parts.Length >= 3 ? parts[2] : report.ProviderMessageId;
            var message = await db.OutboundMessages.AsNoTracking()
                .Where(m => m.InstanceId == instance.Id && (m.ProviderMessageId == report.ProviderMessageId || m.ProviderMessageId == keyId))
                .FirstOrDefaultAsync(cancellationToken);
            if (message is null || DeliveryStatuses.Rank(report.Status) <= DeliveryStatuses.Rank(message.DeliveryStatus))
            {
                continue;
            }

            var error = report.Error is { Length: > MaxError } tooLong ? tooLong[..MaxError] : report.Error;
            if (await requests.RunAsync(lifecycle => lifecycle.ReportDeliveryAsync(message, report.Status, error, resendButtonAsText: instance.Provider == Providers.CloudApi), cancellationToken))
            {
                applied++;
                metrics.DeliveryReported(instance.Provider, report.Status);
                logger.LogDebug("Message {MessageId} for request {RequestId}: {Status} {Error}", message.Id, message.RequestId, report.Status, error);
            }
        }

        return applied;
    }
}
