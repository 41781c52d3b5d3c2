using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Instances;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Inbound;

/// <summary>
/// What happens when a WhatsApp message arrives (SPEC 3): deduplication by provider message id, the per-chat limit,
/// finding the bracketed code, and the transition and reply it calls for, all in one transaction.
/// </summary>
public sealed partial class InboundProcessor(RequestWork requests, IOptions<RateLimitOptions> limits, Monitoring.PasslineMetrics metrics, ILogger<InboundProcessor> logger)
{
    public const string Ignored = "ignored";
    public const string Duplicate = "duplicate";

    /// <summary>
    /// Processes one message; returns its outcome (<see cref="InboundOutcomes"/>, or ignored / duplicate). The reply's
    /// verification link starts with <paramref name="publicBase"/> (<see cref="PublicUrls.Base"/>).
    /// </summary>
    public async Task<string> ProcessAsync(Instance instance, IncomingMessage message, string publicBase, CancellationToken cancellationToken)
    {
        if (!message.IsUserText)
        {
            metrics.MessageReceived(instance.Id, Ignored);
            return Ignored;
        }

        InboundMessage record;
        try
        {
            // On PostgreSQL the usual case first, in one statement; whatever else happens, in a unit of work.
            record = await requests.RunEndAsync<InboundMessage?>(
                    async lifecycle => lifecycle.Db.Database.IsNpgsql()
                        ? await MatchInOneStatementAsync(lifecycle, instance, message, publicBase)
                        : await RecordAndMatchAsync(lifecycle, instance, message, publicBase),
                    cancellationToken)
                ?? await requests.RunAsync(lifecycle => RecordAndMatchAsync(lifecycle, instance, message, publicBase), cancellationToken);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            // The unique key on (instance, provider message id) caught a repeated delivery, a concurrent one included.
            metrics.MessageReceived(instance.Id, Duplicate);
            return Duplicate;
        }

        metrics.MessageReceived(instance.Id, record.Outcome);
        logger.LogDebug("Inbound message {MessageId} for request {RequestId}: {Outcome}", message.ProviderMessageId, record.RequestId, record.Outcome);
        return record.Outcome;
    }

    /// <summary>
    /// PostgreSQL, the usual case as one statement (<see cref="RequestLifecycle.ReceiveCodeWithReplyAsync"/>): a code of an
    /// open request from an allowed sender, within the chat's limit. Null, with nothing written, for anything else.
    /// </summary>
    private async Task<InboundMessage?> MatchInOneStatementAsync(RequestLifecycle lifecycle, Instance instance, IncomingMessage message, string publicBase)
    {
        var codes = BracketedCodes(message.Text!);
        if (codes.Count == 0)
        {
            return null;
        }

        // The open request, only while the chat is under its limit, in one query.
        var limit = limits.Value.InboundPerChatPerMinute;
        var request = await OpenRequestAsync(lifecycle, instance, codes, limit > 0 ? (message, limit) : null);
        if (request is null || lifecycle.Now >= request.ExpiresAt || (request.BoundChatId is { } bound && Sender(bound, message) != SenderMatch.Allowed))
        {
            return null;
        }

        var record = NewRecord(lifecycle, instance, message);
        record.RequestId = request.Id;
        record.Outcome = InboundOutcomes.Matched;
        var (token, link) = NewVerificationLink(publicBase);
        var reply = Outbox.OutboxWriter.NewMessage(lifecycle.Work, instance.Id, request.Id, message.ChatId, SuccessText(request, link), link: link);
        return await lifecycle.ReceiveCodeWithReplyAsync(request, message.ChatId, message.Phone, message.UserId, Secrets.Hash(token), reply, record)
            ? record
            : null;
    }

    /// <summary>A fresh verification token and the page's URL that carries it (SPEC 4.1).</summary>
    private static (string Token, string Link) NewVerificationLink(string publicBase)
    {
        var token = Secrets.NewUrlToken();
        return (token, $"{publicBase}/v/{token}");
    }

    /// <summary>The reply to a matched code: the request's success message, else the default, with the link.</summary>
    private static string SuccessText(OtpRequest request, string link) =>
        RequestLifecycle.Fill(request, request.SuccessMessage ?? MessageTemplates.Success, link);

    private static InboundMessage NewRecord(RequestLifecycle lifecycle, Instance instance, IncomingMessage message) => new()
    {
        InstanceId = instance.Id,
        ProviderMessageId = message.ProviderMessageId,
        ChatId = message.ChatId,
        ReceivedAt = lifecycle.Now,
        Outcome = InboundOutcomes.NoCode,
    };

