using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
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

    /// <summary>
    /// The IPv4 ranges of the IANA IPv4 Special-Purpose Address Registry that are not globally reachable, and multicast.
    /// 192.0.0.0/24 is refused whole (its two anycast /32s are no callback receivers).
    /// </summary>
    private static readonly (uint Network, int Prefix)[] RefusedV4 =
    [
        V4("0.0.0.0", 8),         // "this network"
        V4("10.0.0.0", 8),        // private
        V4("100.64.0.0", 10),     // shared address space (carrier-grade NAT)
        V4("127.0.0.0", 8),       // loopback
        V4("169.254.0.0", 16),    // link-local (cloud metadata)
        V4("172.16.0.0", 12),     // private
        V4("192.0.0.0", 24),      // IETF protocol assignments
        V4("192.0.2.0", 24),      // documentation (TEST-NET-1)
        V4("192.88.99.0", 24),    // deprecated 6to4 relay anycast
        V4("192.168.0.0", 16),    // private
        V4("198.18.0.0", 15),     // benchmarking
        V4("198.51.100.0", 24),   // documentation (TEST-NET-2)
        V4("203.0.113.0", 24),    // documentation (TEST-NET-3)
        V4("224.0.0.0", 4),       // multicast
        V4("240.0.0.0", 4),       // reserved, and 255.255.255.255 broadcast
    ];

    /// <summary>
    /// IPv6 ranges inside global unicast (2000::/3) that the IANA IPv6 Special-Purpose Address Registry marks not
    /// globally reachable. Everything outside 2000::/3 (loopback, unspecified, unique local, link-local, site-local,
    /// multicast, discard-only, SRv6 SIDs, local-use NAT64, unassigned space) is refused as a whole.
    /// </summary>
    private static readonly (UInt128 Network, int Prefix)[] RefusedV6 =
    [
        V6("2001::", 23),         // IETF protocol assignments (Teredo, ORCHID, benchmarking 2001:2::/48, ...)
        V6("2001:db8::", 32),     // documentation
        V6("3fff::", 20),         // documentation
    ];

    private static readonly (UInt128 Network, int Prefix) GlobalUnicast = V6("2000::", 3);
    private static readonly (UInt128 Network, int Prefix) Nat64 = V6("64:ff9b::", 96);
    private static readonly (UInt128 Network, int Prefix) SixToFour = V6("2002::", 16);

    /// <summary>Null when <paramref name="url"/> may be used as a callback, else why not.</summary>
    public static string? CheckUrl(string url, bool allowPrivateNetworks, IReadOnlySet<IPAddress>? ownAddresses = null)
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

        return IPAddress.TryParse(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : host, out var address) && IsRefused(address, ownAddresses)
            ? "must not point to an address that is not globally reachable (loopback, private, link-local, documentation, reserved, ...) or to this host."
            : null;
    }

    /// <summary>Addresses a callback must never reach unless private networks are allowed.</summary>
    public static bool IsRefused(IPAddress address, IReadOnlySet<IPAddress>? ownAddresses = null)
    {
        var embedded = EmbeddedIPv4(address);
        if (ownAddresses is not null && (ownAddresses.Contains(address) || (embedded is not null && ownAddresses.Contains(embedded))))
        {
            return true;
        }

        if (embedded is not null)
        {
            return IsRefusedV4(embedded);
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsRefusedV4(address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        var value = BinaryPrimitives.ReadUInt128BigEndian(address.GetAddressBytes());
        return !In(value, GlobalUnicast) || RefusedV6.Any(range => In(value, range));
    }

    /// <summary>The IPv4 address carried by an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address, else null.</summary>
    public static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return In(value, Nat64) ? new IPAddress(bytes.AsSpan(12, 4))
            : In(value, SixToFour) ? new IPAddress(bytes.AsSpan(2, 4))
            : null;
    }

    private static bool IsRefusedV4(IPAddress address)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        return RefusedV4.Any(range => (value & Mask32(range.Prefix)) == range.Network);
    }

    private static bool In(UInt128 value, (UInt128 Network, int Prefix) range) => (value & Mask128(range.Prefix)) == range.Network;

    private static uint Mask32(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    private static UInt128 Mask128(int prefix) => prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);

    private static (uint, int) V4(string network, int prefix) =>
        (BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(network).GetAddressBytes()), prefix);

    private static (UInt128, int) V6(string network, int prefix) =>
        (BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(network).GetAddressBytes()), prefix);
}

/// <summary>
/// The addresses of this host's own network interfaces, which a callback must never reach (a public address of the
/// host itself would otherwise pass as globally reachable). Read again at most once a minute. Virtual so that tests
/// can give the host an address.
/// </summary>
public class HostAddresses(TimeProvider time)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(1);
    private (IReadOnlySet<IPAddress> Addresses, long ReadAt)? current;

    public virtual IReadOnlySet<IPAddress> Current()
    {
        var now = time.GetTimestamp();
        if (current is { } known && time.GetElapsedTime(known.ReadAt, now) < RefreshAfter)
        {
            return known.Addresses;
        }

        HashSet<IPAddress> addresses = [];
        try
        {
            foreach (var networkInterface in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in networkInterface.GetIPProperties().UnicastAddresses)
                {
                    // Scope ids differ between equal link-local addresses; compare without them.
                    addresses.Add(new IPAddress(unicast.Address.GetAddressBytes()));
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list on this platform: the ranges still refuse loopback and private addresses.
        }

        current = (addresses, now);
        return addresses;
    }
}
