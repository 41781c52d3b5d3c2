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

    public const string Key = "Passline:PublicBaseUrl";

    /// <summary>A configured base URL must be absolute http(s): it is put in front of every link Passline sends.</summary>
    public static void Validate(IConfiguration configuration)
    {
        if (configuration[Key] is { Length: > 0 } configured
            && !(Uri.TryCreate(configured, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0))
        {
            throw new Hosting.ConfigurationException(
                $"{Key}: '{configured}' must be an absolute http or https URL without query or fragment, such as https://login.example.com.");
        }
    }

    public string Base(HttpRequest request) => Known() ?? $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>The base URL when configuration or the server's addresses tell it, else null.</summary>
    public string? Known()
    {
        if (known is not null)
        {
            return known;
        }

        if (configuration[Key] is { Length: > 0 } configured)
        {
            return known = configured.TrimEnd('/');
        }

        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return listening is not null && Uri.TryCreate(listening, UriKind.Absolute, out var uri) && uri.Host is not ("0.0.0.0" or "[::]" or "+" or "*")
            ? known = listening.TrimEnd('/')
            : null;
    }
}