    /// <summary>The messages of the sender's chat in the last minute, which its limit counts.</summary>
    private static IQueryable<InboundMessage> RecentFromChat(RequestLifecycle lifecycle, Instance instance, IncomingMessage message)
    {
        var since = lifecycle.Now.AddMinutes(-1);
        return lifecycle.Db.InboundMessages.Where(m => m.InstanceId == instance.Id && m.ChatId == message.ChatId && m.ReceivedAt > since);
    }

    /// <summary>Whether the sender's chat is at its limit of messages a minute; never with the limit off (0).</summary>
    private async Task<bool> IsOverLimitAsync(RequestLifecycle lifecycle, Instance instance, IncomingMessage message) =>
        limits.Value.InboundPerChatPerMinute is > 0 and var limit && await RecentFromChat(lifecycle, instance, message).CountAsync() >= limit;

    /// <summary>
    /// The open link request with one of <paramref name="codes"/> (at most one: a unique partial index); with
    /// <paramref name="underLimit"/>, only while the sender's chat sent fewer messages than its limit in the last minute.
    /// Read without EF Core's query pipeline (<see cref="RowReads"/>): every inbound message runs it.
    /// </summary>
    private static Task<OtpRequest?> OpenRequestAsync(
        RequestLifecycle lifecycle, Instance instance, List<string> codes, (IncomingMessage Message, int Limit)? underLimit = null)
    {
        var db = lifecycle.Db;
        List<DbParameter> parameters = [db.Parameter<OtpRequest>(nameof(OtpRequest.InstanceId), "instance", instance.Id)];
        parameters.AddRange(codes.Select((code, i) => db.Parameter<OtpRequest>(nameof(OtpRequest.Code), $"code{i}", code)));
        var sql = new System.Text.StringBuilder($"""
            SELECT * FROM otp_requests
            WHERE instance_id = @instance AND otp_type = '{OtpTypes.Link}' AND status = '{OtpStatus.Pending.Name()}'
              AND code IN ({string.Join(", ", codes.Select((_, i) => $"@code{i}"))})
            """);
        if (underLimit is var (message, limit))
        {
            sql.Append(" AND (SELECT count(*) FROM inbound_messages WHERE instance_id = @instance AND chat_id = @chat AND received_at > @since) < @limit");
            parameters.Add(db.Parameter<InboundMessage>(nameof(InboundMessage.ChatId), "chat", message.ChatId));
            parameters.Add(db.Parameter<InboundMessage>(nameof(InboundMessage.ReceivedAt), "since", lifecycle.Now.AddMinutes(-1)));
            parameters.Add(db.Parameter<OtpRequest>(nameof(OtpRequest.FailedAttempts), "limit", limit));
        }

        // Of several codes in one message (a user's edit), the last that is open: Passline's own follows the prompt.
        if (codes.Count > 1)
        {
            sql.Append(" ORDER BY CASE code").AppendJoin("", codes.Select((_, i) => $" WHEN @code{i} THEN {codes.Count - i}")).Append(" END");
        }

        return db.ReadFirstAsync<OtpRequest>(sql.Append(" LIMIT 1").ToString(), parameters, lifecycle.Work.Aborted);
    }

    private async Task<InboundMessage> RecordAndMatchAsync(RequestLifecycle lifecycle, Instance instance, IncomingMessage message, string publicBase)
    {
        var db = lifecycle.Db;
        var record = NewRecord(lifecycle, instance, message);
        record.Outcome = await IsOverLimitAsync(lifecycle, instance, message)
            ? InboundOutcomes.RateLimited
            : await MatchAsync(lifecycle, instance, message, record, publicBase);

        // Stored with the reply, at the unit's end, in one batch: a redelivery's unique key then undoes the whole unit
        // (its transition and its reply included), as a concurrent one's does.
        db.InboundMessages.Add(record);
        return record;
    }

