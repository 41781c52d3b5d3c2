namespace Passline.Client;

/// <summary>The statuses an OTP request goes through.</summary>
public static class OtpStatus
{
    /// <summary>Open: waiting for the user.</summary>
    public const string Pending = "pending";

    /// <summary>Open: a requested code was accepted by the WhatsApp provider.</summary>
    public const string Sent = "sent";

    /// <summary>Ended: the user approved a link request.</summary>
    public const string Verified = "verified";

    /// <summary>Ended: a code request was validated.</summary>
    public const string Validated = "validated";

    /// <summary>
    /// Ended: declined, sent from the wrong chat (<c>wrong_sender</c>) or from one whose number WhatsApp did not show
    /// (<c>sender_unresolved</c>), cancelled, a code that could not be delivered (<c>undeliverable</c>) or too many
    /// wrong codes (see <c>failed_reason</c>).
    /// </summary>
    public const string Failed = "failed";

    /// <summary>Ended: the request's lifetime passed.</summary>
    public const string Expired = "expired";
}

/// <summary>A request as <c>GET /requests/{uuid}</c> and <c>POST /requests/{uuid}/cancel</c> show it.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="Code">The link code; null for a code request, whose code is shown only once, by <c>request-code</c>.</param>
/// <param name="ChatId">Where replies go: the chat that sent the code (link) or that the code was sent to (code); null while unknown.</param>
/// <param name="Status">See <see cref="OtpStatus"/>.</param>
/// <param name="OtpType"><c>link</c> or <c>code</c>.</param>
/// <param name="ExpiresAt">When the request expires.</param>
/// <param name="CreatedAt">When the request was created.</param>
/// <param name="WhatsappLink">The <c>wa.me</c> link of a link request; null for a code request.</param>
/// <param name="LinkUrl">Passline's page for a link request; null for a code request.</param>
/// <param name="Phone">The user's number, <c>+</c> and digits; null only when no phone is known.</param>
/// <param name="UserId">The provider's id of the user when it gave one (a WAHA <c>@lid</c>, a Cloud API BSUID), else null.</param>
/// <param name="VerifiedAt">When a link request was verified.</param>
/// <param name="ValidatedAt">When a code request was validated.</param>
/// <param name="FailedReason">Why a request failed, e.g. <c>declined</c>, <c>wrong_sender</c>, <c>cancelled</c>.</param>
/// <param name="MessageReceivedAt">When the user's WhatsApp message with the code arrived.</param>
/// <param name="Callback">Delivery of the callback, or null when there is none (yet).</param>
/// <param name="Messages">Each WhatsApp message sent for the request, oldest first, with its delivery status.</param>
public sealed record OtpRequestDetails(
    Guid Uuid, string? Code, string? ChatId, string Status, string OtpType,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string? WhatsappLink, string? LinkUrl,
    string? Phone, string? UserId, DateTimeOffset? VerifiedAt, DateTimeOffset? ValidatedAt, string? FailedReason,
    DateTimeOffset? MessageReceivedAt, CallbackDelivery? Callback, IReadOnlyList<SentMessage>? Messages);

/// <summary>A WhatsApp message sent for a request.</summary>
/// <param name="Id">The message's id.</param>
/// <param name="Kind"><c>text</c>, or <c>code</c> for the message carrying a requested code.</param>
/// <param name="Status"><c>queued</c>, <c>sent</c>, <c>delivered</c>, <c>read</c> or <c>failed</c>.</param>
/// <param name="Error">The provider's error when <paramref name="Status"/> is <c>failed</c>.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="SentAt">When the provider accepted it.</param>
/// <param name="UpdatedAt">When the provider last reported on it.</param>
public sealed record SentMessage(Guid Id, string Kind, string Status, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? UpdatedAt);

/// <summary>How the delivery of a request's callback stands.</summary>
/// <param name="Status">The delivery's state as the server names it.</param>
/// <param name="Attempts">Attempts made so far.</param>
/// <param name="LastAttemptAt">When the last attempt was made.</param>
/// <param name="DeliveredAt">When the receiver answered with a 2xx.</param>
/// <param name="LastStatusCode">The HTTP status of the last attempt; null when it got no answer.</param>
/// <param name="LastError">What went wrong with the last attempt, if anything.</param>
public sealed record CallbackDelivery(
    string Status, int Attempts, DateTimeOffset? LastAttemptAt, DateTimeOffset? DeliveredAt, int? LastStatusCode, string? LastError);

/// <summary>The <c>data</c> of an exchange: who verified the request.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="ChatId">The chat of the WhatsApp user who verified (a phone's <c>@c.us</c>, an <c>@lid</c>, or a BSUID).</param>
/// <param name="Phone">The user's number, <c>+</c> and digits; null only when the provider never showed it.</param>
/// <param name="UserId">The provider's id of the user when it gave one (a WAHA <c>@lid</c>, a Cloud API BSUID), else null.</param>
/// <param name="Status"><c>verified</c>.</param>
/// <param name="VerifiedAt">When the user pressed Verify.</param>
public sealed record VerifiedIdentity(Guid Uuid, string ChatId, string? Phone, string? UserId, string Status, DateTimeOffset VerifiedAt);
