using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
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
public sealed class RequestLifecycle(UnitOfWork work, OutboxWriter outbox, RequestChanges changes, PasslineMetrics metrics, ILogger logger)
{
    public static readonly TimeSpan ExchangeLifetime = TimeSpan.FromMinutes(5);

    public PasslineDb Db => work.Db;

    public UnitOfWork Work => work;

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
    public async Task<bool> ReceiveCodeAsync(Guid id, string? boundChatId, string chatId, string? phone, string? userId, byte[] verificationTokenHash) =>
        Changed(id, await UpdateAsync(ReceiveCode, ReceiveCodeValues(id, boundChatId, chatId, phone, userId, verificationTokenHash)) == 1);

    /// <summary>The statement of <see cref="ReceiveCodeAsync"/>, with <see cref="ReceiveCodeValues"/>.</summary>
    private static readonly string ReceiveCode = $"""
        UPDATE otp_requests SET chat_id = @chat_id, phone = @phone, user_id = @user_id, message_received_at = @now, verification_token_hash = @token
        WHERE id = @id AND status = '{OtpStatus.Pending.Name()}' AND expires_at > @now AND bound_chat_id IS NOT DISTINCT FROM @bound
        """;

    private Value[] ReceiveCodeValues(Guid id, string? boundChatId, string chatId, string? phone, string? userId, byte[] verificationTokenHash) =>
    [
        new("id", nameof(OtpRequest.Id), id), new("bound", nameof(OtpRequest.BoundChatId), boundChatId),
        new("chat_id", nameof(OtpRequest.ChatId), chatId), new("phone", nameof(OtpRequest.Phone), phone), new("user_id", nameof(OtpRequest.UserId), userId),
        new("now", nameof(OtpRequest.MessageReceivedAt), Now), new("token", nameof(OtpRequest.VerificationTokenHash), verificationTokenHash),
    ];

    /// <summary>
    /// PostgreSQL: the request the inbound statement updates by its key is still open to its code. Not
    /// <c>status = 'pending'</c>: with that, and the statistics showing few pending requests (the usual case: a request is
    /// pending for a minute or two), PostgreSQL finds the row through the (status, expiry) index instead of the primary
    /// key, reading every pending request's entry and every dead one on the way (under the flow benchmark,
    /// <c>pg_stat_statements</c>: 67 buffers a statement, 50 by the key). <c>IS NOT DISTINCT FROM</c> means the same on a
    /// column that is never null, and no index serves it.
    /// </summary>
    internal static readonly string StillOpen =
        $"status IS NOT DISTINCT FROM '{OtpStatus.Pending.Name()}' AND expires_at > @now AND bound_chat_id IS NOT DISTINCT FROM @bound";

    /// <summary>
    /// PostgreSQL: <see cref="ReceiveCodeAsync"/> as one statement that also inserts the reply it answers with and the
    /// inbound message's record, when the request matches (a data-modifying <c>WITH</c>); a unit of one statement
    /// (<see cref="RequestWork.RunEndAsync{T}"/>) then needs no transaction. False, and nothing written, when it did not
    /// match. A redelivered message breaks the record's unique key and fails the whole statement
    /// (a <see cref="DbUpdateException"/>, as from <c>SaveChanges</c>).
    /// </summary>
    public async Task<bool> ReceiveCodeWithReplyAsync(
        OtpRequest request, string chatId, string? phone, string? userId, byte[] verificationTokenHash, OutboundMessage reply, Inbound.InboundMessage record)
    {
        var sql = new System.Text.StringBuilder($"WITH matched AS ({ReceiveCode} RETURNING id)");
        List<DbParameter> parameters = [.. Parameters(ReceiveCodeValues(request.Id, request.BoundChatId, chatId, phone, userId, verificationTokenHash))];
        foreach (var (name, (insert, values)) in new[]
        {
            ("reply", RowInserts.PostgresInsert(Db.Model, [reply], "matched", "reply_")),
            ("record", RowInserts.PostgresInsert(Db.Model, [record], "matched", "record_")),
        })
        {
            sql.Append($", {name} AS ({insert})");
            parameters.AddRange(values);
        }

        sql.Append(" SELECT count(*)::int FROM matched");
        var connection = Db.Database.GetDbConnection();
        await Db.Database.OpenConnectionAsync(Aborted);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql.ToString();
            command.Parameters.AddRange(parameters.ToArray());
            if ((int)(await command.ExecuteScalarAsync(Aborted))! == 0)
            {
                return false;
            }
        }
        catch (System.Data.Common.DbException e)
        {
            throw new DbUpdateException("Matching an inbound message failed.", e);
        }
        finally
        {
            await Db.Database.CloseConnectionAsync();
        }

