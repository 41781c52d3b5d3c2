using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Passline.Callbacks;

/// <summary>Raised when a callback host resolves only to addresses the network guard refuses.</summary>
public sealed class RefusedAddressException(string host, IEnumerable<IPAddress> addresses)
    : Exception($"{host} resolves to {string.Join(", ", addresses)}, which is not globally reachable or belongs to this host.");

/// <summary>
/// How callbacks resolve host names. A seam only so that tests can point a name at loopback without a DNS server;
/// Passline uses the system resolver.
/// </summary>
public class CallbackResolver
{
    public virtual Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// The connect step of the callback HTTP client: resolves the host and connects only to an address the
/// <see cref="NetworkGuard"/> allows. Checking the address actually connected to, not one looked up earlier, is what
/// keeps DNS rebinding from slipping a private address past the check.
/// </summary>
public sealed class GuardedConnect(CallbackResolver resolver, HostAddresses hostAddresses, IOptionsMonitor<CallbackOptions> options)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await resolver.ResolveAsync(endpoint.Host, cancellationToken);
        var own = hostAddresses.Current();
        var allowed = options.CurrentValue.AllowPrivateNetworks ? addresses : [.. addresses.Where(a => !NetworkGuard.IsRefused(a, own))];
        if (allowed.Length == 0)
        {
            throw new RefusedAddressException(endpoint.Host, addresses);
        }

        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, endpoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }
}
