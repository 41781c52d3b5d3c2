using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Passline.Api;

/// <summary>
/// Passline's own public base URL, used in <c>{link}</c> and <c>link_url</c>: <c>Passline:PublicBaseUrl</c>, else the
/// first listening URL (SPEC 8), else — when listening on a wildcard address — the URL the client used.
/// </summary>
public sealed class PublicUrls(IConfiguration configuration, IServer server)
{
    private string? known;

    public string Base(HttpRequest request) => Known() ?? $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>The base URL when configuration or the server's addresses tell it, else null.</summary>
    public string? Known()
    {
        if (known is not null)
        {
            return known;
        }

        if (configuration["Passline:PublicBaseUrl"] is { Length: > 0 } configured)
        {
            return known = configured.TrimEnd('/');
        }

        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return listening is not null && Uri.TryCreate(listening, UriKind.Absolute, out var uri) && uri.Host is not ("0.0.0.0" or "[::]" or "+" or "*")
            ? known = listening.TrimEnd('/')
            : null;
    }
}