        outbox.SignalAfterCommit(work);
        return Changed(request.Id);
    }

    /// <summary>
    /// Verify (SPEC 4.1, 4.2) of <paramref name="seen"/>, the request as the page read it: by the holder of the current
    /// verification token, before expiry, while the device binding is still the one the page showed; with the exchange
    /// token when this browser receives the redirect. Run it with <see cref="RequestWork.RunEndAsync{T}"/>: on PostgreSQL
    /// it is one statement with its callback.
    /// </summary>
    public Task<OtpRequest?> VerifyAsync(OtpRequest seen, byte[] verificationTokenHash, byte[]? exchangeTokenHash)
    {
        var now = Now;
        Set[] sets = exchangeTokenHash is null
            ? [new("verified_at", nameof(OtpRequest.VerifiedAt), now)]
            : [new("verified_at", nameof(OtpRequest.VerifiedAt), now), new("exchange_token_hash", nameof(OtpRequest.ExchangeTokenHash), exchangeTokenHash),
                new("exchange_expires_at", nameof(OtpRequest.ExchangeExpiresAt), now + ExchangeLifetime)];
        return EndAsync(seen.Id, OtpStatus.Verified, null,
            "verification_token_hash = @token AND expires_at > @now AND device_binding_hash IS NOT DISTINCT FROM @shown",
            [new("token", nameof(OtpRequest.VerificationTokenHash), verificationTokenHash), new("shown", nameof(OtpRequest.DeviceBindingHash), seen.DeviceBindingHash)],
            sets, seen);
    }

    /// <summary>
    /// "This wasn't me" by the holder of the current verification token (SPEC 3): <c>declined</c> before expiry; after it,
    /// <c>expired</c>, as Verify would find it, even before the sweeper has come by.
    /// </summary>
    public async Task<OtpRequest?> DeclineAsync(Guid id, byte[] verificationTokenHash)
    {
        Value[] token = [new("token", nameof(OtpRequest.VerificationTokenHash), verificationTokenHash)];
        return await EndAsync(id, OtpStatus.Failed, FailedReasons.Declined, "verification_token_hash = @token AND expires_at > @now", token)
            ?? await EndAsync(id, OtpStatus.Expired, null, "verification_token_hash = @token AND expires_at <= @now", token);
    }

    /// <summary>Ends a request past its expiry as <c>expired</c>.</summary>
    public Task<OtpRequest?> ExpireAsync(Guid id) => EndAsync(id, OtpStatus.Expired, null, "expires_at <= @now");

    /// <summary>
    /// API cancel (SPEC 2.4) of a request still open before its expiry. One past its expiry has ended already, as the
    /// API reports it (SPEC 3): it ends <c>expired</c> here, with its callback, and null says it was not cancelled.
    /// </summary>
    public async Task<OtpRequest?> CancelAsync(Guid id)
    {
        if (await EndAsync(id, OtpStatus.Failed, FailedReasons.Cancelled, "expires_at > @now") is { } cancelled)
        {
            return cancelled;
        }

        await ExpireAsync(id);
        return null;
    }

    /// <summary>Ends an open request as <c>failed</c> for <paramref name="reason"/> (<see cref="FailedReasons"/>).</summary>
    public Task<OtpRequest?> FailAsync(Guid id, string reason) => EndAsync(id, OtpStatus.Failed, reason);

    /// <summary>
    /// The provider reported that the code of a <c>request-code</c> request never arrived (SPEC 3): <c>failed</c>,
    /// reason <c>undeliverable</c>, with the failed callback.
    /// </summary>
    public Task<OtpRequest?> UndeliverableAsync(Guid id) =>
        EndAsync(id, OtpStatus.Failed, FailedReasons.Undeliverable, $"otp_type = '{OtpTypes.Code}'");

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
        // In SQL rather than EF Core's ExecuteUpdate, whose query pipeline every status a provider sends would run. Only
        // column names are spliced in; every value is a parameter.
        List<DbParameter> parameters =
        [
            Db.Parameter<OutboundMessage>(nameof(OutboundMessage.Id), "id", message.Id),
            Db.Parameter<OutboundMessage>(nameof(OutboundMessage.DeliveryStatus), "status", status),
            Db.Parameter<OutboundMessage>(nameof(OutboundMessage.DeliveryError), "error", error),
            Db.Parameter<OutboundMessage>(nameof(OutboundMessage.DeliveryUpdatedAt), "now", now),
        ];
        var sql = new System.Text.StringBuilder("UPDATE outbound_messages SET delivery_status = @status, delivery_error = @error, delivery_updated_at = @now");
        if (final)
        {
            sql.Append(", \"text\" = @redacted, \"link\" = NULL");
            parameters.Add(Db.Parameter<OutboundMessage>(nameof(OutboundMessage.Text), "redacted", ""));
        }

        sql.Append(" WHERE id = @id AND ");
        if (previous is null)
        {
            sql.Append("delivery_status IS NULL");
        }
        else
        {
            sql.Append("delivery_status = @previous");
            parameters.Add(Db.Parameter<OutboundMessage>(nameof(OutboundMessage.DeliveryStatus), "previous", previous));
        }

        var rows = await Db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, Aborted);
        // A code reported delivered or read has reached its user: a failure reported after that (another of the user's
        // devices, say) is recorded on the message, but the code stands.
        if (rows == 1 && status == DeliveryStatuses.Failed && message.Kind == OutboundKinds.Code && message.RequestId is { } requestId
            && previous is null or DeliveryStatuses.Sent)
        {
            await UndeliverableAsync(requestId);
        }

        // Only a button that never reached the phone: one reported delivered or read has had its text redacted, and its
        // user has seen it.
        if (rows == 1 && status == DeliveryStatuses.Failed && resendButtonAsText && message.Form == MessageForms.Button
            && (previous is null or DeliveryStatuses.Sent) && message.Text.Length > 0)
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
    public Task<OtpRequest?> ValidateAsync(Guid id, int maxWrongAttempts) =>
        EndAsync(id, OtpStatus.Validated, null, "failed_attempts < @max AND expires_at > @now",
            [new("max", nameof(OtpRequest.FailedAttempts), maxWrongAttempts)], [new("validated_at", nameof(OtpRequest.ValidatedAt), Now)]);

    /// <summary>
    /// validate-code with a wrong code: counts the attempt, and the one that uses up the last attempt ends the request
    /// <c>too_many_attempts</c> in the same unit of work. Returns the attempts left, or null when the request was no longer
    /// open (or out of attempts) when the attempt arrived.
    /// </summary>
    public async Task<int?> CountWrongCodeAsync(Guid id, int maxWrongAttempts)
    {
        var counted = await Db.ReadFirstAsync<OtpRequest>($"""
            UPDATE otp_requests SET failed_attempts = failed_attempts + 1
            WHERE id = @id AND status IN ('{OtpStatus.Pending.Name()}', '{OtpStatus.Sent.Name()}') AND failed_attempts < @max
            RETURNING failed_attempts
            """,
            Parameters([new("id", nameof(OtpRequest.Id), id), new("max", nameof(OtpRequest.FailedAttempts), maxWrongAttempts)]), Aborted);
        if (counted is null)
        {
            return null;
        }

        var left = maxWrongAttempts - counted.FailedAttempts;
        if (left <= 0)
        {
            await FailAsync(id, FailedReasons.TooManyAttempts);
        }

        return left;
    }

    /// <summary>The provider accepted a code's message: the code request is <c>sent</c> (SPEC 2.3).</summary>
    public Task MarkSentAsync(Guid id) =>
        UpdateAsync($"UPDATE otp_requests SET status = '{OtpStatus.Sent.Name()}' WHERE id = @id AND status = '{OtpStatus.Pending.Name()}'",
            new Value("id", nameof(OtpRequest.Id), id));

    /// <summary>
    /// Queues the request's <c>expired</c> message to its chat, once per request whoever notices the expiry first
    /// (an inbound message, or the page of an expired link).
    /// </summary>
    public async Task<bool> NotifyExpiredOnceAsync(OtpRequest request, string chatId)
    {
        var rows = await UpdateAsync("UPDATE otp_requests SET expired_notice_at = @now WHERE id = @id AND expired_notice_at IS NULL",
            new("id", nameof(OtpRequest.Id), request.Id), new("now", nameof(OtpRequest.ExpiredNoticeAt), Now));
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
    /// this call bound it. One statement: run it with <see cref="RequestWork.RunStatementAsync{T}"/>.
    /// </summary>
    public async Task<bool> OpenLinkAsync(Guid id, byte[]? bindingHash, string? deviceDescription)
    {
        const string click = "UPDATE otp_requests SET link_clicks = link_clicks + 1, link_opened_at = COALESCE(link_opened_at, @now)";
        Value[] values = [new("id", nameof(OtpRequest.Id), id), new("now", nameof(OtpRequest.LinkOpenedAt), Now)];
        if (bindingHash is null)
        {
            await UpdateAsync($"{click} WHERE id = @id", values);
            return false;
        }

        // Only the first browser binds (SPEC 4.3). Every expression of a SET reads the row as it was before the update,
        // and of two browsers opening the link at once the second's update waits for the first's and then reads its
        // binding: the database picks one. The hash is this call's own, fresh, so finding it stored means this call bound.
        var unbound = $"status = '{OtpStatus.Pending.Name()}' AND expires_at > @now AND device_binding_hash IS NULL";
        var opened = await Db.ReadFirstAsync<OtpRequest>($"""
            {click},
              device_binding_hash = CASE WHEN {unbound} THEN @binding ELSE device_binding_hash END,
              device_description = CASE WHEN {unbound} THEN @description ELSE device_description END
            WHERE id = @id RETURNING device_binding_hash
            """,
            Parameters([.. values, new("binding", nameof(OtpRequest.DeviceBindingHash), bindingHash),
                new("description", nameof(OtpRequest.DeviceDescription), deviceDescription)]), Aborted);
        return Changed(id, opened?.DeviceBindingHash is { } stored && stored.AsSpan().SequenceEqual(bindingHash));
    }

    /// <summary>
    /// Hands the redirect of a request verified in another browser to the bound browser (SPEC 4.2): issues the one-time
    /// exchange token, once, to the holder of <paramref name="bindingHash"/>, within the token's lifetime after Verify.
    /// </summary>
    public async Task<bool> HandOverAsync(Guid id, byte[] bindingHash, byte[] exchangeTokenHash) =>
        Changed(id, await UpdateAsync($"""
            UPDATE otp_requests SET exchange_token_hash = @hash, exchange_expires_at = @expires
            WHERE id = @id AND status = '{OtpStatus.Verified.Name()}' AND redirect IS NOT NULL AND exchange_token_hash IS NULL
              AND device_binding_hash = @binding AND verified_at > @since
            """,
            new("id", nameof(OtpRequest.Id), id), new("binding", nameof(OtpRequest.DeviceBindingHash), bindingHash),
            new("since", nameof(OtpRequest.VerifiedAt), Now - ExchangeLifetime), new("hash", nameof(OtpRequest.ExchangeTokenHash), exchangeTokenHash),
            new("expires", nameof(OtpRequest.ExchangeExpiresAt), Now + ExchangeLifetime)) == 1);

    /// <summary>Redeems an exchange token of <paramref name="instanceId"/> (SPEC 2.4): the verified request once, then null.</summary>
    public async Task<OtpRequest?> ExchangeAsync(Guid instanceId, string token)
    {
        const string sql = """
            UPDATE otp_requests SET exchanged_at = @now
            WHERE instance_id = @instance AND exchange_token_hash = @hash AND exchanged_at IS NULL AND exchange_expires_at > @now
            RETURNING *
            """;
        var parameters = Parameters([
            new("now", nameof(OtpRequest.ExchangedAt), Now), new("instance", nameof(OtpRequest.InstanceId), instanceId),
            new("hash", nameof(OtpRequest.ExchangeTokenHash), Instances.Secrets.Hash(token))]);
        return await Db.ReadFirstAsync<OtpRequest>(sql, parameters, Aborted);
    }

    public static string Fill(OtpRequest request, string template, string? link = null) =>
        MessageTemplates.Fill(template, request.Name, request.Code, link);

    /// <summary>
    /// Ends an open request (pending, or sent for a code) that also meets <paramref name="condition"/> (SQL over the
    /// columns of <c>otp_requests</c>, with <c>@now</c> and the named <paramref name="values"/>): sets
    /// <paramref name="status"/>, the reason and the end time, plus <paramref name="sets"/>, and queues its callback.
    /// One statement, <c>UPDATE ... RETURNING</c>, on both databases (SPEC 9: one round trip per state change). Returns
    /// the ended request, or null when another transition came first.
    /// <para>
    /// Given <paramref name="seen"/>, the request as the caller read it, on PostgreSQL the callback is inserted by the
    /// same statement (a data-modifying <c>WITH</c>), built from <paramref name="seen"/> as the transition leaves it; the
    /// transition then also requires every column the callback shows to be still as read, so the callback cannot differ
    /// from the one the ended row would give. One round trip, no transaction: the unit can be of one statement.
    /// </para>
    /// </summary>
    private async Task<OtpRequest?> EndAsync(
        Guid id, OtpStatus status, string? reason, string? condition = null, Value[]? values = null, Set[]? sets = null, OtpRequest? seen = null)
    {
        var sql = new System.Text.StringBuilder("UPDATE otp_requests SET status = @status, failed_reason = @reason, ended_at = @now");
        foreach (var set in sets ?? [])
        {
            sql.Append($", {set.Column} = @{set.Column}");
        }

        sql.Append($" WHERE id = @id AND status IN ('{OtpStatus.Pending.Name()}', '{OtpStatus.Sent.Name()}')");
        if (condition is not null)
        {
            sql.Append($" AND {condition}");
        }

        sql.Append(" RETURNING *");
        Value[] fixedValues =
        [
            new("id", nameof(OtpRequest.Id), id), new("status", nameof(OtpRequest.Status), status),
            new("reason", nameof(OtpRequest.FailedReason), reason), new("now", nameof(OtpRequest.EndedAt), Now),
        ];
        var parameters = Parameters([.. fixedValues, .. values ?? [], .. (sets ?? []).Select(set => new Value(set.Column, set.Property, set.Value))]);

        var withCallback = seen is not null && Db.Database.IsNpgsql();
        if (withCallback)
        {
            (sql, parameters) = WithCallback(sql, parameters, seen!, status, reason, sets ?? []);
        }

        // Only column names and constants written here are spliced in; every value is a parameter.
        var ended = await Db.ReadFirstAsync<OtpRequest>(sql.ToString(), parameters, Aborted);
        if (ended is null)
        {
            return null;
        }

        if (!withCallback)
        {
            QueueCallback(ended);
        }

        outbox.SignalAfterCommit(work);
        Changed(ended.Id);
        metrics.RequestEnded(ended.InstanceId, ended.OtpType, ended.Status, ended.FailedReason, ended.VerifiedAt - ended.CreatedAt);
        logger.LogDebug("Request {RequestId} ended {Status} {Reason}", ended.Id, ended.Status.Name(), ended.FailedReason);
        return ended;
    }

    /// <summary>A named value of a transition's statement, stored as <c>otp_requests</c> stores <paramref name="Property"/>.</summary>
    private readonly record struct Value(string Name, string Property, object? Data);

    /// <summary>A column a transition sets besides status, reason and end time (the parameter takes the column's name).</summary>
    private readonly record struct Set(string Column, string Property, object? Value);

    /// <summary>
    /// When <paramref name="changed"/>, wakes the live status streams of request <paramref name="id"/> once this unit
    /// commits (<see cref="RequestChanges"/>). Returns <paramref name="changed"/>.
    /// </summary>
    private bool Changed(Guid id, bool changed = true)
    {
        if (changed)
        {
            work.AfterCommit(() => changes.Notify(id));
        }

        return changed;
    }

    /// <summary>
    /// A conditional update of <c>otp_requests</c> in SQL, its row count: SQL rather than EF Core's <c>ExecuteUpdate</c>,
    /// whose query pipeline each call would run (docs/performance.md). Only column names and constants are spliced into
    /// <paramref name="sql"/>; every value is a parameter.
    /// </summary>
    private Task<int> UpdateAsync(string sql, params Value[] values) => Db.Database.ExecuteSqlRawAsync(sql, Parameters(values), Aborted);

    private DbParameter[] Parameters(IEnumerable<Value> values) => [.. values.Select(v => Db.Parameter<OtpRequest>(v.Property, v.Name, v.Data))];

    /// <summary>
    /// <paramref name="update"/> (<c>UPDATE ... RETURNING *</c>) as a PostgreSQL statement that also inserts the callback of
    /// <paramref name="seen"/> ended so, when it ends it (see <see cref="EndAsync"/>).
    /// </summary>
    private (System.Text.StringBuilder Sql, DbParameter[] Parameters) WithCallback(
        System.Text.StringBuilder update, DbParameter[] parameters, OtpRequest seen, OtpStatus status, string? reason, Set[] sets)
    {
        // What the callback shows of the request, besides what never changes (id, code, type, URLs), must be as read.
        var unchanged = new List<(string Column, string Property, object? Value)>
        {
            ("chat_id", nameof(OtpRequest.ChatId), seen.ChatId), ("phone", nameof(OtpRequest.Phone), seen.Phone),
            ("user_id", nameof(OtpRequest.UserId), seen.UserId),
        };
        var verifiedAt = seen.VerifiedAt;
        if (sets.Any(set => set.Property == nameof(OtpRequest.VerifiedAt)))
        {
            verifiedAt = Now;
        }
        else
        {
            unchanged.Add(("verified_at", nameof(OtpRequest.VerifiedAt), seen.VerifiedAt));
        }

        var text = update.ToString();
        var returning = text.LastIndexOf(" RETURNING *", StringComparison.Ordinal);
        var sql = new System.Text.StringBuilder("WITH ended AS (").Append(text, 0, returning);
        foreach (var (column, _, _) in unchanged)
        {
            sql.Append($" AND {column} IS NOT DISTINCT FROM @seen_{column}");
        }

        sql.Append(text, returning, text.Length - returning).Append(')');
        parameters = [.. parameters, .. Parameters(unchanged.Select(u => new Value($"seen_{u.Column}", u.Property, u.Value)))];

        if (CallbackOf(seen, status, reason, verifiedAt) is { } callback)
        {
            var (insert, insertParameters) = RowInserts.PostgresInsert(Db.Model, [callback], "ended", "callback_");
            sql.Append(", queued AS (").Append(insert).Append(')');
            parameters = [.. parameters, .. insertParameters];
        }

        return (sql.Append(" SELECT * FROM ended"), parameters);
    }

    /// <summary>
    /// The callback of a request that has just ended (SPEC 7): to <c>callback.success</c> when verified or validated, to
    /// <c>callback.failed</c> when failed or expired; nothing when the request has no such URL.
    /// </summary>
    private void QueueCallback(OtpRequest ended)
    {
        if (CallbackOf(ended, ended.Status, ended.FailedReason, ended.VerifiedAt) is { } callback)
        {
            outbox.Queue(work, callback);
        }
    }

    /// <summary>The callback row of <paramref name="request"/> once ended as <paramref name="status"/>, if it has a URL for it.</summary>
    private CallbackDelivery? CallbackOf(OtpRequest request, OtpStatus status, string? reason, DateTimeOffset? verifiedAt)
    {
        var url = status is OtpStatus.Verified or OtpStatus.Validated ? request.CallbackSuccess : request.CallbackFailed;
        if (url is null)
        {
            return null;
        }

        var payload = new CallbackPayload(request.Id, request.OtpType == OtpTypes.Link ? request.Code : null, request.ChatId, status.Name(),
            verifiedAt, request.Phone, request.UserId, request.OtpType, reason);
        return OutboxWriter.NewCallback(work, request.InstanceId, request.Id, url, JsonSerializer.Serialize(payload, ApiJson.Options));
    }
}

