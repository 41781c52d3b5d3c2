using System.Net;
using System.Net.Sockets;

namespace Passline.Callbacks;

/// <summary>
/// Server-side request forgery guard for callbacks (SPEC 7). <see cref="CheckUrl"/> is the cheap check at
/// generate-link time (literal addresses and <c>localhost</c> only, never DNS); the delivery side checks the
/// address it actually connects to with <see cref="IsRefused"/>.
/// </summary>
public static class NetworkGuard
{
    public const int MaxUrlLength = 2048;

    /// <summary>Null when <paramref name="url"/> may be used as a callback, else why not.</summary>
    public static string? CheckUrl(string url, bool allowPrivateNetworks)
    {
        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (allowPrivateNetworks && uri.Scheme == Uri.UriSchemeHttp))
            || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return allowPrivateNetworks
                ? $"must be an absolute http or https URL of at most {MaxUrlLength} characters."
                : $"must be an absolute https URL of at most {MaxUrlLength} characters.";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "must not point to localhost.";
        }

        return IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : host, out var address) && IsRefused(address)
            ? "must not point to a loopback, private, link-local, multicast or unspecified address."
            : null;
    }

    /// <summary>Addresses a callback must never reach unless private networks are allowed.</summary>
    public static bool IsRefused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 0                                   // 0.0.0.0/8 "this network"
                || b[0] == 10                                  // 10.0.0.0/8
                || (b[0] == 100 && (b[1] & 0xC0) == 64)        // 100.64.0.0/10 carrier-grade NAT
                || (b[0] == 169 && b[1] == 254)                // 169.254.0.0/16 link-local (cloud metadata)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)        // 172.16.0.0/12
                || (b[0] == 192 && b[1] == 168)                // 192.168.0.0/16
                || b[0] >= 224;                                // multicast and reserved
        }

        var v6 = address.GetAddressBytes();
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC;                         // fc00::/7 unique local
    }
}