    private static async Task<string> MatchAsync(RequestLifecycle lifecycle, Instance instance, IncomingMessage message, InboundMessage record, string publicBase)
    {
        var codes = BracketedCodes(message.Text!);
        if (codes.Count == 0)
        {
            return InboundOutcomes.NoCode;
        }

        var db = lifecycle.Db;
        // The open request with the code, else the latest ended one: each read serves from its own partial index.
        var request = await OpenRequestAsync(lifecycle, instance, codes)
            ?? await db.OtpRequests.AsNoTracking()
                .Where(r => r.InstanceId == instance.Id && r.OtpType == OtpTypes.Link && r.Status != OtpStatus.Pending && codes.Contains(r.Code))
                .OrderByDescending(r => r.CreatedAt)
                .FirstOrDefaultAsync();

        if (request is null)
        {
            // A guess or a stale code: answer, but not more than once a minute per chat.
            var since = lifecycle.Now.AddMinutes(-1);
            var answeredRecently = await db.InboundMessages.AnyAsync(
                m => m.InstanceId == instance.Id && m.ChatId == message.ChatId && m.Outcome == InboundOutcomes.UnknownCode && m.ReceivedAt > since);
            if (!answeredRecently)
            {
                lifecycle.Send(instance.Id, null, message.ChatId, MessageTemplates.Fill(MessageTemplates.For(instance.Language).Failed, instance.Name, codes[0]));
            }

            return InboundOutcomes.UnknownCode;
        }

        record.RequestId = request.Id;
        if (request.Status == OtpStatus.Pending && lifecycle.Now < request.ExpiresAt)
        {
            var sender = request.BoundChatId is { } bound ? Sender(bound, message) : SenderMatch.Allowed;
            if (sender != SenderMatch.Allowed)
            {
                // Never verified on a guess: a bound request whose sender shows no phone number cannot be matched (SPEC 3).
                var unresolved = sender == SenderMatch.Unresolved;
                if (await lifecycle.FailAsync(request.Id, unresolved ? FailedReasons.SenderUnresolved : FailedReasons.WrongSender) is not null)
                {
                    lifecycle.Send(instance.Id, request.Id, message.ChatId, RequestLifecycle.Fill(request, request.FailedMessage ?? MessageTemplates.Failed));
                    return unresolved ? InboundOutcomes.SenderUnresolved : InboundOutcomes.WrongSender;
                }
            }
            else
            {
                var (token, link) = NewVerificationLink(publicBase);
                if (await lifecycle.ReceiveCodeAsync(request.Id, request.BoundChatId, message.ChatId, message.Phone, message.UserId, Secrets.Hash(token)))
                {
                    lifecycle.Send(instance.Id, request.Id, message.ChatId, SuccessText(request, link), link: link);
                    return InboundOutcomes.Matched;
                }
            }

            // Another transition came first: answer as the request now stands.
            request = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == request.Id);
        }

        if (request.Status is OtpStatus.Pending or OtpStatus.Expired)
        {
            await lifecycle.ExpireAsync(request.Id);
            lifecycle.Send(instance.Id, request.Id, message.ChatId, RequestLifecycle.Fill(request, request.ExpiredMessage ?? MessageTemplates.Expired));
            return InboundOutcomes.Expired;
        }

        lifecycle.Send(instance.Id, request.Id, message.ChatId, RequestLifecycle.Fill(request, request.FailedMessage ?? MessageTemplates.Failed));
        return InboundOutcomes.Ended;
    }

    private enum SenderMatch
    {
        Allowed,
        Other,
        Unresolved,
    }

    /// <summary>
    /// Whether <paramref name="message"/> comes from the chat a request is bound to, in whatever form its owner writes
    /// (SPEC 1): the same chat id, the same phone number behind an <c>@lid</c> or a BSUID, or the same user id.
    /// </summary>
    private static SenderMatch Sender(string bound, IncomingMessage message)
    {
        if (bound == message.ChatId || (message.UserId is not null && bound == message.UserId))
        {
            return SenderMatch.Allowed;
        }

        var boundPhone = ChatId.Phone(bound);
        if (boundPhone is null)
        {
            return SenderMatch.Other;
        }

        return message.Phone is null ? SenderMatch.Unresolved : ChatId.SamePhone(message.Phone, boundPhone) ? SenderMatch.Allowed : SenderMatch.Other;
    }

    /// <summary>
    /// The 8-letter codes in brackets, upper-cased; the last five, since the request's code follows the prompt, and the
    /// last that is open wins (<see cref="OpenRequestAsync"/>). The pre-filled message has no brackets but the code's
    /// (<see cref="Links.WhatsAppLink.MessageText"/>); a user may add some. The code is what proves possession; WhatsApp clients
    /// and users may change the rest, including formatting marks (<c>*bold*</c>, <c>_italic_</c>) and spaces inside the
    /// brackets.
    /// </summary>
    public static List<string> BracketedCodes(string text) =>
        [.. CodePattern().Matches(text).Select(m => m.Groups[1].Value.ToUpperInvariant()).Distinct().TakeLast(5)];

    [GeneratedRegex(@"\[[\s*_~]*([A-Za-z]{8})[\s*_~]*\]")]
    private static partial Regex CodePattern();
}
