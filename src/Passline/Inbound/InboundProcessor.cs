using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Channels;
using Passline.Instances;
using Passline.Links;
using Passline.Storage;

namespace Passline.Inbound;

/// <summary>
/// What happens when a WhatsApp message arrives (SPEC 3): deduplication by provider message id, the per-chat limit,
/// finding the bracketed code, and the transition and reply it calls for, all in one transaction.
/// </summary>
public sealed partial class InboundProcessor(LinkLifecycle lifecycle, PublicUrls urls, IOptions<RateLimitOptions> limits, Monitoring.PasslineMetrics metrics, ILogger<InboundProcessor> logger)
{
    public const string Ignored = "ignored";
    public const string Duplicate = "duplicate";

    /// <summary>Processes one message; returns its outcome (<see cref="InboundOutcomes"/>, or ignored / duplicate).</summary>
    public async Task<string> ProcessAsync(Instance instance, IncomingMessage message, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!message.IsUserText)
        {
            metrics.MessageReceived(instance.Id, Ignored);
            return Ignored;
        }

        var db = lifecycle.Db;
        var now = lifecycle.Now();
        var record = new InboundMessage
        {
            InstanceId = instance.Id,
            ProviderMessageId = message.ProviderMessageId,
            ChatId = message.ChatId,
            ReceivedAt = now,
            Outcome = InboundOutcomes.NoCode,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.InboundMessages.Add(record);
        try
        {
            // The unique key on (instance, provider message id) catches repeated deliveries, concurrent ones included.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            await transaction.RollbackAsync(cancellationToken);
            metrics.MessageReceived(instance.Id, Duplicate);
            return Duplicate;
        }

        var since = now.AddMinutes(-1);
        var recent = await db.InboundMessages.CountAsync(
            m => m.InstanceId == instance.Id && m.ChatId == message.ChatId && m.ReceivedAt > since && m.Id != record.Id, cancellationToken);
        record.Outcome = recent >= limits.Value.InboundPerChatPerMinute
            ? InboundOutcomes.RateLimited
            : await MatchAsync(instance, message, record, urls.Base(request), cancellationToken);

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        lifecycle.Committed();
        metrics.MessageReceived(instance.Id, record.Outcome);
        logger.LogInformation("Inbound message {MessageId} for request {RequestId}: {Outcome}", message.ProviderMessageId, record.RequestId, record.Outcome);
        return record.Outcome;
    }

    private async Task<string> MatchAsync(Instance instance, IncomingMessage message, InboundMessage record, string publicBase, CancellationToken cancellationToken)
    {
        var codes = BracketedCodes(message.Text!);
        if (codes.Count == 0)
        {
            return InboundOutcomes.NoCode;
        }

        var db = lifecycle.Db;
        var request = await db.OtpRequests.AsNoTracking()
            .Where(r => r.InstanceId == instance.Id && r.OtpType == OtpTypes.Link && codes.Contains(r.Code))
            .OrderByDescending(r => r.Status == OtpStatuses.Pending)
            .ThenByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);

        if (request is null)
        {
            // A guess or a stale code: answer, but not more than once a minute per chat.
            var since = lifecycle.Now().AddMinutes(-1);
            var answeredRecently = await db.InboundMessages.AnyAsync(
                m => m.InstanceId == instance.Id && m.ChatId == message.ChatId && m.Outcome == InboundOutcomes.UnknownCode && m.ReceivedAt > since && m.Id != record.Id,
                cancellationToken);
            if (!answeredRecently)
            {
                lifecycle.Send(instance.Id, null, message.ChatId, MessageTemplates.Fill(MessageTemplates.For(instance.Language).Failed, instance.Name, codes[0]));
            }

            return InboundOutcomes.UnknownCode;
        }

        record.RequestId = request.Id;
        var now = lifecycle.Now();
        if (request.Status == OtpStatuses.Pending && now < request.ExpiresAt)
        {
            if (request.BoundChatId is { } bound && bound != message.ChatId)
            {
                if (await lifecycle.EndAsync(request.Id, OtpStatuses.Failed, "wrong_sender", cancellationToken) is not null)
                {
                    lifecycle.Send(instance.Id, request.Id, message.ChatId, LinkLifecycle.Fill(request, request.FailedMessage ?? MessageTemplates.Failed));
                    return InboundOutcomes.WrongSender;
                }
            }
            else
            {
                var token = Secrets.NewUrlToken();
                if (await lifecycle.ReceiveCodeAsync(request.Id, message.ChatId, message.Phone, Secrets.Hash(token), cancellationToken))
                {
                    var link = $"{publicBase}/v/{token}";
                    lifecycle.Send(instance.Id, request.Id, message.ChatId, LinkLifecycle.Fill(request, request.SuccessMessage ?? MessageTemplates.Success, link));
                    return InboundOutcomes.Matched;
                }
            }

            // Another transition came first: answer as the request now stands.
            request = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == request.Id, cancellationToken);
        }

        if (request.Status is OtpStatuses.Pending or OtpStatuses.Expired)
        {
            await lifecycle.ExpireAsync(request.Id, cancellationToken);
            lifecycle.Send(instance.Id, request.Id, message.ChatId, LinkLifecycle.Fill(request, request.ExpiredMessage ?? MessageTemplates.Expired));
            return InboundOutcomes.Expired;
        }

        lifecycle.Send(instance.Id, request.Id, message.ChatId, LinkLifecycle.Fill(request, request.FailedMessage ?? MessageTemplates.Failed));
        return InboundOutcomes.Ended;
    }

    /// <summary>
    /// The 8-letter codes in brackets, upper-cased. The code is what proves possession; WhatsApp clients and users may
    /// change the rest, including formatting marks (<c>*bold*</c>, <c>_italic_</c>) and spaces inside the brackets.
    /// </summary>
    public static List<string> BracketedCodes(string text) =>
        [.. CodePattern().Matches(text).Select(m => m.Groups[1].Value.ToUpperInvariant()).Distinct().Take(5)];

    [GeneratedRegex(@"\[[\s*_~]*([A-Za-z]{8})[\s*_~]*\]")]
    private static partial Regex CodePattern();
}
