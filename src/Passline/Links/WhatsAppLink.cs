using System.Buffers;
using System.Text;

namespace Passline.Links;

/// <summary>The <c>https://wa.me/...?text=...</c> link that opens WhatsApp with the code message ready (SPEC 2.2).</summary>
public static class WhatsAppLink
{
    /// <summary>
    /// The pre-filled message: the prompt, the code in brackets, the warning. Brackets of the prompt (a <c>name</c> such as
    /// <c>Acme [EU]</c>) are written as parentheses, so that the only bracketed code is the request's own: a name holding
    /// another request's code must not send its owner's login to that request.
    /// </summary>
    public static string MessageText(string prompt, string code) =>
        $"{prompt.Replace('[', '(').Replace(']', ')')} [{code}] - DO NOT CHANGE THIS MESSAGE";

    public static string Build(string businessPhone, string prompt, string code) =>
        $"https://wa.me/{businessPhone}?text={FormEncode(MessageText(prompt, code))}";

    /// <summary>
    /// application/x-www-form-urlencoded as PHP's <c>urlencode</c> writes it, which Hypersender's links use:
    /// letters, digits and <c>-_.</c> as they are, space as <c>+</c>, every other UTF-8 byte as upper-case <c>%XX</c>.
    /// Every generate-link answer carries one, so it is written in one pass into the string it returns.
    /// </summary>
    public static string FormEncode(string text)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var bytes = new ArraySegment<byte>(utf8, 0, Encoding.UTF8.GetBytes(text, utf8));
            var length = 0;
            foreach (var b in bytes)
            {
                length += AsItIs(b) || b == ' ' ? 1 : 3;
            }

            return string.Create(length, bytes, static (chars, bytes) =>
            {
                var i = 0;
                foreach (var b in bytes)
                {
                    if (AsItIs(b))
                    {
                        chars[i++] = (char)b;
                    }
                    else if (b == ' ')
                    {
                        chars[i++] = '+';
                    }
                    else
                    {
                        chars[i++] = '%';
                        chars[i++] = "0123456789ABCDEF"[b >> 4];
                        chars[i++] = "0123456789ABCDEF"[b & 0xF];
                    }
                }
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private static bool AsItIs(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.';
}
