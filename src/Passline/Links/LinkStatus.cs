using Microsoft.Extensions.Localization;
using Passline.Requests;

namespace Passline.Links;

/// <summary>
/// Where a link request stands, as the link page shows it and its live status reports it (SPEC 4.3): a state for
/// the page's logic, and the words for the person, in the current UI culture. <see cref="Redirect"/> is set only for the
/// bound browser, once.
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
    public static LinkStatus Of(OtpRequest request, DateTimeOffset now, bool holder, IStringLocalizer texts)
    {
        if (IsOpen(request, now))
        {
            return request.MessageReceivedAt is null
                ? new(Waiting, texts["Waiting for your WhatsApp message"], texts["Scan the QR code with your phone's camera, or open WhatsApp with the button, and send the message as it is."], false)
                : new(Received, texts["Message received"], texts["We replied on WhatsApp with a link. Open it on your phone and press Verify."], false);
        }

        return request.Status switch
        {
            OtpStatus.Verified when holder && request.Redirect is not null && request.ExchangeTokenHash is null =>
                new(Verified, texts["Verified, but this page came back too late"], texts["Go back to {0} and sign in again.", request.Name], true),
            OtpStatus.Verified when request.Redirect is null =>
                new(Verified, texts["Verified"], texts["You are signed in to {0}. You can close this page.", request.Name], true),
            OtpStatus.Verified =>
                new(Verified, texts["Verified"], texts["The sign-in continued in another window. You can close this page."], true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.Declined =>
                new(Declined, texts["Sign-in refused"], texts["It was refused on the phone: nobody was signed in."], true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.SenderUnresolved =>
                new(Failed, texts["This sign-in failed"], texts["WhatsApp did not tell which number the message came from, so it could not be matched to the one {0} expected.", request.Name], true),
            OtpStatus.Failed when request.FailedReason == FailedReasons.WrongSender =>
                new(Failed, texts["This sign-in failed"], texts["The message came from another WhatsApp number than the one {0} expected.", request.Name], true),
            OtpStatus.Failed =>
                new(Failed, texts["This sign-in was cancelled"], texts["Go back to {0} to start again.", request.Name], true),
            _ => new(Expired, texts["This sign-in link has expired"], texts["Go back to {0} to get a new one.", request.Name], true),
        };
    }

    /// <summary>Verified on the phone; this browser is about to receive the redirect.</summary>
    public static LinkStatus RedirectTo(OtpRequest request, string? url, IStringLocalizer texts) =>
        new(Redirecting, texts["Verified on your phone"], texts["Taking you back to {0}…", request.Name], url is not null, url);
}
