using Microsoft.EntityFrameworkCore;
using Passline.Instances;
using Passline.Links;
using Passline.Storage;

namespace Passline.Channels;

/// <summary>A provider's report on a message it accepted: Cloud API <c>statuses[]</c>, WAHA <c>message.ack</c>.</summary>
/// <param name="ProviderMessageId">The provider's id of the message, as its send answer or its webhook names it.</param>
/// <param name="Status">One of <see cref="DeliveryStatuses"/>.</param>
/// <param name="Error">For <c>failed</c>: the provider's error (Meta: <c>131026 Message undeliverable</c>).</param>
public sealed record DeliveryReport(string ProviderMessageId, string Status, string? Error);

/// <summary>
/// Applies delivery reports (SPEC 2.4, 3): each moves its message's delivery status forward, never back; a code that
/// could not be delivered ends its request <c>failed</c> (<c>undeliverable</c>) with the failed callback.
/// </summary>
public sealed class DeliveryReports(PasslineDb db, LinkLifecycle lifecycle, Monitoring.PasslineMetrics metrics, ILogger<DeliveryReports> logger)
{
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

            var now = lifecycle.Now();
            var previous = message.DeliveryStatus;
            applied += await lifecycle.InTransactionAsync(async () =>
            {
                // Conditional on the status read, so that concurrent reports cannot move it back.
                var rows = await db.OutboundMessages
                    .Where(m => m.Id == message.Id && m.DeliveryStatus == previous)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(m => m.DeliveryStatus, report.Status)
                        .SetProperty(m => m.DeliveryError, report.Error == null ? null : report.Error.Length > 300 ? report.Error.Substring(0, 300) : report.Error)
                        .SetProperty(m => m.DeliveryUpdatedAt, now), cancellationToken);
                if (rows == 1 && report.Status == DeliveryStatuses.Failed && message.Kind == OutboundKinds.Code && message.RequestId is { } requestId)
                {
                    await lifecycle.UndeliverableAsync(requestId, cancellationToken);
                }

                return rows;
            }, cancellationToken);

            metrics.DeliveryReported(instance.Provider, report.Status);
            logger.LogInformation("Message {MessageId} for request {RequestId}: {Status} {Error}", message.Id, message.RequestId, report.Status, report.Error);
        }

        return applied;
    }
}
