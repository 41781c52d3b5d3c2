namespace Passline.Hosting;

/// <summary>
/// <c>Passline:Management:Urls</c> (SPEC 8): when set, <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> are served on
/// that address only, and the public listener answers 404 for them. Requests are told apart by the port they arrived
/// on, never by their Host header (which a client chooses).
/// </summary>
public static class ManagementListener
{
    public const string Key = "Passline:Management:Urls";
    public const string DefaultUrls = "http://127.0.0.1:5080";

    private static readonly ManagementEndpoint Marker = new();

    public static WebApplicationBuilder AddListeners(this WebApplicationBuilder builder)
    {
        var main = builder.Configuration["urls"] is { Length: > 0 } configured ? configured : DefaultUrls;
        var management = ProxyHeaders.List(builder.Configuration.GetSection(Key));
        HashSet<int> ports = [];
        foreach (var url in management)
        {
            if (Port(url) is not { } port)
            {
                throw new ConfigurationException($"{Key}: '{url}' must be a URL with an explicit port of its own, such as http://127.0.0.1:9090.");
            }

            ports.Add(port);
        }

        var mainUrls = main.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var url in mainUrls)
        {
            if (!IsListeningUrl(url))
            {
                throw new ConfigurationException(
                    $"Urls: '{url}' is not a URL to listen on: http:// or https://, a host and a port from 0 to 65535, such as http://127.0.0.1:5080.");
            }
        }

        if (mainUrls.Any(u => Port(u) is { } port && ports.Contains(port)))
        {
            throw new ConfigurationException($"{Key} needs a port of its own, not one of Urls.");
        }

        // The public URLs first: the first listening URL is the default public base URL.
        builder.WebHost.UseUrls([.. mainUrls, .. management]);
        builder.Services.AddSingleton(new ManagementPorts(ports));
        StartFailure.Register(builder.Services);
        return builder;
    }

    /// <summary>A URL Kestrel can listen on (<c>http://+:8080</c>, <c>https://localhost</c>, <c>http://unix:/run/x.sock</c>).</summary>
    private static bool IsListeningUrl(string url)
    {
        try
        {
            var address = BindingAddress.Parse(url);
            return (address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
                && address.Port is >= 0 and < 65536;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Keeps the management endpoints and the public ones apart, when a management listener is configured.</summary>
    public static WebApplication UseManagementListener(this WebApplication app)
    {
        var ports = app.Services.GetRequiredService<ManagementPorts>().Ports;
        if (ports.Count == 0)
        {
            return app;
        }

        app.Use((context, next) =>
        {
            // By the endpoint routing chose, not by the path: routing also gives /metrics/ and /METRICS to /metrics.
            var onManagement = ports.Contains(context.Connection.LocalPort);
            var managementEndpoint = context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>() is not null;
            if (onManagement != managementEndpoint)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }

    /// <summary>Marks <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>: served on the management listener alone, when there is one.</summary>
    public static TBuilder OnManagementListener<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(Marker);

    /// <summary>The explicit port of a listening URL (<c>http://+:9090</c>, <c>http://[::]:9090</c>, ...), else null.</summary>
    private static int? Port(string url)
    {
        var authority = url.Split("://", 2) is [_, var rest] ? rest.Split('/')[0] : "";
        var colon = authority.LastIndexOf(':');
        return colon > 0 && authority[..colon] is var host && (host.Length == 0 || host[^1] != ':')
            && int.TryParse(authority[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? port
                : null;
    }

    private sealed record ManagementPorts(IReadOnlySet<int> Ports);

    private sealed class ManagementEndpoint;
}
