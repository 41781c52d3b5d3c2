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
            _ => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound),
        });
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
        services => services.AddSingleton<CallbackResolver>(new FixedResolver()));

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
