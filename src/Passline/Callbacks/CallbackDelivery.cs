namespace Passline.Callbacks;

/// <summary>
/// A signed callback to the application, waiting or delivered: the callback outbox of SPEC 7. Written in the same
/// transaction as the transition that ended the request; the body is fixed then, so every attempt sends the same
/// body under the same <c>webhook-id</c>.
/// </summary>
public sealed class CallbackDelivery
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    public Guid RequestId { get; set; }
    public required string Url { get; set; }
    public required string Payload { get; set; }

    /// <summary><c>pending</c>, <c>delivered</c> or <c>failed</c>.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }

    /// <summary>The Standard Webhooks message id, stable across retries.</summary>
    public string WebhookId => $"msg_{Id:N}";
}

/// <summary>One try at delivering a <see cref="CallbackDelivery"/>.</summary>
public sealed class CallbackAttempt
{
    public long Id { get; set; }
    public Guid DeliveryId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public required string Outcome { get; set; }
    public string? Error { get; set; }
}

public static class CallbackStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}
