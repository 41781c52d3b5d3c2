using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Passline.Client;

/// <summary>
/// Checks the signature of a Passline callback, as the Standard Webhooks specification
/// (https://www.standardwebhooks.com) defines it: <c>webhook-signature</c> holds space-separated
/// <c>v1,&lt;base64 HMAC-SHA256&gt;</c> entries of <c>"{webhook-id}.{webhook-timestamp}.{body}"</c>, keyed with the
/// instance's <c>whsec_...</c> secret, and <c>webhook-timestamp</c> must be recent.
/// </summary>
/// <remarks>
/// Verify the body exactly as received, before any JSON parsing: re-serialised JSON does not carry the same
/// signature. Several <c>v1</c> entries are accepted while a secret is being rotated; any one matching suffices.
/// A signature proves the callback came from Passline, not that it is new: use <c>webhook-id</c> (stable across
/// retries) to handle a delivery only once.
/// </remarks>
public sealed class CallbackVerifier
{
    /// <summary>The header with the delivery's id, the same on every retry.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header with the Unix time in seconds at which the delivery was signed.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header with the signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";
    private const string SignaturePrefix = "v1,";

    private readonly byte[] key;
    private readonly long toleranceSeconds;
    private readonly TimeProvider time;

    /// <summary>A verifier for one instance's secret.</summary>
    /// <param name="secret">
    /// The instance's signing secret, <c>whsec_</c> followed by the base64 of the key (the bare base64 is accepted too,
    /// as the Standard Webhooks libraries do).
    /// </param>
    /// <param name="tolerance">How far the signing time may be from now, either way; default <see cref="DefaultTolerance"/>.</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    public CallbackVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? timeProvider = null)
    {
        var allowed = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(allowed, TimeSpan.Zero, nameof(tolerance));
        key = DecodeSecret(secret);
        toleranceSeconds = (long)allowed.TotalSeconds;
        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Five minutes, the Standard Webhooks recommendation: long enough for clock skew, short against replays.</summary>
    public static TimeSpan DefaultTolerance { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether the callback is signed with this secret and recent.</summary>
    /// <param name="body">The request body exactly as received.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public bool IsValid(ReadOnlySpan<byte> body, string? webhookId, string? webhookTimestamp, string? webhookSignature) =>
        FindProblem(body, webhookId, webhookTimestamp, webhookSignature) is null;

    /// <summary>Whether the callback is signed with this secret and recent.</summary>
    /// <param name="body">The request body exactly as received, decoded from UTF-8.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public bool IsValid(string body, string? webhookId, string? webhookTimestamp, string? webhookSignature) =>
        IsValid(Utf8(body), webhookId, webhookTimestamp, webhookSignature);

    /// <summary>Throws <see cref="CallbackVerificationException"/>, saying why, unless the callback is signed with this secret and recent.</summary>
    /// <param name="body">The request body exactly as received.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public void Verify(ReadOnlySpan<byte> body, string? webhookId, string? webhookTimestamp, string? webhookSignature)
    {
        if (FindProblem(body, webhookId, webhookTimestamp, webhookSignature) is { } problem)
        {
            throw new CallbackVerificationException(problem);
        }
    }

    /// <summary>Throws <see cref="CallbackVerificationException"/>, saying why, unless the callback is signed with this secret and recent.</summary>
    /// <param name="body">The request body exactly as received, decoded from UTF-8.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public void Verify(string body, string? webhookId, string? webhookTimestamp, string? webhookSignature) =>
        Verify(Utf8(body), webhookId, webhookTimestamp, webhookSignature);

    /// <summary>
    /// <see cref="Verify(ReadOnlySpan{byte}, string?, string?, string?)"/>, then reads the body as a callback.
    /// Throws <see cref="CallbackVerificationException"/> when the signature does not hold, and
    /// <see cref="JsonException"/> when a correctly signed body is not a callback.
    /// </summary>
    /// <param name="body">The request body exactly as received.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public CallbackPayload VerifyAndParse(ReadOnlySpan<byte> body, string? webhookId, string? webhookTimestamp, string? webhookSignature)
    {
        Verify(body, webhookId, webhookTimestamp, webhookSignature);
        return JsonSerializer.Deserialize(body, PasslineJson.Default.CallbackPayload)
            ?? throw new JsonException("The callback body is JSON null.");
    }

    /// <summary>
    /// <see cref="Verify(string, string?, string?, string?)"/>, then reads the body as a callback.
    /// Throws <see cref="CallbackVerificationException"/> when the signature does not hold, and
    /// <see cref="JsonException"/> when a correctly signed body is not a callback.
    /// </summary>
    /// <param name="body">The request body exactly as received, decoded from UTF-8.</param>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    public CallbackPayload VerifyAndParse(string body, string? webhookId, string? webhookTimestamp, string? webhookSignature) =>
        VerifyAndParse(Utf8(body), webhookId, webhookTimestamp, webhookSignature);

    private string? FindProblem(ReadOnlySpan<byte> body, string? id, string? timestamp, string? signature)
    {
        if (string.IsNullOrEmpty(id))
        {
            return $"The {IdHeader} header is missing.";
        }

        if (string.IsNullOrEmpty(timestamp))
        {
            return $"The {TimestampHeader} header is missing.";
        }

        if (string.IsNullOrWhiteSpace(signature))
        {
            return $"The {SignatureHeader} header is missing.";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var signedAt))
        {
            return $"The {TimestampHeader} header is not a Unix time in seconds.";
        }

        // The timestamp is part of what is signed, so checking it bounds how long a captured callback can be replayed.
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (signedAt < now - toleranceSeconds)
        {
            return "The callback's timestamp is too old.";
        }

        if (signedAt > now + toleranceSeconds)
        {
            return "The callback's timestamp is too far in the future.";
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Sign(body, id, timestamp, expected);

        Span<byte> candidate = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var sawVersion1 = false;
        var header = signature.AsSpan();
        foreach (var range in header.Split(' '))
        {
            var entry = header[range];
            if (!entry.StartsWith(SignaturePrefix, StringComparison.Ordinal))
            {
                continue; // Other versions (say, asymmetric v1a) are not this verifier's to judge.
            }

            sawVersion1 = true;
            if (Convert.TryFromBase64Chars(entry[SignaturePrefix.Length..], candidate, out var length)
                && length == candidate.Length
                && CryptographicOperations.FixedTimeEquals(candidate, expected))
            {
                return null;
            }
        }

        return sawVersion1
            ? "No signature matches: the body, the headers or the secret differ from what Passline signed."
            : $"The {SignatureHeader} header has no v1 signature.";
    }

    private void Sign(ReadOnlySpan<byte> body, string id, string timestamp, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    private static byte[] DecodeSecret(string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            var decoded = Convert.FromBase64String(encoded);
            return decoded.Length > 0 ? decoded : throw new ArgumentException("The secret holds no key.", nameof(secret));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("The secret must be whsec_ followed by the base64 of the key.", nameof(secret), e);
        }
    }

    private static byte[] Utf8(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Encoding.UTF8.GetBytes(body);
    }
}

/// <summary>A callback failed verification; the message says why.</summary>
/// <param name="message">Why the callback was refused.</param>
public sealed class CallbackVerificationException(string message) : Exception(message);
