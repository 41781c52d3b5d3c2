namespace Passline.Outbox;

/// <summary>
/// A row of an outbox: something to deliver over HTTP (a WhatsApp message, a callback), written in the same unit of work
/// as the change that causes it and delivered by <see cref="OutboxEngine{TRow}"/>: claimed, tried, recorded, retried
/// or given up.
/// </summary>
public abstract class OutboxRow
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }

    /// <summary><c>pending</c> until delivered (<c>sent</c> or <c>delivered</c>, by outbox) or given up (<c>failed</c>).</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Claim of a worker: until then no other worker or node takes the row.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    public string? LastError { get; set; }

    /// <summary>The OTP request the row is about, for logs (not mapped).</summary>
    public abstract Guid? AboutRequest { get; }

    /// <summary>Notes one attempt on the row (beyond attempts and error, which the engine keeps) and returns its record.</summary>
    protected internal abstract object Attempted(DateTimeOffset now, DeliveryResult result);

    /// <summary>Marks the row delivered.</summary>
    protected internal abstract void Delivered(DateTimeOffset now, DeliveryResult result);

    /// <summary>
    /// The row will not be tried again (delivered or given up): what it carried for the delivery and nobody needs after
    /// it may go. <paramref name="result"/> says whether the stored row is itself the recipient's copy (the simulator).
    /// </summary>
    protected internal virtual void Settled(DeliveryResult result)
    {
    }
}

public static class OutboxStatuses
{
    public const string Pending = "pending";
    public const string Failed = "failed";
}
