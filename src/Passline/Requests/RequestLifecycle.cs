using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Passline.Api;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Storage;

namespace Passline.Requests;

/// <summary>
/// Every state change of an OTP request (SPEC 3), inside one unit of work. Each is one conditional
/// <c>UPDATE ... WHERE status = 'pending'</c> whose row count decides the outcome, so duplicate webhooks, double clicks
/// and several nodes can never verify a request twice or both verify and fail it; the messages and callbacks it causes
/// are written in the same unit of work, so none is lost and none is sent for a change that did not happen. Obtain one
/// through <see cref="RequestWork.RunAsync{T}"/>.
/// </summary>
public sealed class RequestLifecycle(UnitOfWork work, OutboxWriter outbox, PasslineMetrics metrics, ILogger logger)
{
    public static readonly TimeSpan ExchangeLifetime = TimeSpan.FromMinutes(5);

    public PasslineDb Db => work.Db;

    public DateTimeOffset Now => work.Now;

    private CancellationToken Aborted => work.Aborted;

    /// <summary>Stores a new request (pending).</summary>
    public void Create(OtpRequest request) => work.Db.OtpRequests.Add(request);

    /// <summary>Queues a WhatsApp message for <paramref name="request"/> (or none) in this unit of work.</summary>
    public void Send(Guid instanceId, Guid? requestId, string chatId, string text, string kind = OutboundKinds.Text, string? code = null, string? link = null) =>
        outbox.Send(work, instanceId, requestId, chatId, text, kind, code, link);

