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
            var user = WithoutDevice(text[..at]);
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

    /// <summary>
    /// The user of a device-qualified id (<c>2010...:12@s.whatsapp.net</c>, as whatsmeow and Baileys write a linked
    /// device's messages): what is before the colon.
    /// </summary>
    private static string WithoutDevice(string user) =>
        user.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon && user.AsSpan(colon + 1) is { Length: > 0 } device
            && !device.ContainsAnyExceptInRange('0', '9')
                ? user[..colon]
                : user;

    /// <summary>The digits of a phone-number chat id as WhatsApp names the user (where replies go), else null.</summary>
    public static string? Digits(string chatId) =>
        chatId.EndsWith(PhoneSuffix, StringComparison.Ordinal) && chatId[..^PhoneSuffix.Length] is var digits
            && PhoneDigits(digits) == digits
                ? digits
                : null;

    /// <summary>
    /// The phone number (E.164: <c>+</c> and digits) of a phone-number chat id, else null. WhatsApp names some users by
    /// a form of their number that is no longer dialled: Mexican mobiles as <c>521</c> and ten digits (the <c>1</c>
    /// left the numbering plan in 2019), Brazilian mobiles of accounts older than the ninth digit (2012-2016) without it.
    /// The phone is the number as it is dialled today; the chat id keeps WhatsApp's form.
    /// </summary>
    public static string? Phone(string chatId) => Digits(chatId) is { } digits ? "+" + Dialled(digits) : null;

    /// <summary>
    /// Whether two phone numbers (<see cref="Phone"/>) are one user's: equal, or an Argentine mobile written with and
    /// without the <c>9</c> that its international form carries (WhatsApp always writes it; people often leave it out).
    /// </summary>
    public static bool SamePhone(string a, string b) => a == b || ArgentineKey(a) == ArgentineKey(b);

    private static string Dialled(string digits) => digits switch
    {
        // 52 1 and ten digits: 52 and the ten.
        { Length: 13 } when digits.StartsWith("521", StringComparison.Ordinal) => "52" + digits[3..],

        // 55, a two-digit area code and the eight digits a mobile had before its ninth (they began with 6 to 9; fixed
        // lines begin with 2 to 5 and have no ninth digit).
        { Length: 12 } when digits.StartsWith("55", StringComparison.Ordinal) && digits[4] is >= '6' and <= '9' => digits[..4] + "9" + digits[4..],
        _ => digits,
    };

    private static string ArgentineKey(string phone) =>
        phone.Length == 14 && phone.StartsWith("+549", StringComparison.Ordinal) ? "+54" + phone[4..] : phone;

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
