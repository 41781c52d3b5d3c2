using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Passline.Channels;
using Passline.Storage;

namespace Passline.Links;

/// <summary>
/// Every state change of an OTP request (SPEC 3). Each is one conditional <c>UPDATE ... WHERE status = 'pending'</c>
/// whose row count decides the outcome, so duplicate webhooks, double clicks and several nodes can never verify a
/// request twice or both verify and fail it; the messages (and callbacks) it causes are written in the same
/// transaction, so none is lost and none is sent for a change that did not happen.
/// </summary>
public sealed class LinkLifecycle(PasslineDb db, TimeProvider time, OutboxSignal signal, Monitoring.PasslineMetrics metrics, ILogger<LinkLifecycle> logger)
{
    public static readonly TimeSpan ExchangeLifetime = TimeSpan.FromMinutes(5);

    public PasslineDb Db => db;

    public DateTimeOffset Now() => time.GetUtcNow();

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction (or in the caller's), saves what it added and commits; then wakes
    /// the delivery workers of this process.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            return await work();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await work();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Committed();
        return result;
    }

    /// <summary>Call after committing a transaction that queued messages or callbacks: wakes this process's workers.</summary>
    public void Committed() => signal.Notify();

    /// <summary>Queues a WhatsApp text; it is written with the caller's transaction.</summary>
    /// <param name="link">The verification URL in <paramref name="text"/>, for a success message that may go as a button.</param>
    public void Send(Guid instanceId, Guid? requestId, string chatId, string text, string kind = OutboundKinds.Text, string? code = null, string? link = null)
    {
        var now = Now();
        db.OutboundMessages.Add(new OutboundMessage
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instanceId,
            RequestId = requestId,
            ChatId = chatId,
            Text = text,
            Kind = kind,
            Code = code,
            Link = link,
            Status = OutboundStatuses.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>
    /// The code arrived from an allowed chat (the caller matched it against <paramref name="boundChatId"/>): records the
    /// sender (where replies go, its phone and its user id) and issues a fresh verification token (an earlier one stops
    /// working). False when the request stopped being pending or expired meanwhile.
    /// </summary>
    public async Task<bool> ReceiveCodeAsync(Guid id, string? boundChatId, Inbound.IncomingMessage sender, byte[] verificationTokenHash, CancellationToken cancellationToken)
    {
        var now = Now();
        var rows = await db.OtpRequests
            .Where(r => r.Id == id && r.Status == OtpStatuses.Pending && r.ExpiresAt > now && r.BoundChatId == boundChatId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ChatId, sender.ChatId)
                .SetProperty(r => r.Phone, sender.Phone)
                .SetProperty(r => r.UserId, sender.UserId)
                .SetProperty(r => r.MessageReceivedAt, now)
                .SetProperty(r => r.VerificationTokenHash, verificationTokenHash), cancellationToken);
        return rows == 1;
    }

    /// <summary>
    /// Ends an open request (pending, or sent for a code) that also meets <paramref name="condition"/>: sets
    /// <paramref name="status"/>, the reason and the end time, plus whatever <paramref name="also"/> sets.
    /// Returns the ended request, or null when another transition came first.
    /// </summary>
    public async Task<OtpRequest?> EndAsync(
        Guid id, string status, string? reason, CancellationToken cancellationToken,
        Expression<Func<OtpRequest, bool>>? condition = null, Action<UpdateSettersBuilder<OtpRequest>>? also = null)
    {
        var now = Now();
        var query = db.OtpRequests.Where(r => r.Id == id && (r.Status == OtpStatuses.Pending || r.Status == OtpStatuses.Sent));
        if (condition is not null)
        {
            query = query.Where(condition);
        }

        var rows = await query.ExecuteUpdateAsync(s =>
        {
            s.SetProperty(r => r.Status, status).SetProperty(r => r.FailedReason, reason).SetProperty(r => r.EndedAt, now);
            also?.Invoke(s);
        }, cancellationToken);
        if (rows == 0)
        {
            return null;
        }

        var ended = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == id, cancellationToken);
        Callbacks.Callbacks.Enqueue(db, ended, now);
        metrics.RequestEnded(ended.InstanceId, ended.OtpType, ended.Status, ended.FailedReason, ended.VerifiedAt - ended.CreatedAt);
        logger.LogInformation("Request {RequestId} ended {Status} {Reason}", ended.Id, ended.Status, ended.FailedReason);
        return ended;
    }

