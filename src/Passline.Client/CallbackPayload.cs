namespace Passline.Client;

/// <summary>The body of a callback, POSTed to <c>callback.success</c> or <c>callback.failed</c> when a request ends.</summary>
/// <param name="Uuid">The request's id.</param>
/// <param name="Code">The request's code.</param>
/// <param name="ChatId">The WhatsApp user, when known.</param>
/// <param name="Status"><c>verified</c>, <c>failed</c> or <c>expired</c> (see <see cref="OtpStatus"/>).</param>
/// <param name="VerifiedAt">When the request was verified; null unless verified.</param>
/// <param name="Phone">The user's number, <c>+</c> and digits; null only when no phone is known.</param>
/// <param name="UserId">The provider's id of the user when it gave one (a WAHA <c>@lid</c>, a Cloud API BSUID), else null.</param>
/// <param name="OtpType"><c>link</c> or <c>code</c>.</param>
/// <param name="Reason">
/// Why a request failed, e.g. <c>declined</c>, <c>wrong_sender</c>, <c>sender_unresolved</c>, <c>undeliverable</c>,
/// <c>cancelled</c>; null otherwise.
/// </param>
public sealed record CallbackPayload(
    Guid Uuid, string Code, string? ChatId, string Status, DateTimeOffset? VerifiedAt, string? Phone, string? UserId, string OtpType, string? Reason);