    /// <summary>
    /// Match: the code arrived from an allowed chat (the caller matched the sender against <paramref name="boundChatId"/>,
    /// in whatever form the owner writes, SPEC 1). Records the sender (where replies go, its phone, its user id) and
    /// issues a fresh verification token (an earlier one stops working). False when the request stopped being pending or
    /// expired meanwhile.
    /// </summary>
    public async Task<bool> ReceiveCodeAsync(Guid id, string? boundChatId, string chatId, string? phone, string? userId, byte[] verificationTokenHash)
    {
        var now = Now;
        var rows = await Db.OtpRequests
            .Where(r => r.Id == id && r.Status == OtpStatus.Pending && r.ExpiresAt > now && r.BoundChatId == boundChatId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ChatId, chatId)
                .SetProperty(r => r.Phone, phone)
                .SetProperty(r => r.UserId, userId)
                .SetProperty(r => r.MessageReceivedAt, now)
                .SetProperty(r => r.VerificationTokenHash, verificationTokenHash), Aborted);
        return rows == 1;
    }

    /// <summary>
    /// Verify (SPEC 4.1, 4.2): by the holder of the current verification token, before expiry, while the device binding is
    /// still the one the page showed; with the exchange token when this browser receives the redirect.
    /// </summary>
    public Task<OtpRequest?> VerifyAsync(Guid id, byte[] verificationTokenHash, byte[]? shownBinding, byte[]? exchangeTokenHash)
    {
        var now = Now;
        return EndAsync(id, OtpStatus.Verified, null,
            r => r.VerificationTokenHash == verificationTokenHash && r.ExpiresAt > now && r.DeviceBindingHash == shownBinding,
            s =>
            {
                s.SetProperty(r => r.VerifiedAt, now);
                if (exchangeTokenHash is not null)
                {
                    s.SetProperty(r => r.ExchangeTokenHash, exchangeTokenHash).SetProperty(r => r.ExchangeExpiresAt, now + ExchangeLifetime);
                }
            });
    }

    /// <summary>
    /// "This wasn't me" by the holder of the current verification token (SPEC 3): <c>declined</c> before expiry; after it,
    /// <c>expired</c>, as Verify would find it, even before the sweeper has come by.
    /// </summary>
    public async Task<OtpRequest?> DeclineAsync(Guid id, byte[] verificationTokenHash)
    {
        var now = Now;
        return await EndAsync(id, OtpStatus.Failed, FailedReasons.Declined, r => r.VerificationTokenHash == verificationTokenHash && r.ExpiresAt > now)
            ?? await EndAsync(id, OtpStatus.Expired, null, r => r.VerificationTokenHash == verificationTokenHash && r.ExpiresAt <= now);
    }

    /// <summary>Ends a request past its expiry as <c>expired</c>.</summary>
    public Task<OtpRequest?> ExpireAsync(Guid id)
    {
        var now = Now;
        return EndAsync(id, OtpStatus.Expired, null, r => r.ExpiresAt <= now);
    }

    /// <summary>API cancel (SPEC 2.4).</summary>
    public Task<OtpRequest?> CancelAsync(Guid id) => EndAsync(id, OtpStatus.Failed, FailedReasons.Cancelled);

    /// <summary>Ends an open request as <c>failed</c> for <paramref name="reason"/> (<see cref="FailedReasons"/>).</summary>
    public Task<OtpRequest?> FailAsync(Guid id, string reason) => EndAsync(id, OtpStatus.Failed, reason);

    /// <summary>
    /// The provider reported that the code of a <c>request-code</c> request never arrived (SPEC 3): <c>failed</c>,
    /// reason <c>undeliverable</c>, with the failed callback.
    /// </summary>
    public Task<OtpRequest?> UndeliverableAsync(Guid id) =>
        EndAsync(id, OtpStatus.Failed, FailedReasons.Undeliverable, r => r.OtpType == OtpTypes.Code);

    /// <summary>
    /// A provider's delivery report on a sent message (SPEC 2.4): moves its delivery status forward, never back (the
    /// update is conditional on the status read, so concurrent reports cannot move it back either). False when it did not.
    /// </summary>
    /// <param name="resendButtonAsText">
    /// A failed button is sent again as plain text (SPEC 5: when Meta refuses an interactive message, the text form is
    /// sent instead).
    /// </param>
    public async Task<bool> ReportDeliveryAsync(OutboundMessage message, string status, string? error, bool resendButtonAsText = false)
    {
        var now = Now;
        var previous = message.DeliveryStatus;
        // A button kept its text for a possible resend as text; a final report ends that wait (SPEC 8: redacted).
        var final = message.Form == MessageForms.Button && status is DeliveryStatuses.Delivered or DeliveryStatuses.Read or DeliveryStatuses.Failed;
        var rows = await Db.OutboundMessages
            .Where(m => m.Id == message.Id && m.DeliveryStatus == previous)
            .ExecuteUpdateAsync(s =>
            {
                s.SetProperty(m => m.DeliveryStatus, status)
                    .SetProperty(m => m.DeliveryError, error)
                    .SetProperty(m => m.DeliveryUpdatedAt, now);
                if (final)
                {
                    s.SetProperty(m => m.Text, "").SetProperty(m => m.Link, (string?)null);
                }
            }, Aborted);
        if (rows == 1 && status == DeliveryStatuses.Failed && message.Kind == OutboundKinds.Code && message.RequestId is { } requestId)
        {
            await UndeliverableAsync(requestId);
        }

        if (rows == 1 && status == DeliveryStatuses.Failed && resendButtonAsText && message.Form == MessageForms.Button)
        {
            Send(message.InstanceId, message.RequestId, message.ChatId, message.Text);
            logger.LogInformation("Message {MessageId}: the button failed ({Error}), its text form queued", message.Id, error);
        }

        return rows == 1;
    }

    /// <summary>A new code for a chat supersedes the chat's older open ones (SPEC 2.3).</summary>
    public async Task SupersedeCodesAsync(Guid instanceId, string chatId)
    {
        var open = await Db.OtpRequests
            .Where(r => r.InstanceId == instanceId && r.OtpType == OtpTypes.Code && r.ChatId == chatId
                && (r.Status == OtpStatus.Pending || r.Status == OtpStatus.Sent))
            .Select(r => r.Id)
            .ToListAsync(Aborted);
        foreach (var id in open)
        {
            await FailAsync(id, FailedReasons.Superseded);
        }
    }

    /// <summary>validate-code with the right code, before expiry and within the attempts (SPEC 2.3).</summary>
    public Task<OtpRequest?> ValidateAsync(Guid id, int maxWrongAttempts)
    {
        var now = Now;
        return EndAsync(id, OtpStatus.Validated, null,
            r => r.FailedAttempts < maxWrongAttempts && r.ExpiresAt > now,
            s => s.SetProperty(r => r.ValidatedAt, now));
    }

    /// <summary>
    /// validate-code with a wrong code: counts the attempt, and the one that uses up the last attempt ends the request
    /// <c>too_many_attempts</c> in the same unit of work. Returns the attempts left, or null when the request was no longer
    /// open (or out of attempts) when the attempt arrived.
    /// </summary>
    public async Task<int?> CountWrongCodeAsync(Guid id, int maxWrongAttempts)
    {
        var counted = await Db.OtpRequests
            .Where(r => r.Id == id && (r.Status == OtpStatus.Pending || r.Status == OtpStatus.Sent) && r.FailedAttempts < maxWrongAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.FailedAttempts, r => r.FailedAttempts + 1), Aborted);
        if (counted == 0)
        {
            return null;
        }

        var left = maxWrongAttempts - await Db.OtpRequests.Where(r => r.Id == id).Select(r => r.FailedAttempts).FirstAsync(Aborted);
        if (left <= 0)
        {
            await FailAsync(id, FailedReasons.TooManyAttempts);
        }

        return left;
    }

    /// <summary>The provider accepted a code's message: the code request is <c>sent</c> (SPEC 2.3).</summary>
    public Task MarkSentAsync(Guid id) =>
        Db.OtpRequests.Where(r => r.Id == id && r.Status == OtpStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, OtpStatus.Sent), Aborted);

    /// <summary>
    /// Queues the request's <c>expired</c> message to its chat, once per request whoever notices the expiry first
    /// (an inbound message, or the page of an expired link).
    /// </summary>
    public async Task<bool> NotifyExpiredOnceAsync(OtpRequest request, string chatId)
    {
        var now = Now;
        var rows = await Db.OtpRequests
            .Where(r => r.Id == request.Id && r.ExpiredNoticeAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExpiredNoticeAt, now), Aborted);
        if (rows == 1)
        {
            Send(request.InstanceId, request.Id, chatId, Fill(request, request.ExpiredMessage ?? MessageTemplates.Expired));
            logger.LogInformation("Request {RequestId}: expired link opened, expired message queued", request.Id);
        }

        return rows == 1;
    }

    /// <summary>
    /// <c>link_url</c> was opened (SPEC 4.3): counts the click and, when <paramref name="bindingHash"/> is given and the
    /// request is still open and not yet bound, binds it to that browser (the first browser keeps the binding). True when
    /// this call bound it.
    /// </summary>
    public async Task<bool> OpenLinkAsync(Guid id, byte[]? bindingHash, string? deviceDescription)
    {
        var now = Now;
        var opened = Db.OtpRequests.Where(r => r.Id == id);
        await opened.ExecuteUpdateAsync(s => s
            .SetProperty(r => r.LinkClicks, r => r.LinkClicks + 1)
            .SetProperty(r => r.LinkOpenedAt, r => r.LinkOpenedAt ?? now), Aborted);
        if (bindingHash is null)
        {
            return false;
        }

        // Only the first browser binds (SPEC 4.3): of two opening the link at once, the database picks one.
        return await opened.Where(r => r.Status == OtpStatus.Pending && r.ExpiresAt > now && r.DeviceBindingHash == null).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.DeviceBindingHash, bindingHash)
            .SetProperty(r => r.DeviceDescription, deviceDescription), Aborted) == 1;
    }

    /// <summary>
    /// Hands the redirect of a request verified in another browser to the bound browser (SPEC 4.2): issues the one-time
    /// exchange token, once, to the holder of <paramref name="bindingHash"/>, within the token's lifetime after Verify.
    /// </summary>
    public async Task<bool> HandOverAsync(Guid id, byte[] bindingHash, byte[] exchangeTokenHash)
    {
        var now = Now;
        var since = now - ExchangeLifetime;
        var rows = await Db.OtpRequests
            .Where(r => r.Id == id && r.Status == OtpStatus.Verified && r.Redirect != null && r.ExchangeTokenHash == null
                && r.DeviceBindingHash == bindingHash && r.VerifiedAt > since)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ExchangeTokenHash, exchangeTokenHash)
                .SetProperty(r => r.ExchangeExpiresAt, now + ExchangeLifetime), Aborted);
        return rows == 1;
    }

    /// <summary>Redeems an exchange token of <paramref name="instanceId"/> (SPEC 2.4): the verified request once, then null.</summary>
    public async Task<OtpRequest?> ExchangeAsync(Guid instanceId, string token)
    {
        var hash = Instances.Secrets.Hash(token);
        var now = Now;
        var redeemed = await Db.OtpRequests
            .Where(r => r.InstanceId == instanceId && r.ExchangeTokenHash == hash && r.ExchangedAt == null && r.ExchangeExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExchangedAt, now), Aborted);
        return redeemed == 0 ? null : await Db.OtpRequests.AsNoTracking().FirstAsync(r => r.ExchangeTokenHash == hash, Aborted);
    }

    public static string Fill(OtpRequest request, string template, string? link = null) =>
        MessageTemplates.Fill(template, request.Name, request.Code, link);

    /// <summary>
    /// Ends an open request (pending, or sent for a code) that also meets <paramref name="condition"/>: sets
    /// <paramref name="status"/>, the reason and the end time, plus whatever <paramref name="also"/> sets, and queues its
    /// callback. Returns the ended request, or null when another transition came first.
    /// </summary>
    private async Task<OtpRequest?> EndAsync(
        Guid id, OtpStatus status, string? reason,
        Expression<Func<OtpRequest, bool>>? condition = null, Action<UpdateSettersBuilder<OtpRequest>>? also = null)
    {
        var now = Now;
        var query = Db.OtpRequests.Where(r => r.Id == id && (r.Status == OtpStatus.Pending || r.Status == OtpStatus.Sent));
        if (condition is not null)
        {
            query = query.Where(condition);
        }

        var rows = await query.ExecuteUpdateAsync(s =>
        {
            s.SetProperty(r => r.Status, status).SetProperty(r => r.FailedReason, reason).SetProperty(r => r.EndedAt, now);
            also?.Invoke(s);
        }, Aborted);
        if (rows == 0)
        {
            return null;
        }

        var ended = await Db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == id, Aborted);
        QueueCallback(ended);
        outbox.SignalAfterCommit(work);
        metrics.RequestEnded(ended.InstanceId, ended.OtpType, ended.Status, ended.FailedReason, ended.VerifiedAt - ended.CreatedAt);
        logger.LogDebug("Request {RequestId} ended {Status} {Reason}", ended.Id, ended.Status.Name(), ended.FailedReason);
        return ended;
    }

    /// <summary>
    /// The callback of a request that has just ended (SPEC 7): to <c>callback.success</c> when verified or validated, to
    /// <c>callback.failed</c> when failed or expired; nothing when the request has no such URL.
    /// </summary>
    private void QueueCallback(OtpRequest ended)
    {
        var url = ended.Status is OtpStatus.Verified or OtpStatus.Validated ? ended.CallbackSuccess : ended.CallbackFailed;
        if (url is null)
        {
            return;
        }

        var payload = new CallbackPayload(ended.Id, ended.OtpType == OtpTypes.Link ? ended.Code : null, ended.ChatId, ended.Status.Name(),
            ended.VerifiedAt, ended.Phone, ended.UserId, ended.OtpType, ended.FailedReason);
        outbox.Callback(work, ended.InstanceId, ended.Id, url, JsonSerializer.Serialize(payload, ApiJson.Options));
    }
}

/// <summary>The body of a callback (SPEC 7).</summary>
public sealed record CallbackPayload(
    Guid Uuid, string? Code, string? ChatId, string Status, DateTimeOffset? VerifiedAt, string? Phone, string? UserId, string OtpType, string? Reason);

/// <summary>
/// The one way to change OTP requests: runs a unit of work (<see cref="Writes"/>) with the request lifecycle bound to it.
/// Messages and callbacks the transitions queue commit with them, and wake their workers after the commit.
/// </summary>
public sealed class RequestWork(Writes writes, OutboxWriter outbox, PasslineMetrics metrics, ILogger<RequestLifecycle> logger)
{
    public Task<T> RunAsync<T>(Func<RequestLifecycle, Task<T>> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), cancellationToken);

    public Task RunAsync(Func<RequestLifecycle, Task> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), cancellationToken);

    /// <summary>The lifecycle inside a unit of work that another room runs (the outbox recording an attempt, say).</summary>
    public RequestLifecycle In(UnitOfWork work) => new(work, outbox, metrics, logger);
}
