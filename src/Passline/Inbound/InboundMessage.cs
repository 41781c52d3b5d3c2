namespace Passline.Inbound;

/// <summary>
/// One WhatsApp message a provider delivered, kept for deduplication (unique per provider message id), the per-chat
/// limit and the figures of SPEC 8. Only what matching needs is stored: not the text.
/// </summary>
public sealed class InboundMessage
{
    public long Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string ProviderMessageId { get; set; }
    public required string ChatId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>What became of it: see <see cref="InboundOutcomes"/>.</summary>
    public required string Outcome { get; set; }

    /// <summary>The request whose code the message carried, if any.</summary>
    public Guid? RequestId { get; set; }
}

public static class InboundOutcomes
{
    public const string Matched = "matched";
    public const string WrongSender = "wrong_sender";
    public const string SenderUnresolved = "sender_unresolved";
    public const string Expired = "expired";
    public const string Ended = "ended";
    public const string UnknownCode = "unknown_code";
    public const string NoCode = "no_code";
    public const string RateLimited = "rate_limited";
}
