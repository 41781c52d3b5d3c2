using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Passline.Hosting;

/// <summary>
/// Running behind a reverse proxy (SPEC 8): <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed only
/// from the addresses in <c>Passline:ForwardedHeaders:KnownProxies</c> and the ranges in <c>KnownNetworks</c>, so that
/// per-IP limits, logs and <c>https</c> links see the real client, and nobody else can pretend to be one.
/// </summary>
public static class ProxyHeaders
{
    public const string Section = "Passline:ForwardedHeaders";

    public static WebApplicationBuilder AddProxyHeaders(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(Section);
        var proxies = List(section.GetSection("KnownProxies"));
        var networks = List(section.GetSection("KnownNetworks"));
        builder.Services.AddOptions<ForwardedHeadersOptions>().ValidateOnStart().Configure(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;

            // The framework trusts loopback by default; here only what is configured is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();

            // Walk back through every trusted hop (a CDN in front of nginx, say) to the first address that is not one.
            options.ForwardLimit = null;
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new ConfigurationException($"{Section}:KnownProxies: '{proxy}' is not an IP address."));
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var range)
                    ? range
                    : throw new ConfigurationException($"{Section}:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8."));
            }
        });
        builder.Services.AddSingleton(new ProxyHeadersEnabled(proxies.Count + networks.Count > 0));
        return builder;
    }

    public static WebApplication UseProxyHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ProxyHeadersEnabled>().Enabled)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>A list given as configuration array entries, or as one comma- or semicolon-separated value (handy in environment variables).</summary>
    public static List<string> List(IConfigurationSection section) =>
        [.. (section.Value is { Length: > 0 } single ? [single] : section.GetChildren().Select(c => c.Value ?? ""))
            .SelectMany(v => v.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    private sealed record ProxyHeadersEnabled(bool Enabled);
}
