namespace Passline.Requests;

/// <summary>
/// WhatsApp user identities (SPEC 1). A phone number becomes <c>&lt;digits&gt;@c.us</c> whatever way it was
/// written; identities without a phone number (<c>@lid</c>, Cloud API business-scoped ids) are kept as received.
/// </summary>
public static class ChatId
{
    private const string PhoneSuffix = "@c.us";

    /// <summary>The normalised chat id, or null when <paramref name="input"/> is no user's chat id (a group, say).</summary>
    public static string? Normalize(string input)
    {
        var text = input.Trim();
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var user = text[..at];
            var server = text[(at + 1)..].ToLowerInvariant();
            return server switch
            {
                "c.us" or "s.whatsapp.net" => PhoneDigits(user) is { } digits ? digits + PhoneSuffix : null,
                "lid" when user.Length > 0 && user.All(char.IsAsciiDigit) => user + "@lid",
                _ => null,
            };
        }

        return PhoneDigits(text) is { } phone ? phone + PhoneSuffix : null;
    }

    /// <summary><c>+</c> and the digits for a phone-number chat id, else null.</summary>
    public static string? Phone(string chatId) =>
        chatId.EndsWith(PhoneSuffix, StringComparison.Ordinal) ? "+" + chatId[..^PhoneSuffix.Length] : null;

    /// <summary>
    /// Digits of a full international number written as people write it (<c>+20 123-456 789</c>,
    /// <c>(20) 123...</c>): 7 to 15 digits (E.164), not starting with 0.
    /// </summary>
    public static string? PhoneDigits(string text)
    {
        Span<char> digits = stackalloc char[16];
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return null;
                }

                digits[count++] = c;
            }
            else if (!(c is ' ' or '-' or '(' or ')' or '.' || (c == '+' && count == 0)))
            {
                return null;
            }
        }

        return count is >= 7 and <= 15 && digits[0] != '0' ? new string(digits[..count]) : null;
    }
}
