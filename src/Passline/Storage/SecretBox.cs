using System.Security.Cryptography;
using System.Text;

namespace Passline.Storage;

/// <summary>
/// Encrypts what must not be readable at rest (SPEC 8) with <c>Passline:Secrets:Key</c>: AES-256-GCM, a fresh nonce per
/// value. Several keys may be configured for rotation: the first encrypts, every one decrypts. A stored value is
/// <c>enc1:</c> and base64 of key id (4 bytes), nonce (12), tag (16) and ciphertext; the key id names the key that
/// encrypted it, so decryption needs no guessing.
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "enc1:";
    private const int IdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>The first byte of a keyed hash (<see cref="Hash"/>), then the key id and the HMAC.</summary>
    private const byte KeyedHash = 1;
    private const int HashSize = 1 + IdSize + HMACSHA256.HashSizeInBytes;

    private readonly (byte[] Id, byte[] Key)[] keys;

    /// <summary>Each key's own key for <see cref="Hash"/>, derived from it, so that no key serves two purposes.</summary>
    private readonly byte[][] hashKeys;

    public SecretBox(IReadOnlyList<byte[]> keys)
    {
        if (keys.Count == 0 || keys.Any(k => k.Length != 32))
        {
            throw new ArgumentException("Each key must be 32 bytes.", nameof(keys));
        }

        this.keys = [.. keys.Select(k => (KeyId(k), k.ToArray()))];
        hashKeys = [.. keys.Select(k => HKDF.DeriveKey(HashAlgorithmName.SHA256, k, 32, info: "passline-hash"u8.ToArray()))];
        Fingerprint = Convert.ToHexString(SHA256.HashData(this.keys.SelectMany(k => k.Id).ToArray()));
    }

    /// <summary>Names this set of keys (not the keys themselves): the database model is cached per fingerprint.</summary>
    public string Fingerprint { get; }

    /// <summary>Parses the configured value: base64 of 32 bytes, or several such separated by commas.</summary>
    public static SecretBox Parse(string configured) => new([.. configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromBase64String)]);

    /// <summary>Null when <paramref name="configured"/> is a valid key list, else what is wrong with it.</summary>
    public static string? Problem(string configured)
    {
        var parts = configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return "is empty";
        }

        for (var i = 0; i < parts.Length; i++)
        {
            var bytes = new byte[64];
            if (!Convert.TryFromBase64String(parts[i], bytes, out var length) || length != 32)
            {
                return $"key {i + 1} is not base64 of 32 bytes (generate one with `openssl rand -base64 32`)";
            }
        }

        return null;
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The empty string stays empty: it is what a redacted message or an unset secret holds, and encrypting it would only
    /// make a blob out of nothing.
    /// </summary>
    public string Encrypt(string plaintext)
    {
        if (plaintext.Length == 0)
        {
            return plaintext;
        }

        var (id, key) = keys[0];
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[IdSize + NonceSize + TagSize + clear.Length];
        id.CopyTo(blob, 0);
        var nonce = blob.AsSpan(IdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, clear, blob.AsSpan(IdSize + NonceSize + TagSize), blob.AsSpan(IdSize + NonceSize, TagSize));
        return Prefix + Convert.ToBase64String(blob);
    }

    /// <summary>
    /// The plaintext of a stored value. A value without the prefix was written before encryption (or is empty) and is
    /// returned as it is; <c>secret reencrypt</c> encrypts such values.
    /// </summary>
    public string Decrypt(string stored)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored;
        }

        var blob = Convert.FromBase64String(stored[Prefix.Length..]);
        if (blob.Length < IdSize + NonceSize + TagSize)
        {
            throw new CryptographicException("A stored secret is truncated.");
        }

        var id = blob.AsSpan(0, IdSize);
        foreach (var (keyId, key) in keys)
        {
            if (id.SequenceEqual(keyId))
            {
                var clear = new byte[blob.Length - IdSize - NonceSize - TagSize];
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(blob.AsSpan(IdSize, NonceSize), blob.AsSpan(IdSize + NonceSize + TagSize), blob.AsSpan(IdSize + NonceSize, TagSize), clear);
                return Encoding.UTF8.GetString(clear);
            }
        }

        throw new CryptographicException(
            "A stored secret was encrypted with a key that is not in Passline:Secrets:Key. After a rotation, give the new key and then the old one until `secret reencrypt` has run.");
    }

    /// <summary>
    /// The stored form of a secret short enough to try every value of (a six-digit code): HMAC-SHA256 of
    /// <paramref name="salt"/> and <paramref name="secret"/> under a key derived from the first key, so that a reader of
    /// the database cannot find it without the key (SPEC 8). A version byte and the key id come first, so that
    /// <see cref="Matches"/> needs no guessing after a rotation.
    /// </summary>
    public byte[] Hash(ReadOnlySpan<byte> salt, string secret)
    {
        var hash = new byte[HashSize];
        hash[0] = KeyedHash;
        keys[0].Id.CopyTo(hash, 1);
        Mac(hashKeys[0], salt, secret, hash.AsSpan(1 + IdSize));
        return hash;
    }

    /// <summary>Whether <paramref name="stored"/> is <see cref="Hash"/> of these values under one of the keys; in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> salt, string secret)
    {
        if (stored.Length != HashSize || stored[0] != KeyedHash)
        {
            return false;
        }

        for (var i = 0; i < keys.Length; i++)
        {
            if (stored.Slice(1, IdSize).SequenceEqual(keys[i].Id))
            {
                Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
                Mac(hashKeys[i], salt, secret, mac);
                return CryptographicOperations.FixedTimeEquals(mac, stored[(1 + IdSize)..]);
            }
        }

        return false;
    }

    private static void Mac(byte[] key, ReadOnlySpan<byte> salt, string secret, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(salt);
        hmac.AppendData(Encoding.UTF8.GetBytes(secret));
        hmac.GetHashAndReset(destination);
    }

    /// <summary>
    /// Whether <paramref name="stored"/> needs no rewriting after a rotation: it is empty, or encrypted with the first key.
    /// </summary>
    public bool IsUnderFirstKey(string stored)
    {
        if (stored.Length == 0)
        {
            return true;
        }

        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var blob = Convert.FromBase64String(stored[Prefix.Length..]);
        return blob.Length >= IdSize && blob.AsSpan(0, IdSize).SequenceEqual(keys[0].Id);
    }

    private static byte[] KeyId(byte[] key) => SHA256.HashData([.. "passline-key-id"u8, .. key])[..IdSize];
}
