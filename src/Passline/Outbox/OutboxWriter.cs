using Passline.Storage;

namespace Passline.Outbox;

/// <summary>
/// Puts rows in the outboxes, in the caller's unit of work: they commit with the change that causes them (or not at
/// all), and this process's workers wake once that commit is done.
/// </summary>
public sealed class OutboxWriter(OutboxSignal signal)
{
    /// <summary>Queues a WhatsApp message to <paramref name="chatId"/>.</summary>
    /// <param name="link">The verification URL in <paramref name="text"/>, for a success message that may go as a button.</param>
    public void Send(UnitOfWork work, Guid instanceId, Guid? requestId, string chatId, string text, string kind = OutboundKinds.Text, string? code = null, string? link = null) =>
        Add(work, NewMessage(work, instanceId, requestId, chatId, text, kind, code, link));

    /// <summary>A message row as <see cref="Send"/> queues it, not yet queued.</summary>
    public static OutboundMessage NewMessage(
        UnitOfWork work, Guid instanceId, Guid? requestId, string chatId, string text, string kind = OutboundKinds.Text, string? code = null, string? link = null) =>
        new()
        {
            Id = Guid.CreateVersion7(work.Now),
            InstanceId = instanceId,
            RequestId = requestId,
            ChatId = chatId,
            Text = text,
            Kind = kind,
            Code = code,
            Link = link,
            Status = OutboxStatuses.Pending,
            CreatedAt = work.Now,
            NextAttemptAt = work.Now,
        };

    /// <summary>Queues a callback made by <see cref="NewCallback"/>.</summary>
    public void Queue(UnitOfWork work, CallbackDelivery callback) => Add(work, callback);

    /// <summary>A callback row, not yet queued: <paramref name="payload"/> to be POSTed to <paramref name="url"/>, signed.</summary>
    public static CallbackDelivery NewCallback(UnitOfWork work, Guid instanceId, Guid requestId, string url, string payload) =>
        new()
        {
            Id = Guid.CreateVersion7(work.Now),
            InstanceId = instanceId,
            RequestId = requestId,
            Url = url,
            Payload = payload,
            Status = OutboxStatuses.Pending,
            CreatedAt = work.Now,
            NextAttemptAt = work.Now,
        };

    /// <summary>
    /// Wakes this process's waiters once <paramref name="work"/> commits even if it queued nothing: the link page's live
    /// status waits on the same signal for a request's changes.
    /// </summary>
    public void SignalAfterCommit(UnitOfWork work) => work.AfterCommit(signal.Notify);

    private void Add(UnitOfWork work, OutboxRow row)
    {
        work.Db.Add(row);
        SignalAfterCommit(work);
    }
}
