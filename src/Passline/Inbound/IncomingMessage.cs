using Passline.Requests;

namespace Passline.Inbound;

/// <summary>
/// A WhatsApp message as every provider adapter hands it over: who sent what, under which provider message id.
/// </summary>
/// <param name="ChatId">The chat the message came from, normalised (SPEC 1): where the reply goes.</param>
/// <param name="Phone"><c>+</c> and digits when the sender's phone number is known, else null.</param>
/// <param name="FromMe">Sent by the business itself (WAHA <c>message.any</c> echoes).</param>
/// <param name="IsGroup">Posted in a group, a channel or a status update rather than a one-to-one chat.</param>
/// <param name="UserId">The provider's own id of the sender when it gave one: a WAHA <c>@lid</c>, a Cloud API BSUID.</param>
public sealed record IncomingMessage(string ProviderMessageId, string ChatId, string? Phone, string? Text, bool FromMe, bool IsGroup, string? UserId = null)
{
    /// <summary>Whether matching should look at it at all (SPEC 3: own, group and status messages and empty texts are ignored).</summary>
    public bool IsUserText => !FromMe && !IsGroup && !string.IsNullOrWhiteSpace(Text);

    /// <summary>A chat id for a user, or null for groups, broadcasts, channels and anything unrecognised.</summary>
    public static (string? ChatId, bool IsGroup) Sender(string from)
    {
        var at = from.IndexOf('@', StringComparison.Ordinal);
        var server = at < 0 ? "" : from[(at + 1)..];
        if (server is "g.us" or "broadcast" or "newsletter")
        {
            return (null, true);
        }

        return (Requests.ChatId.Normalize(from) ?? (from.Length is > 0 and <= 100 && at != 0 ? from : null), false);
    }
}
