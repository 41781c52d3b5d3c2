using System.Security.Cryptography;
using System.Text;

namespace Passline.Channels;

/// <summary>Checks of the HMAC signatures providers put on their webhooks, in constant time.</summary>
public static class WebhookSignatures
{
    /// <summary>WAHA: <c>X-Webhook-Hmac</c> is the hex HMAC-SHA512 of the raw body.</summary>
    public static bool IsValidWaha(byte[] body, string? header, string? key) =>
        Matches(header, key, k => HMACSHA512.HashData(k, body));

    /// <summary>Cloud API: <c>X-Hub-Signature-256</c> is <c>sha256=</c> and the hex HMAC-SHA256 of the raw body with the app secret.</summary>
    public static bool IsValidCloudApi(byte[] body, string? header, string? appSecret) =>
        header is not null && header.StartsWith("sha256=", StringComparison.Ordinal)
        && Matches(header["sha256=".Length..], appSecret, k => HMACSHA256.HashData(k, body));

    private static bool Matches(string? hexSignature, string? key, Func<byte[], byte[]> mac)
    {
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(hexSignature))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(hexSignature.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, mac(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>Equality of two secrets that does not tell by its timing how much of them matched.</summary>
    public static bool SecretEquals(string? given, string? expected) =>
        given is not null && expected is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
