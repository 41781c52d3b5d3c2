using Passline.Requests;

namespace Passline.Links;

/// <summary>
/// Where a link request stands, as the link page shows it and its live status reports it (SPEC 4.3): a state for
/// the page's logic, and the words for the person. <see cref="Redirect"/> is set only for the bound browser, once.
/// </summary>
public sealed record LinkStatus(string State, string Title, string Text, bool Final, string? Redirect = null)
{
    public const string Waiting = "waiting";
    public const string Received = "received";
    public const string Verified = "verified";
    public const string Redirecting = "redirect";
    public const string Declined = "declined";
    public const string Failed = "failed";
    public const string Expired = "expired";

    /// <summary>Whether the link page still waits for the phone: open, and not past its expiry.</summary>
    public static bool IsOpen(OtpRequest request, DateTimeOffset now) => request.Status == OtpStatus.Pending && now < request.ExpiresAt;

    /// <param name="holder">Whether the browser asking holds the request's device binding.</param>
    public static LinkStatus Of(OtpRequest request, DateTimeOffset now, bool holder)
    {
        if (IsOpen(request, now))
        {
            return request.MessageReceivedAt is null
                ? new(Waiting, "Waiting for your WhatsApp message", "Scan the QR code with your phone's camera, or open WhatsApp with the button, and send the message as it is.", false)
                : new(Received, "Message received", "We replied on WhatsApp with a link. Open it on your phone and press Verify.", false);
        }

        return request.Status switch
        {
            OtpStatus.Verified when holder && request.Redirect is not null && request.ExchangeTokenHash is null =>
                new(Verified, "Verified, but this page came back too late", $"Go back to {request.Name} and sign in again.", true),
            OtpStatus.Verified when request.Redirect is null =>
                new(Verified, "Verified", $"You are signed in to {request.Name}. You can close this page.", true),
            OtpStatus.Verified =>
                new(Verified, "Verified", "The sign-in continued in another window. You can close this page.", true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.Declined =>
                new(Declined, "Sign-in refused", "It was refused on the phone: nobody was signed in.", true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.SenderUnresolved =>
                new(Failed, "This sign-in failed", $"WhatsApp did not tell which number the message came from, so it could not be matched to the one {request.Name} expected.", true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.WrongSender =>
                new(Failed, "This sign-in failed", $"The message came from another WhatsApp number than the one {request.Name} expected.", true),
            OtpStatus.Failed =>
                new(Failed, "This sign-in was cancelled", $"Go back to {request.Name} to start again.", true),
            _ => new(Expired, "This sign-in link has expired", $"Go back to {request.Name} to get a new one.", true),
        };
    }

    /// <summary>Verified on the phone; this browser is about to receive the redirect.</summary>
    public static LinkStatus RedirectTo(OtpRequest request, string? url) =>
        new(Redirecting, "Verified on your phone", $"Taking you back to {request.Name}…", url is not null, url);
}
