using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Passline.Outbox;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Channels;

/// <summary>The durable outbox (SPEC 5): retries, giving up, Retry-After, and surviving a restart. Time is advanced, never slept.</summary>
public sealed class OutboundDeliveryTests : IAsyncLifetime
{
    private const string WahaHmac = "hmac";
    private TestDatabase database = null!;
    private PasslineApp app = null!;
    private LoopbackServer waha = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        app = new PasslineApp(database);
        waha = await LoopbackServer.StartAsync();
        waha.Respond = _ => new Answer(201, """{"id": "true_1@c.us_X"}""");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await waha.DisposeAsync();
        await database.DisposeAsync();
    }

    private Task<TestInstance> WahaInstanceAsync(PasslineApp on) => on.CreateInstanceAsync(name: "Acme", provider: "waha", settings: s =>
    {
        s.WahaUrl = waha.BaseAddress.ToString();
        s.WahaHmacKey = WahaHmac;
        s.WahaApiKey = "key";
    });

    private async Task<Created> SendCodeAsync(PasslineApp on, TestInstance instance)
    {
        var link = await GenerateAsync(instance);
        var response = await on.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code)), WahaHmac));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return link;
    }

    private Task<Passline.Outbox.OutboundMessage> MessageAsync(Guid requestId) =>
        app.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.RequestId == requestId));

    private Task<List<Passline.Outbox.OutboundAttempt>> AttemptsAsync(Guid messageId) =>
        app.WithDbAsync(db => db.OutboundAttempts.AsNoTracking().Where(a => a.MessageId == messageId).OrderBy(a => a.Id).ToListAsync());

    [Fact]
    public async Task AnAttemptRecordedAfterAPassingDatabaseFailureCountsOnce()
    {
        // Recording the first attempt fails once, as a dropped connection would; the unit of work runs again from its start.
        var failing = new FailingCommands("outbound_attempts");
        await using var flaky = new PasslineApp(database, services: services => services.AddSingleton<IInterceptor>(failing));
        waha.Then(new Answer(500, """{"error": "boom"}"""));
        var instance = await WahaInstanceAsync(flaky);
        var link = await SendCodeAsync(flaky, instance);

        await waha.WaitForAsync(1);
        Task<OutboundMessage> MessageAsync() => flaky.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.RequestId == link.Uuid));
        await Eventually.TrueAsync(async () => (await MessageAsync()).Attempts > 0, "the first attempt to be recorded");
        var waiting = await MessageAsync();
        Assert.Equal(1, failing.Failed);
        Assert.Equal((1, "pending"), (waiting.Attempts, waiting.Status));
        var attempts = await flaky.WithDbAsync(db => db.OutboundAttempts.AsNoTracking().Where(a => a.MessageId == waiting.Id).ToListAsync());
        Assert.Equal([500], attempts.Select(a => a.StatusCode));
        // The backoff of a first attempt (1-2 s), not of a second one.
        Assert.InRange(waiting.NextAttemptAt - flaky.Time.GetUtcNow(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ProviderErrorIsRetriedUntilItAccepts()
    {
        waha.Then(new Answer(500, """{"error": "boom"}"""));
        var instance = await WahaInstanceAsync(app);
        var link = await SendCodeAsync(app, instance);

        await waha.WaitForAsync(1);
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Attempts == 1, "the first attempt to be recorded");
        var waiting = await MessageAsync(link.Uuid);
        Assert.Equal("pending", waiting.Status);
        Assert.InRange(waiting.NextAttemptAt - app.Time.GetUtcNow(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        await app.AdvanceUntilAsync(() => waha.Received.Count >= 2, TimeSpan.FromSeconds(1), "the retry");
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "sent", "the message to be sent");
        var sent = await MessageAsync(link.Uuid);
        Assert.Equal(2, sent.Attempts);
        Assert.Equal([500, 201], (await AttemptsAsync(sent.Id)).Select(a => a.StatusCode));
        Assert.Equal(2, waha.Received.Count);
    }

    [Fact]
    public async Task PermanentClientErrorIsGivenUpAndRecorded()
    {
        waha.Then(new Answer(400, """{"error": "chatId is invalid"}"""));
        var instance = await WahaInstanceAsync(app);
        var link = await SendCodeAsync(app, instance);

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "failed", "giving up");

        var message = await MessageAsync(link.Uuid);
        Assert.Equal("HTTP 400 Bad Request", message.LastError);
        var attempt = Assert.Single(await AttemptsAsync(message.Id));
        Assert.Equal((400, "gave_up"), (attempt.StatusCode, attempt.Outcome));

        app.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Single(waha.Received);
    }

    /// <summary>
    /// While its session is not WORKING (reconnecting, starting), WAHA waits 5 s for it and then refuses with a 422 of
    /// its own shape (<c>SessionManager.waitUntilStatus</c>): the session will be back, so the message waits for it.
    /// </summary>
    [Fact]
    public async Task WahaSessionNotReadyIsRetriedUntilTheSessionWorks()
    {
        waha.Then(new Answer(422, """
            {"error": "Session status is not as expected. Try again later or restart the session", "session": "default", "status": "STARTING", "expected": ["WORKING"]}
            """));
        var instance = await WahaInstanceAsync(app);
        var link = await SendCodeAsync(app, instance);

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Attempts == 1, "the first attempt to be recorded");
        var waiting = await MessageAsync(link.Uuid);
        Assert.Equal(("pending", "HTTP 422 session STARTING, not WORKING"), (waiting.Status, waiting.LastError));
        var refused = Assert.Single(await AttemptsAsync(waiting.Id));
        Assert.Equal((422, "retry", "HTTP 422 session STARTING, not WORKING"), (refused.StatusCode, refused.Outcome, refused.Error));

        await app.AdvanceUntilAsync(() => waha.Received.Count >= 2, TimeSpan.FromSeconds(1), "the retry");
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "sent", "the message to be sent");
        Assert.Equal([422, 201], (await AttemptsAsync(waiting.Id)).Select(a => a.StatusCode));
    }

    /// <summary>Any other 422 (here NestJS's shape for WAHA's other refusals) is the request's fault, and permanent.</summary>
    [Fact]
    public async Task AnotherWaha422IsGivenUp()
    {
        waha.Then(new Answer(422, """{"message": "Chat not found", "error": "Unprocessable Entity", "statusCode": 422}"""));
        var instance = await WahaInstanceAsync(app);
        var link = await SendCodeAsync(app, instance);

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "failed", "giving up");

        var message = await MessageAsync(link.Uuid);
        Assert.Equal("HTTP 422 Unprocessable Entity", message.LastError);
        Assert.Equal("gave_up", Assert.Single(await AttemptsAsync(message.Id)).Outcome);
        app.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Single(waha.Received);
    }

    [Fact]
    public async Task RetryAfterIsHonoured()
    {
        waha.Then(new Answer(429, """{"error": "slow down"}""", new Dictionary<string, string> { ["Retry-After"] = "120" }));
        var instance = await WahaInstanceAsync(app);
        var link = await SendCodeAsync(app, instance);
        var limitedAt = app.Time.GetUtcNow();

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Attempts == 1, "the throttled attempt");
        Assert.Equal(limitedAt.AddSeconds(120), (await MessageAsync(link.Uuid)).NextAttemptAt);

        app.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Single(waha.Received);
        Assert.Equal("pending", (await MessageAsync(link.Uuid)).Status);

        await app.AdvanceUntilAsync(async () => (await MessageAsync(link.Uuid)).Status == "sent", TimeSpan.FromSeconds(1), "the retry after 120 s");
        Assert.Equal(2, waha.Received.Count);
    }

    [Fact]
    public async Task TimeoutsAndRefusedConnectionsAreRetried()
    {
        var instance = await app.CreateInstanceAsync(provider: "waha", settings: s =>
        {
            s.WahaUrl = "http://127.0.0.1:1"; // nothing listens on port 1
            s.WahaHmacKey = WahaHmac;
        });
        var link = await SendCodeAsync(app, instance);

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Attempts >= 1, "a failed attempt");
        var message = await MessageAsync(link.Uuid);
        Assert.Equal("pending", message.Status);
        Assert.Equal("retry", (await AttemptsAsync(message.Id))[0].Outcome);
        Assert.Null((await AttemptsAsync(message.Id))[0].StatusCode);
    }

    [Fact]
    public async Task ReplyStoredBeforeAStopIsSentAfterTheRestart()
    {
        Created link;
        var stopped = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Workers:Enabled"] = "false" });
        await using (stopped)
        {
            var instance = await WahaInstanceAsync(stopped);
            link = await SendCodeAsync(stopped, instance);
            Assert.Equal("pending", (await stopped.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.RequestId == link.Uuid))).Status);
        }

        Assert.Empty(waha.Received);

        // The fixture's app, over the same database, is the restarted Passline: its worker finds the stored reply.
        await app.AdvanceUntilAsync(() => waha.Received.Count >= 1, TimeSpan.FromSeconds(1), "the reply after the restart");
        var sent = Assert.Single(waha.Received);
        Assert.Contains("/v/", sent.Body, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "sent", "the reply after the restart");
    }
}
