using System.Text;

namespace Passline.Links;

/// <summary>The <c>https://wa.me/...?text=...</c> link that opens WhatsApp with the code message ready (SPEC 2.2).</summary>
public static class WhatsAppLink
{
    public static string MessageText(string prompt, string code) => $"{prompt} [{code}] - DO NOT CHANGE THIS MESSAGE";

    public static string Build(string businessPhone, string prompt, string code) =>
        $"https://wa.me/{businessPhone}?text={FormEncode(MessageText(prompt, code))}";

    /// <summary>
    /// application/x-www-form-urlencoded as PHP's <c>urlencode</c> writes it, which Hypersender's links use:
    /// letters, digits and <c>-_.</c> as they are, space as <c>+</c>, every other UTF-8 byte as upper-case <c>%XX</c>.
    /// </summary>
    public static string FormEncode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                builder.Append(c);
            }
            else if (c == ' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(Convert.ToHexString([b]));
            }
        }

        return builder.ToString();
    }
}
