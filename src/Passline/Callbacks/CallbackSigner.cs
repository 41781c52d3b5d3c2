using System.Security.Cryptography;
using System.Text;

namespace Passline.Callbacks;

/// <summary>
/// Standard Webhooks signatures (SPEC 7): <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"&gt;</c>
/// keyed with the base64-decoded part of the instance's <c>whsec_</c> secret.
/// </summary>
public static class CallbackSigner
{
    public static string Sign(string webhookSecret, string webhookId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(webhookSecret.StartsWith("whsec_", StringComparison.Ordinal) ? webhookSecret["whsec_".Length..] : webhookSecret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}
