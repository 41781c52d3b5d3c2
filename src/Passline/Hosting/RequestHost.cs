using Microsoft.AspNetCore.Http.Extensions;
using Passline.Api;

namespace Passline.Hosting;

/// <summary>
/// The host a request names, checked once for every endpoint. Kestrel takes some <c>Host</c> headers that are no
/// host and port (a port over 65535, <c>a..b</c>, an invalid IDN such as <c>xn--zz</c>), and the pages, which build
/// their base URL from it, would fail on them: those are a 400 here. An HTTP/1.0 request may come without a
/// <c>Host</c>; it is answered for the address it reached, the server's own authority (RFC 9112, 3.3).
/// </summary>
public static class RequestHost
{
    // Nearly every request names the same host: the last one found valid is not parsed again.
    private static string? lastValid;

    public static IApplicationBuilder UseRequestHost(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (!IsHost(request, out var host))
            {
                return ApiError.BadRequest("The Host header is not a valid host name and port.").ExecuteAsync(context);
            }

            if (!host.HasValue)
            {
                var local = context.Connection.LocalIpAddress;
                request.Host = local is null
                    ? new HostString("localhost")
                    : new HostString(local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString(), context.Connection.LocalPort);
            }

            return next(context);
        });

    private static bool IsHost(HttpRequest request, out HostString host)
    {
        host = default;
        try
        {
            // Reading the host decodes an IDN, which throws for an invalid one.
            host = request.Host;
            if (!host.HasValue || host.Value == lastValid)
            {
                return true;
            }

            if (!Uri.TryCreate(UriHelper.BuildAbsolute(request.Scheme, host), UriKind.Absolute, out _))
            {
                return false;
            }

            lastValid = host.Value;
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
