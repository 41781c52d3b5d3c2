using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Callbacks;
using Passline.Client;
using Passline.Instances;
using Passline.Outbox;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Callbacks;

/// <summary>
/// Signed durable callbacks (SPEC 7), received by a loopback server that checks the signature with this test's own
/// HMAC code and with the client library's verifier.
/// </summary>
public sealed class CallbackTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private PasslineApp app = null!;
    private LoopbackServer receiver = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });
        receiver = await LoopbackServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await receiver.DisposeAsync();
        await database.DisposeAsync();
    }

    private string Url(string path) => new Uri(receiver.BaseAddress, path).ToString();

    private async Task<(TestInstance Instance, Created Link, string Secret)> LinkWithCallbacksAsync(string extra = "")
    {
        var instance = await app.CreateInstanceAsync(name: "Acme", redirectOrigins: ["https://app.example.com"]);
        var secret = await app.WithDbAsync(db => db.Instances.Where(i => i.Id == instance.Id).Select(i => i.WebhookSecret).SingleAsync());
        var link = await GenerateAsync(instance, $$"""{"callback": {"success": "{{Url("/ok")}}", "failed": "{{Url("/failed")}}"}{{extra}}}""");
        return (instance, link, secret);
    }

    /// <summary>Standard Webhooks verification written from the specification, independently of Passline's code.</summary>
    private static bool IndependentlyValid(ReceivedRequest request, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signed)));
        return request.Headers["webhook-signature"].Split(' ').Contains(expected);
    }

    private void AssertSigned(ReceivedRequest request, string secret)
    {
        Assert.True(IndependentlyValid(request, secret), "signature does not verify");
        var verifier = new CallbackVerifier(secret, timeProvider: app.Time);
        Assert.True(verifier.IsValid(request.Body, request.Headers["webhook-id"], request.Headers["webhook-timestamp"], request.Headers["webhook-signature"]));
        Assert.False(IndependentlyValid(request with { Body = request.Body.Replace("\"status\"", "\"Status\"", StringComparison.Ordinal) }, secret));
    }

    [Fact]
    public async Task VerifiedRequestSendsOneSignedSuccessCallback()
    {
        var (instance, link, secret) = await LinkWithCallbacksAsync();
        await SimulatorSendAsync(instance, Message(link.Code));
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()));

        var callback = Assert.Single(await receiver.WaitForAsync());
        Assert.Equal(("POST", "/ok"), (callback.Method, callback.Path));
        Assert.StartsWith("application/json", callback.Headers["Content-Type"]);
        AssertSigned(callback, secret);
        var body = JsonNode.Parse(callback.Body)!.AsObject();
        Assert.Equal(["uuid", "code", "chat_id", "status", "verified_at", "phone", "user_id", "otp_type", "reason"], body.Select(p => p.Key));
        Assert.Equal(link.Uuid.ToString(), body["uuid"]!.GetValue<string>());
        Assert.Equal(link.Code, body["code"]!.GetValue<string>());
        Assert.Equal("201063178738@c.us", body["chat_id"]!.GetValue<string>());
        Assert.Equal("verified", body["status"]!.GetValue<string>());
        Assert.Equal(Passline.Api.ApiJson.Timestamp(app.Time.GetUtcNow()), body["verified_at"]!.GetValue<string>());
        Assert.Equal("+201063178738", body["phone"]!.GetValue<string>());
        Assert.Equal("link", body["otp_type"]!.GetValue<string>());
        Assert.Null(body["reason"]);
        Assert.Contains("\"phone\":\"+201063178738\"", callback.Body, StringComparison.Ordinal); // as written, not "\u002B2010..."

        var client = new PasslineClient(app.Client(), instance.Id, instance.Token);
        await Eventually.TrueAsync(async () => (await client.GetRequestAsync(link.Uuid)).Callback?.Status == "delivered", "the delivery to be recorded");
        var state = (await client.GetRequestAsync(link.Uuid)).Callback!;
        Assert.Equal((1, 200), (state.Attempts, state.LastStatusCode));
    }

    [Theory]
    [InlineData("declined")]
    [InlineData("cancelled")]
    [InlineData("wrong_sender")]
    [InlineData("expired")]
    public async Task EndingWithoutVerificationSendsOneFailedCallback(string how)
    {
        var (instance, link, secret) = await LinkWithCallbacksAsync(how == "wrong_sender" ? """, "chatId": "201063178738" """ : "");
        switch (how)
        {
            case "declined":
                await SimulatorSendAsync(instance, Message(link.Code));
                await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()), "decline");
                break;
            case "cancelled":
                await new PasslineClient(app.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);
                break;
            case "wrong_sender":
                await SimulatorSendAsync(instance, Message(link.Code), from: "201555555555");
                break;
            case "expired":
                app.Time.Advance(TimeSpan.FromMinutes(30));
                await app.AdvanceUntilAsync(() => receiver.Received.Count >= 1, TimeSpan.FromSeconds(5), "the sweeper");
                break;
        }

        var callback = Assert.Single(await receiver.WaitForAsync());
        Assert.Equal("/failed", callback.Path);
        AssertSigned(callback, secret);
        var body = JsonNode.Parse(callback.Body)!;
        Assert.Equal(how == "expired" ? "expired" : "failed", body["status"]!.GetValue<string>());
        Assert.Equal(how == "expired" ? null : how, body["reason"]?.GetValue<string>());
        Assert.Null(body["verified_at"]);

        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.CallbackDeliveries.AnyAsync(d => d.RequestId == link.Uuid && d.Status == "delivered")), "delivery");
        app.Time.Advance(TimeSpan.FromHours(1));
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task ACallbackWhoseRecordingMeetsAPassingDatabaseFailureIsStillDeliveredOnce()
    {
        // Recording the delivery fails once, as a dropped connection would; the unit of work runs again from its start
        // and must still mark the callback delivered, or it goes again when its lease runs out.
        var failing = new FailingCommands("callback_attempts");
        await using var flaky = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" },
            services => services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(failing));
        var instance = await flaky.CreateInstanceAsync(name: "Acme");
        var link = await GenerateAsync(instance, $$$"""{"callback": {"failed": "{{{Url("/failed")}}}"}}""");
        await new PasslineClient(flaky.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);

        await receiver.WaitForAsync(1);
        await Eventually.TrueAsync(async () => await flaky.WithDbAsync(db => db.CallbackAttempts.CountAsync()) == 1, "the attempt to be recorded");
        var delivery = await flaky.WithDbAsync(db => db.CallbackDeliveries.AsNoTracking().SingleAsync(d => d.RequestId == link.Uuid));
        Assert.Equal(1, failing.Failed);
        Assert.Equal(("delivered", 1, (DateTimeOffset?)null), (delivery.Status, delivery.Attempts, delivery.LockedUntil));

        // Well past the claim's lease: nothing goes again.
        flaky.Time.Advance(TimeSpan.FromMinutes(5));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task CallbackIsRetriedUntilReceiverRecovers()
    {
        receiver.Then(new Answer(503), new Answer(500), new Answer(404), new Answer(502));
        var (instance, link, secret) = await LinkWithCallbacksAsync();
        await new PasslineClient(app.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);

        await receiver.WaitForAsync(1);
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            var seen = attempt - 1;
            await app.AdvanceUntilAsync(() => receiver.Received.Count > seen, TimeSpan.FromSeconds(10), $"attempt {attempt}");
        }

        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.CallbackAttempts.CountAsync()) == 5, "five attempts recorded");

        var attempts = receiver.Received;
        Assert.Equal(5, attempts.Count);
        Assert.Single(attempts.Select(a => a.Headers["webhook-id"]).Distinct());
        Assert.StartsWith("msg_", attempts[0].Headers["webhook-id"]);
        Assert.Single(attempts.Select(a => a.Body).Distinct());
        // Each attempt is signed anew, with its own timestamp; the client's verifier also checks that it is fresh.
        Assert.All(attempts, a => Assert.True(IndependentlyValid(a, secret)));
        Assert.Equal(5, attempts.Select(a => a.Headers["webhook-timestamp"]).Distinct().Count());
        AssertSigned(attempts[^1], secret);

        var delivery = await app.WithDbAsync(db => db.CallbackDeliveries.SingleAsync(d => d.RequestId == link.Uuid));
        Assert.Equal(("delivered", 5), (delivery.Status, delivery.Attempts));
        Assert.Equal([503, 500, 404, 502, 200], await app.WithDbAsync(db =>
            db.CallbackAttempts.Where(a => a.DeliveryId == delivery.Id).OrderBy(a => a.Id).Select(a => a.StatusCode).ToListAsync()));
    }

    [Fact]
    public async Task CallbackSurvivesARestart()
    {
        var (instance, link, _) = await LinkWithCallbacksAsync();
        receiver.Then(new Answer(500));
        await new PasslineClient(app.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);
        await receiver.WaitForAsync(1);
        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.CallbackAttempts.CountAsync()) == 1, "the failed attempt");
        await app.DisposeAsync();

        app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });
        await app.AdvanceUntilAsync(() => receiver.Received.Count >= 2, TimeSpan.FromSeconds(10), "the retry after the restart");

        var received = receiver.Received;
        Assert.Equal(received[0].Headers["webhook-id"], received[1].Headers["webhook-id"]);
    }

    [Fact]
    public async Task GoneStopsRetries()
    {
        receiver.Then(new Answer(410));
        var (instance, link, _) = await LinkWithCallbacksAsync();
        await new PasslineClient(app.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);

        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.CallbackDeliveries.AnyAsync(d => d.RequestId == link.Uuid && d.Status == "failed")), "giving up");
        app.Time.Advance(TimeSpan.FromDays(2));
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task RetriesGoOnForADayThenStop()
    {
        receiver.Respond = _ => new Answer(503);
        var (instance, link, _) = await LinkWithCallbacksAsync();
        await new PasslineClient(app.Client(), instance.Id, instance.Token).CancelAsync(link.Uuid);
        var start = app.Time.GetUtcNow();
        Task<int> Recorded() => app.WithDbAsync(db => db.CallbackAttempts.CountAsync());
        Task<string> Status() => app.WithDbAsync(db => db.CallbackDeliveries.Where(d => d.RequestId == link.Uuid).Select(d => d.Status).SingleAsync());
        await Eventually.TrueAsync(async () => await Recorded() == 1, "the first attempt");

        while (await Status() == "pending")
        {
            // Advance only once the last attempt is recorded: time jumps while an attempt is in flight are not what a clock does.
            var recorded = await Recorded();
            await app.AdvanceUntilAsync(async () => await Recorded() > recorded, TimeSpan.FromMinutes(10), "the next attempt");
            Assert.True(app.Time.GetUtcNow() - start < TimeSpan.FromHours(30), "still retrying after 30 hours");
        }

        var delivery = await app.WithDbAsync(db => db.CallbackDeliveries.SingleAsync(d => d.RequestId == link.Uuid));
        Assert.Equal("failed", delivery.Status);
        Assert.True(delivery.LastAttemptAt - start >= TimeSpan.FromHours(24), $"last attempt after {delivery.LastAttemptAt - start}");
    }
}