    /// <summary>
    /// The provider reported that the code of a <c>request-code</c> request never arrived (SPEC 3): <c>failed</c>,
    /// reason <c>undeliverable</c>, with the failed callback.
    /// </summary>
    public Task<OtpRequest?> UndeliverableAsync(Guid id, CancellationToken cancellationToken) =>
        EndAsync(id, OtpStatuses.Failed, "undeliverable", cancellationToken, r => r.OtpType == OtpTypes.Code);

    /// <summary>Ends a request past its expiry as <c>expired</c>.</summary>
    public Task<OtpRequest?> ExpireAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = Now();
        return EndAsync(id, OtpStatuses.Expired, null, cancellationToken, r => r.ExpiresAt <= now);
    }

    /// <summary>
    /// Queues the request's <c>expired</c> message to its chat, once per request whoever notices the expiry first
    /// (an inbound message, or the page of an expired link).
    /// </summary>
    public async Task<bool> NotifyExpiredOnceAsync(OtpRequest request, string chatId, CancellationToken cancellationToken)
    {
        var now = Now();
        var rows = await db.OtpRequests
            .Where(r => r.Id == request.Id && r.ExpiredNoticeAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExpiredNoticeAt, now), cancellationToken);
        if (rows == 1)
        {
            Send(request.InstanceId, request.Id, chatId, Fill(request, request.ExpiredMessage ?? MessageTemplates.Expired));
            logger.LogInformation("Request {RequestId}: expired link opened, expired message queued", request.Id);
        }

        return rows == 1;
    }

    /// <summary>
    /// <c>link_url</c> was opened (SPEC 4.3): counts the click and, when <paramref name="bindingHash"/> is given and the
    /// request is still open, binds it to that browser (the latest browser to open the link holds the binding).
    /// </summary>
    public async Task OpenLinkAsync(Guid id, byte[]? bindingHash, string? deviceDescription, CancellationToken cancellationToken)
    {
        var now = Now();
        var opened = db.OtpRequests.Where(r => r.Id == id);
        if (bindingHash is null)
        {
            await opened.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.LinkClicks, r => r.LinkClicks + 1)
                .SetProperty(r => r.LinkOpenedAt, r => r.LinkOpenedAt ?? now), cancellationToken);
            return;
        }

        await opened.Where(r => r.Status == OtpStatuses.Pending && r.ExpiresAt > now).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.LinkClicks, r => r.LinkClicks + 1)
            .SetProperty(r => r.LinkOpenedAt, r => r.LinkOpenedAt ?? now)
            .SetProperty(r => r.DeviceBindingHash, bindingHash)
            .SetProperty(r => r.DeviceDescription, deviceDescription), cancellationToken);
    }

    /// <summary>
    /// Hands the redirect of a request verified in another browser to the bound browser (SPEC 4.2): issues the one-time
    /// exchange token, once, to the holder of <paramref name="bindingHash"/>, within the token's lifetime after Verify.
    /// </summary>
    public async Task<bool> HandOverAsync(Guid id, byte[] bindingHash, byte[] exchangeTokenHash, CancellationToken cancellationToken)
    {
        var now = Now();
        var since = now - ExchangeLifetime;
        var rows = await db.OtpRequests
            .Where(r => r.Id == id && r.Status == OtpStatuses.Verified && r.Redirect != null && r.ExchangeTokenHash == null
                && r.DeviceBindingHash == bindingHash && r.VerifiedAt > since)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ExchangeTokenHash, exchangeTokenHash)
                .SetProperty(r => r.ExchangeExpiresAt, now + ExchangeLifetime), cancellationToken);
        return rows == 1;
    }

    /// <summary>Redeems an exchange token of <paramref name="instanceId"/> (SPEC 2.4): the verified request once, then null.</summary>
    public async Task<OtpRequest?> ExchangeAsync(Guid instanceId, string token, CancellationToken cancellationToken)
    {
        var hash = Instances.Secrets.Hash(token);
        var now = Now();
        var redeemed = await db.OtpRequests
            .Where(r => r.InstanceId == instanceId && r.ExchangeTokenHash == hash && r.ExchangedAt == null && r.ExchangeExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExchangedAt, now), cancellationToken);
        return redeemed == 0 ? null : await db.OtpRequests.AsNoTracking().FirstAsync(r => r.ExchangeTokenHash == hash, cancellationToken);
    }

    public static string Fill(OtpRequest request, string template, string? link = null) =>
        MessageTemplates.Fill(template, request.Name, request.Code, link);
}
