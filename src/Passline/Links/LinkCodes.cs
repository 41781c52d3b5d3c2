using System.Security.Cryptography;

namespace Passline.Links;

public static class LinkCodes
{
    public const int Length = 8;

    /// <summary>Eight capital letters from a cryptographic source: 26^8 ≈ 2·10^11 codes.</summary>
    public static string New() => RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", Length);
}
