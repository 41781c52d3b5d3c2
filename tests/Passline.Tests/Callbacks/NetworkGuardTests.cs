using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Callbacks;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Callbacks;

/// <summary>
/// The server-side request forgery guard (SPEC 7), checked where it matters: at connect time. Names resolve through
/// a fixed table here (no DNS server on these machines). Only loopback is ever actually connected to: this workplace
/// forbids traffic to private ranges, and a refused address is refused before any packet leaves.
/// </summary>
public sealed class NetworkGuardTests : IAsyncLifetime
{
    private sealed class FixedResolver : CallbackResolver
    {
        public override Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Task.FromResult(host switch
        {
            "receiver.test" => new[] { IPAddress.Loopback },
            "v6.receiver.test" => [IPAddress.IPv6Loopback],
            "metadata.test" => [IPAddress.Parse("169.254.169.254")],
            "self.test" => [IPAddress.Parse(OwnPublicAddress)],
            _ => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound),
        });
    }

    /// <summary>A globally reachable address that this test pretends the host itself has (never connected to).</summary>
    private const string OwnPublicAddress = "8.8.4.4";

    private sealed class FixedHostAddresses() : HostAddresses(TimeProvider.System)
    {
        public override IReadOnlySet<IPAddress> Current() => new HashSet<IPAddress> { IPAddress.Parse(OwnPublicAddress), IPAddress.Loopback };
    }

    private TestDatabase database = null!;
    private LoopbackServer receiver = null!;
    private LoopbackServer receiverV6 = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        receiver = await LoopbackServer.StartAsync();
        receiverV6 = await LoopbackServer.StartAsync("http://[::1]:0");
    }

    public async Task DisposeAsync()
    {
        await receiver.DisposeAsync();
        await receiverV6.DisposeAsync();
        await database.DisposeAsync();
    }

    private PasslineApp App(bool allowPrivate) => new(database,
        new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = allowPrivate ? "true" : "false" },
        services =>
        {
            services.AddSingleton<CallbackResolver>(new FixedResolver());
            services.AddSingleton<HostAddresses>(new FixedHostAddresses());
        });

    /// <summary>One literal of each class of SPEC 7 that is not globally reachable, or is this host's.</summary>
    private static readonly string[] RefusedLiterals =
    [
        "192.0.2.10", "198.51.100.7", "203.0.113.5",   // documentation
        "198.18.0.1", "198.19.255.254",                // benchmarking
        "100.64.0.1",                                  // shared address space
        "192.0.0.8",                                   // IETF protocol assignments
        "240.0.0.1", "255.255.255.255",                // reserved, broadcast
        "224.0.0.1",                                   // multicast
        "0.0.0.0", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.2",
        "[::ffff:127.0.0.1]", "[::ffff:192.0.2.1]",    // IPv4-mapped
        "[64:ff9b::7f00:1]", "[64:ff9b::a00:1]",       // NAT64 embedding loopback, private
        "[2002:7f00:1::]", "[2002:c000:201::1]",       // 6to4 embedding loopback, documentation
        "[::1]", "[::]", "[fd00::1]", "[fe80::1]", "[fec0::1]", "[ff02::1]", "[100::1]", "[64:ff9b:1::1]",
        "[2001::1]", "[2001:2::1]", "[2001:db8::1]", "[3fff::1]", "[5f00::1]",
        OwnPublicAddress, "[::ffff:8.8.4.4]", "[2002:808:404::1]", // this host's own address, also embedded
    ];

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("192.31.196.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    [InlineData("::ffff:9.9.9.9")]
    public void GloballyReachableAddressesPass(string address)
    {
        Assert.False(NetworkGuard.IsRefused(IPAddress.Parse(address), new HashSet<IPAddress> { IPAddress.Parse(OwnPublicAddress) }));
    }

    [Fact]
    public async Task EveryClassOfNonGlobalAddressIsRefusedAtGenerateLinkAndAtConnectTime()
    {
        await using var app = App(allowPrivate: false);
        var instance = await app.CreateInstanceAsync();
        var client = instance.Client();

        List<(string Url, Guid RequestId)> queued = [];
        foreach (var literal in RefusedLiterals)
        {
            var url = $"https://{literal}/cb";
            var generated = await client.PostAsync(instance.Api("generate-link"), Json.Body($$$"""{"callback": {"success": "{{{url}}}"}}"""));
            Assert.True(generated.StatusCode == HttpStatusCode.UnprocessableEntity, $"generate-link accepted {url}");
            queued.Add((url, await QueueAsync(app, instance, url)));
        }

        queued.Add(("https://self.test/cb", await QueueAsync(app, instance, "https://self.test/cb")));
        foreach (var (url, requestId) in queued)
        {
            var delivery = await SettledAsync(app, requestId);
            Assert.True(delivery.Status == "failed", $"{url}: {delivery.Status}");
            Assert.Equal("refused by the network guard", delivery.LastError);
        }
    }

    [Fact]
    public async Task AClosedPortAndAnOpenPortThatIsNoHttpsServerLookTheSame()
    {
        await using var app = App(allowPrivate: true);
        var instance = await app.CreateInstanceAsync();
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        // The receiver speaks plain HTTP: a TLS handshake with it fails after the connection was accepted.
        var open = await QueueAsync(app, instance, $"https://127.0.0.1:{receiver.BaseAddress.Port}/cb");
        var shut = await QueueAsync(app, instance, $"https://127.0.0.1:{closedPort}/cb");

        CallbackDelivery openDelivery = null!, shutDelivery = null!;
        await Eventually.TrueAsync(async () =>
        {
            openDelivery = await app.WithDbAsync(db => db.CallbackDeliveries.AsNoTracking().SingleAsync(d => d.RequestId == open));
            shutDelivery = await app.WithDbAsync(db => db.CallbackDeliveries.AsNoTracking().SingleAsync(d => d.RequestId == shut));
            app.Time.Advance(TimeSpan.FromSeconds(1));
            return openDelivery.Attempts > 0 && shutDelivery.Attempts > 0;
        }, "an attempt at each");

        Assert.Equal("connection failed", openDelivery.LastError);
        Assert.Equal(openDelivery.LastError, shutDelivery.LastError);
        Assert.Equal((openDelivery.Status, openDelivery.LastStatusCode), (shutDelivery.Status, shutDelivery.LastStatusCode));
    }

    private string[] LoopbackUrls() =>
    [
        $"http://127.0.0.1:{receiver.BaseAddress.Port}/literal-v4",
        $"http://[::1]:{receiverV6.BaseAddress.Port}/literal-v6",
        $"http://receiver.test:{receiver.BaseAddress.Port}/name-v4",
        $"http://v6.receiver.test:{receiverV6.BaseAddress.Port}/name-v6",
    ];

    /// <summary>Queues a callback to <paramref name="url"/> as if a request had just ended (the URL already passed generate-link).</summary>
    private static async Task<Guid> QueueAsync(PasslineApp app, TestInstance instance, string url)
    {
        var link = await LinkFlow.GenerateAsync(instance);
        await app.WithDbAsync(db => db.OtpRequests.Where(r => r.Id == link.Uuid).ExecuteUpdateAsync(s => s.SetProperty(r => r.CallbackFailed, url)));
        await app.Services.GetRequiredService<RequestWork>().RunAsync(lifecycle => lifecycle.CancelAsync(link.Uuid), CancellationToken.None);
        return link.Uuid;
    }

    private static Task<CallbackDelivery> SettledAsync(PasslineApp app, Guid requestId) =>
        app.WithDbAsync(async db =>
        {
            CallbackDelivery? delivery = null;
            await Eventually.TrueAsync(async () =>
            {
                delivery = await db.CallbackDeliveries.AsNoTracking().SingleAsync(d => d.RequestId == requestId);
                if (delivery.Status == "pending")
                {
                    app.Time.Advance(TimeSpan.FromSeconds(1)); // the worker polls every second
                }

                return delivery.Status != "pending";
            }, "the delivery to settle");
            return delivery!;
        });

    [Fact]
    public async Task LoopbackPrivateAndLinkLocalAddressesAreRefusedAtConnectTime()
    {
        await using var app = App(allowPrivate: false);
        var instance = await app.CreateInstanceAsync();
        string[] refused =
        [
            .. LoopbackUrls(),
            "https://10.0.0.1/cb",
            "https://169.254.169.254/latest/meta-data",
            "https://metadata.test/cb",
            "https://[::ffff:127.0.0.1]/cb",
            "https://0.0.0.0/cb",
        ];

        foreach (var url in refused)
        {
            var delivery = await SettledAsync(app, await QueueAsync(app, instance, url));
            Assert.Equal("failed", delivery.Status);
            Assert.Contains("refused", delivery.LastError);
            Assert.Null(delivery.LastStatusCode);
            var attempt = await app.WithDbAsync(db => db.CallbackAttempts.SingleAsync(a => a.DeliveryId == delivery.Id));
            Assert.Equal("gave_up", attempt.Outcome);
        }

        Assert.Empty(receiver.Received);
        Assert.Empty(receiverV6.Received);
    }

    [Fact]
    public async Task LoopbackIsDeliveredWhenPrivateNetworksAreAllowed()
    {
        await using var app = App(allowPrivate: true);
        var instance = await app.CreateInstanceAsync();

        foreach (var url in LoopbackUrls())
        {
            var delivery = await SettledAsync(app, await QueueAsync(app, instance, url));
            Assert.Equal(("delivered", 200), (delivery.Status, delivery.LastStatusCode));
        }

        Assert.Equal(["/literal-v4", "/name-v4"], receiver.Received.Select(r => r.Path));
        Assert.Equal(["/literal-v6", "/name-v6"], receiverV6.Received.Select(r => r.Path));
    }

    [Fact]
    public async Task GenerateLinkRefusesLiteralPrivateAddressesButDoesNotResolveNames()
    {
        await using var app = App(allowPrivate: false);
        var instance = await app.CreateInstanceAsync();
        var client = instance.Client();

        var literal = await client.PostAsync(instance.Api("generate-link"), Json.Body("""{"callback": {"success": "https://127.0.0.1/cb"}}"""));
        var name = await client.PostAsync(instance.Api("generate-link"), Json.Body("""{"callback": {"success": "https://metadata.test/cb"}}"""));
        var unresolvable = await client.PostAsync(instance.Api("generate-link"), Json.Body("""{"callback": {"success": "https://no-such-host.invalid/cb"}}"""));
        var example = await client.PostAsync(instance.Api("generate-link"), Json.Body("""{"callback": {"success": "https://yourdomain.com/callback/success", "failed": "https://yourdomain.com/callback/failed"}}"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, literal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, name.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unresolvable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, example.StatusCode);
    }

    [Fact]
    public async Task RedirectsAreNotFollowed()
    {
        receiver.Then(new Answer(302, "", new Dictionary<string, string> { ["Location"] = "/elsewhere" }));
        await using var app = App(allowPrivate: true);
        var instance = await app.CreateInstanceAsync();

        var requestId = await QueueAsync(app, instance, new Uri(receiver.BaseAddress, "/cb").ToString());
        await app.AdvanceUntilAsync(() => receiver.Received.Count >= 1, TimeSpan.FromSeconds(1), "the attempt");
        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.CallbackAttempts.AnyAsync()), "the attempt");

        Assert.Equal(["/cb"], receiver.Received.Select(r => r.Path));
        var delivery = await app.WithDbAsync(db => db.CallbackDeliveries.SingleAsync(d => d.RequestId == requestId));
        Assert.Equal(("pending", 302), (delivery.Status, delivery.LastStatusCode));
    }
}
