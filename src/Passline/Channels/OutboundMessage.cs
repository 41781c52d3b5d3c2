namespace Passline.Channels;

/// <summary>
/// A WhatsApp message waiting to be sent, or sent: the durable outbox of SPEC 5. Written in the same transaction as
/// the state change that causes it; sent by <see cref="OutboundWorker"/>.
/// </summary>
public sealed class OutboundMessage
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    public Guid? RequestId { get; set; }
    public required string ChatId { get; set; }
    public required string Text { get; set; }

    /// <summary><c>text</c>, or <c>code</c> for a code OTP (sent as the authentication template on the Cloud API).</summary>
    public required string Kind { get; set; }

    /// <summary>The one-time code, for <c>code</c> messages (the template's parameter).</summary>
    public string? Code { get; set; }

    public required string Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Claim of a worker: until then no other worker or node takes the row.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    public DateTimeOffset? SentAt { get; set; }
    public string? ProviderMessageId { get; set; }
    public string? LastError { get; set; }

    /// <summary>
    /// The verification URL a <c>success</c> message carries, so that it can go as a button (SPEC 5 "Reply style");
    /// <see cref="Text"/> holds it too, for the text form.
    /// </summary>
    public string? Link { get; set; }

    /// <summary>What the provider reported after accepting it: <see cref="DeliveryStatuses"/>; null until a report.</summary>
    public string? DeliveryStatus { get; set; }

    /// <summary>The provider's error when <see cref="DeliveryStatus"/> is <c>failed</c> (Meta: code and title).</summary>
    public string? DeliveryError { get; set; }

    public DateTimeOffset? DeliveryUpdatedAt { get; set; }
}

/// <summary>One try at sending an <see cref="OutboundMessage"/>, as the provider answered it.</summary>
public sealed class OutboundAttempt
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public required string Outcome { get; set; }
    public string? Error { get; set; }
}

public static class OutboundStatuses
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

/// <summary>Delivery reports of the providers (Cloud API <c>statuses[]</c>, WAHA <c>message.ack</c>), in order.</summary>
public static class DeliveryStatuses
{
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";

    /// <summary>How far a status is along; a report never moves a message back (reports may arrive out of order).</summary>
    public static int Rank(string? status) => status switch
    {
        Sent => 1,
        Delivered => 2,
        Read => 3,
        Failed => 4,
        _ => 0,
    };
}

public static class OutboundKinds
{
    public const string Text = "text";
    public const string Code = "code";
}
