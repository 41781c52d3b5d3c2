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

    /// <summary>Ended: declined, sent from the wrong chat, cancelled or too many wrong codes (see <c>failed_reason</c>).</summary>
    public const string Failed = "failed";

    /// <summary>Ended: the request's lifetime passed.</summary>
    public const string Expired = "expired";
}

/// <summary>A request as <c>GET /requests/{uuid}</c> and <c>POST /requests/{uuid}/cancel</c> show it.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="Code">The link code; null for a code request, whose code is shown only once, by <c>request-code</c>.</param>
/// <param name="ChatId">The chat that sent the code (link) or that the code was sent to (code); null while unknown.</param>
/// <param name="Status">See <see cref="OtpStatus"/>.</param>
/// <param name="OtpType"><c>link</c> or <c>code</c>.</param>
/// <param name="ExpiresAt">When the request expires.</param>
/// <param name="CreatedAt">When the request was created.</param>
/// <param name="WhatsappLink">The <c>wa.me</c> link of a link request; null for a code request.</param>
/// <param name="LinkUrl">Passline's page for a link request; null for a code request.</param>
/// <param name="Phone"><c>+</c> and digits when the chat id carries a phone number, else null.</param>
/// <param name="VerifiedAt">When a link request was verified.</param>
/// <param name="ValidatedAt">When a code request was validated.</param>
/// <param name="FailedReason">Why a request failed, e.g. <c>declined</c>, <c>wrong_sender</c>, <c>cancelled</c>.</param>
/// <param name="MessageReceivedAt">When the user's WhatsApp message with the code arrived.</param>
/// <param name="Callback">Delivery of the callback, or null when there is none (yet).</param>
public sealed record OtpRequestDetails(
    Guid Uuid, string? Code, string? ChatId, string Status, string OtpType,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string? WhatsappLink, string? LinkUrl,
    string? Phone, DateTimeOffset? VerifiedAt, DateTimeOffset? ValidatedAt, string? FailedReason,
    DateTimeOffset? MessageReceivedAt, CallbackDelivery? Callback);

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
/// <param name="ChatId">The WhatsApp user who verified.</param>
/// <param name="Phone"><c>+</c> and digits when the chat id carries a phone number, else null.</param>
/// <param name="Status"><c>verified</c>.</param>
/// <param name="VerifiedAt">When the user pressed Verify.</param>
public sealed record VerifiedIdentity(Guid Uuid, string ChatId, string? Phone, string Status, DateTimeOffset VerifiedAt);
