using System.Security.Cryptography;
using System.Text;

namespace Passline.Instances;

/// <summary>Generation and hashing of the secrets Passline hands out.</summary>
public static class Secrets
{
    /// <summary>An API token: <c>pl_</c> and 32 random bytes in base64url.</summary>
    public static string NewApiToken() => "pl_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A Standard Webhooks signing secret: <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string NewWebhookSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A one-time token carried in a URL (verification, exchange).</summary>
    public static string NewUrlToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