/// <summary>The body of a callback (SPEC 7).</summary>
public sealed record CallbackPayload(
    Guid Uuid, string? Code, string? ChatId, string Status, DateTimeOffset? VerifiedAt, string? Phone, string? UserId, string OtpType, string? Reason);

/// <summary>
/// The one way to change OTP requests: runs a unit of work (<see cref="Writes"/>) with the request lifecycle bound to it.
/// Messages and callbacks the transitions queue commit with them; after the commit they wake their workers, and each
/// changed request its live status streams (<see cref="RequestChanges"/>).
/// </summary>
public sealed class RequestWork(Writes writes, OutboxWriter outbox, RequestChanges changes, PasslineMetrics metrics, ILogger<RequestLifecycle> logger)
{
    public Task<T> RunAsync<T>(Func<RequestLifecycle, Task<T>> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), cancellationToken);

    public Task RunAsync(Func<RequestLifecycle, Task> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), cancellationToken);

    /// <summary>A transition of one statement that queues nothing (exchange): see <see cref="Writes.RunStatementAsync{T}"/>.</summary>
    public Task<T> RunStatementAsync<T>(Func<RequestLifecycle, Task<T>> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), oneStatement: true, cancellationToken);

    /// <summary>
    /// A transition that writes, on PostgreSQL, with one statement together with what it queues
    /// (<see cref="RequestLifecycle.VerifyAsync"/>, <see cref="RequestLifecycle.ReceiveCodeWithReplyAsync"/>), after reads
    /// that need no transaction: there a unit of one statement (no <c>BEGIN</c>, no <c>COMMIT</c>); in SQLite's single
    /// writer a unit like any other.
    /// </summary>
    public Task<T> RunEndAsync<T>(Func<RequestLifecycle, Task<T>> unit, CancellationToken cancellationToken) =>
        writes.RunAsync(work => unit(In(work)), oneStatement: !writes.OneWriter, cancellationToken);

    /// <summary>The lifecycle inside a unit of work that another room runs (the outbox recording an attempt, say).</summary>
    public RequestLifecycle In(UnitOfWork work) => new(work, outbox, changes, metrics, logger);
}
