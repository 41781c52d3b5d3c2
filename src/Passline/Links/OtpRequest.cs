namespace Passline.Links;

/// <summary>One verification attempt, of type <c>link</c> or <c>code</c> (SPEC 1, 3).</summary>
public sealed class OtpRequest
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string OtpType { get; set; }
    /// <summary>The link code (shown in the WhatsApp link). Empty for a code OTP, whose code is kept only as <see cref="CodeHash"/>.</summary>
    public required string Code { get; set; }

    /// <summary>For a code OTP: SHA-256 of the request id and the code; the code itself is never stored.</summary>
    public byte[]? CodeHash { get; set; }
    public required string Status { get; set; }
    public required string Name { get; set; }

    /// <summary>The chat the request is bound to at creation (<c>chatId</c>); only it may complete the request.</summary>
    public string? BoundChatId { get; set; }

    /// <summary>The chat that sent the code (link) or that the code was sent to (code).</summary>
    public string? ChatId { get; set; }

    /// <summary><c>+</c> and digits when the chat id carries a phone number, else null.</summary>
    public string? Phone { get; set; }

    /// <summary>
    /// The request's own <c>language</c> (SPEC 2.2), a supported tag; null when the call gave none, so that its pages
    /// follow the browser's <c>Accept-Language</c>.
    /// </summary>
    public string? Language { get; set; }

    public string? PromptMessage { get; set; }
    public string? SuccessMessage { get; set; }
    public string? FailedMessage { get; set; }
    public string? ExpiredMessage { get; set; }
    public string? CallbackSuccess { get; set; }
    public string? CallbackFailed { get; set; }
    public string? Redirect { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? MessageReceivedAt { get; set; }
    public DateTimeOffset? VerifiedAt { get; set; }
    public DateTimeOffset? ValidatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? FailedReason { get; set; }
    public int FailedAttempts { get; set; }

    /// <summary>SHA-256 of the current one-time verification token (<c>/v/{token}</c>).</summary>
    public byte[]? VerificationTokenHash { get; set; }

    /// <summary>SHA-256 of the one-time exchange token handed to the browser after Verify.</summary>
    public byte[]? ExchangeTokenHash { get; set; }

    public DateTimeOffset? ExchangeExpiresAt { get; set; }

    /// <summary>When the <c>expired</c> WhatsApp message was queued, so that it is sent at most once.</summary>
    public DateTimeOffset? ExpiredNoticeAt { get; set; }
    public DateTimeOffset? ExchangedAt { get; set; }

    /// <summary>
    /// SHA-256 of the device-binding cookie of the browser that last opened <c>link_url</c> while the request was
    /// pending (SPEC 4.3): that browser receives the redirect after Verify (SPEC 4.2).
    /// </summary>
    public byte[]? DeviceBindingHash { get; set; }

    /// <summary>The bound browser and its OS as its User-Agent told them (<c>Chrome on Windows</c>), shown on the verification page.</summary>
    public string? DeviceDescription { get; set; }

    /// <summary>When <c>link_url</c> was first opened: the request counts as clicked (SPEC 8).</summary>
    public DateTimeOffset? LinkOpenedAt { get; set; }

    /// <summary>How many times <c>link_url</c> was opened (GET).</summary>
    public int LinkClicks { get; set; }
}

public static class OtpTypes
{
    public const string Link = "link";
    public const string Code = "code";
}

public static class OtpStatuses
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Verified = "verified";
    public const string Validated = "validated";
    public const string Failed = "failed";
    public const string Expired = "expired";
}
