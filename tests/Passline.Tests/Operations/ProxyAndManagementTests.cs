using System.Net;
using System.Net.Sockets;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Operations;

/// <summary>Deployments behind a reverse proxy and with a separate management listener (SPEC 8).</summary>
public sealed class ProxyAndManagementTests : IAsyncLifetime
{
    private const string UnknownPage = "/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private static HttpRequestMessage Page(string path, string client, string proto = "https") =>
        new(HttpMethod.Get, path) { Headers = { { "X-Forwarded-For", $"{client}, 127.0.0.1" }, { "X-Forwarded-Proto", proto } } };

    [Theory]
    [InlineData("127.0.0.1", null, true)]
    [InlineData(null, "127.0.0.0/8", true)]
    [InlineData("10.20.30.40", null, false)]
    [InlineData(null, null, false)]
    public async Task ForwardedHeadersAreHonouredFromAKnownProxyOnly(string? knownProxies, string? knownNetworks, bool honoured)
    {
        await using var app = new PasslineApp(database, new Dictionary<string, string?>
        {
            ["Passline:RateLimits:PagesPerIpPerMinute"] = "2",
            ["Passline:ForwardedHeaders:KnownProxies"] = knownProxies,
            ["Passline:ForwardedHeaders:KnownNetworks"] = knownNetworks,
        });
        var client = app.Client();

        // The per-IP page limit counts the client the proxy names, when the proxy is trusted.
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Page(UnknownPage, "198.51.100.1"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Page(UnknownPage, "198.51.100.1"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(Page(UnknownPage, "198.51.100.1"))).StatusCode);
        var otherClient = await client.SendAsync(Page(UnknownPage, "198.51.100.2"));
        Assert.Equal(honoured ? HttpStatusCode.NotFound : HttpStatusCode.TooManyRequests, otherClient.StatusCode);

        // The scheme the proxy was reached with: behind an https proxy the binding cookie is Secure, and a __Host- one,
        // which no other host can set for this one.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        var instance = await app.CreateInstanceAsync();
        var link = await LinkFlow.GenerateAsync(instance);
        var page = await client.SendAsync(Page($"/l/{link.Uuid}", "198.51.100.3"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var name = honoured ? $"__Host-passline-link-{link.Uuid:N}=" : $"passline-link-{link.Uuid:N}=";
        var binding = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(name, StringComparison.Ordinal));
        Assert.Equal(honoured, binding.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The verification page's form token rides on a cookie: behind an https proxy, with an https public URL, that cookie
    /// is Secure and a __Host- one too, which a sibling subdomain cannot plant; over plain http it is neither.
    /// </summary>
    [Theory]
    [InlineData("https://login.example.com", "https", "__Host-passline-csrf=", true)]
    [InlineData(null, "https", "passline-csrf=", true)]
    [InlineData(null, "http", "passline-csrf=", false)]
    public async Task TheFormCookieIsSecureBehindAnHttpsProxy(string? publicBaseUrl, string proto, string name, bool secure)
    {
        await using var app = new PasslineApp(database, new Dictionary<string, string?>
        {
            ["Passline:ForwardedHeaders:KnownProxies"] = "127.0.0.1",
            ["Passline:PublicBaseUrl"] = publicBaseUrl,
        });
        var instance = await app.CreateInstanceAsync();
        var link = await LinkFlow.GenerateAsync(instance);
        await LinkFlow.SimulatorSendAsync(instance, Webhooks.Message(link.Code, "Hypersender"));
        var path = LinkFlow.VerificationPath((await LinkFlow.SimulatorOutboxAsync(instance)).Single());

        var page = await app.Client().SendAsync(Page(path, "198.51.100.4", proto));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.Contains("csrf", StringComparison.Ordinal));
        Assert.StartsWith(name, cookie, StringComparison.Ordinal);
        Assert.Equal(secure, cookie.Contains("; secure", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A build from source is no release: its version says so, with the commit (scripts/release sets a release's).</summary>
    [Fact]
    public async Task ABuildFromSourceReportsADevelopmentVersion()
    {
        await using var app = new PasslineApp(database);

        var health = await (await app.Client().GetAsync("/healthz")).ReadObjectAsync();

        Assert.StartsWith("0.0.0-dev", health["version"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHostHeaderThatIsNoHostIs400AndAnHttp10RequestWithoutOneGetsItsPage()
    {
        await using var app = new PasslineApp(database);

        // Over a bare socket, as such a client sends it: HttpClient checks the Host header it is given.
        async Task<string> SendAsync(string head)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(app.BaseAddress.Host, app.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head + "\r\n\r\n"));
            return await new StreamReader(stream).ReadToEndAsync();
        }

        foreach (var host in new[] { "[::1]:99999", "127.0.0.1:65536", "xn--zz", "a..b" })
        {
            var answer = await SendAsync($"GET {UnknownPage} HTTP/1.1\r\nHost: {host}\r\nConnection: close");
            Assert.StartsWith("HTTP/1.1 400", answer);
            Assert.Contains("application/json", answer);
            Assert.Contains("The Host header is not a valid host name and port.", answer);
        }

        // HTTP/1.0 lets a client leave the Host out: the page is rendered for the address the request came to.
        var page = await SendAsync($"GET {UnknownPage} HTTP/1.0");
        Assert.StartsWith("HTTP/1.1 404", page);
        Assert.Contains("text/html", page);
    }

    /// <summary>An IPv6 client is counted by its /64: one home or phone is given that many addresses.</summary>
    [Fact]
    public async Task PageLimitCountsAnIpv6ClientByItsNetwork()
    {
        await using var app = new PasslineApp(database, new Dictionary<string, string?>
        {
            ["Passline:RateLimits:PagesPerIpPerMinute"] = "2",
            ["Passline:ForwardedHeaders:KnownProxies"] = "127.0.0.1",
        });
        var client = app.Client();

        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Page(UnknownPage, "2001:db8:1:2::1"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Page(UnknownPage, "2001:db8:1:2:aaaa::2"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.SendAsync(Page(UnknownPage, "2001:db8:1:2:ffff:ffff:ffff:ffff"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Page(UnknownPage, "2001:db8:1:3::1"))).StatusCode);
    }

    [Fact]
    public async Task MetricsAndHealthAreAbsentFromTheMainListenerWhenTheManagementListenerIsSet()
    {
        var port = FreePort();
        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Management:Urls"] = $"http://127.0.0.1:{port}" });
        var main = app.Client();
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await management.GetAsync(path)).StatusCode);

            // Routing gives these forms to the same endpoints.
            foreach (var variant in new[] { path + "/", path.ToUpperInvariant(), path + "/." })
            {
                Assert.Equal((variant, HttpStatusCode.NotFound), (variant, (await main.GetAsync(variant)).StatusCode));
            }

            // Told apart by the port a request arrived on, not by the Host header it claims.
            var spoofed = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Host = $"127.0.0.1:{port}" } };
            Assert.Equal(HttpStatusCode.NotFound, (await main.SendAsync(spoofed)).StatusCode);
        }

        Assert.Contains("passline", await management.GetStringAsync("/metrics"), StringComparison.Ordinal);
        var instance = await app.CreateInstanceAsync();
        Assert.Equal(HttpStatusCode.OK, (await instance.Client().PostAsync(instance.Api("generate-link"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await management.PostAsync(instance.Api("generate-link"), null)).StatusCode);
    }

    [Fact]
    public async Task WithoutAManagementListenerMetricsAreOnTheMainListener()
    {
        await using var app = new PasslineApp(database);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/readyz")).StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
