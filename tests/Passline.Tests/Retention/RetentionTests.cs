using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Inbound;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Requests;
using Passline.Retention;
using Passline.Tests.Infrastructure;
using Passline.Tests.Instances;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Retention;

/// <summary>
/// SPEC 8 <c>Passline:Retention:Days</c> and <c>purge</c>: ended requests and what is attached to them are deleted after
/// the period, no phone number outlives it, and <c>/stats</c> keeps the deleted period's figures (hourly aggregates).
/// Alone in the metrics collection: one test reads the retention counter at <c>/metrics</c>.
/// </summary>
[Collection(Monitoring.MetricsCollection.Name)]
public sealed class RetentionTests
{
    // Distinct numbers, so that finding one in a dump means that one row.
    private const string VerifiedPhone = "201500000011";
    private const string DeclinedPhone = "201500000022";
    private const string ValidatedPhone = "201500000033";
    private const string WrongCodePhone = "201500000044";
    private const string UnknownCodePhone = "201500000055";
    private const string IdentityPhone = "+201500000066";
    private const string IdentityUserId = "185103487680637@lid";
    private const string YoungVerifiedPhone = "201500000077";
    private const string YoungOpenPhone = "201500000088";

    [Fact]
    public async Task WorkerDeletesWhatIsDueAndNothingElseAndStatsOfTheDeletedPeriodStayTheSame()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });
        await using var receiver = await LoopbackServer.StartAsync();
        var instance = await app.CreateInstanceAsync(name: "Acme");

        // The old period (2025-12-29 17:44 to 17:47 UTC): every kind of request, message, callback and identity.
        var callback = new JsonObject { ["callback"] = new JsonObject { ["success"] = new Uri(receiver.BaseAddress, "/cb").ToString() } };
        var verified = await GenerateAsync(instance, callback.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync($"/l/{verified.Uuid}")).StatusCode);
        var declined = await GenerateAsync(instance);
        var expired = await GenerateAsync(instance, """{"expires": 60}""");
        var validatedCode = await RequestCodeAsync(instance, ValidatedPhone);
        var wrongCode = await RequestCodeAsync(instance, WrongCodePhone, expires: 60);
        await app.WithDbAsync(async db =>
        {
            db.KnownIdentities.Add(new KnownIdentity { InstanceId = instance.Id, UserId = IdentityUserId, Phone = IdentityPhone, ResolvedAt = app.Time.GetUtcNow() });
            return await db.SaveChangesAsync();
        });

        app.Time.Advance(TimeSpan.FromSeconds(42));
        await SimulatorSendAsync(instance, Message(verified.Code), from: VerifiedPhone);
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance, $"{VerifiedPhone}@c.us")).Single()));
        await SimulatorSendAsync(instance, Message(declined.Code), from: DeclinedPhone);
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance, $"{DeclinedPhone}@c.us")).Single()), "decline");
        await SimulatorSendAsync(instance, Message("QQQQQQQQ"), from: UnknownCodePhone);
        await SimulatorOutboxAsync(instance, $"{UnknownCodePhone}@c.us");
        await ValidateAsync(instance, ValidatedPhone, validatedCode.Code, HttpStatusCode.OK);
        await ValidateAsync(instance, WrongCodePhone, wrongCode.Code == "111111" ? "222222" : "111111", HttpStatusCode.UnprocessableEntity);
        await app.AdvanceUntilAsync(async () => (await RequestAsync(app, expired.Uuid)).EndedAt is not null
            && (await RequestAsync(app, wrongCode.Uuid)).EndedAt is not null, TimeSpan.FromSeconds(5), "the sweeper");
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Count == 1), "the callback");
        var oldIds = new[] { verified.Uuid, declined.Uuid, expired.Uuid, validatedCode.Uuid, wrongCode.Uuid };

        // Read while the hour is live, then once it is stored, then once its rows are deleted: the same figures.
        var oldPeriod = instance.Api("stats?from=2025-12-29T16:00:00Z&to=2025-12-29T20:00:00Z");
        var live = await StatsAsync(instance, oldPeriod);
        Assert.Equal((3, 1, 1, 1, 2), (Int(live, "links_generated"), Int(live, "link_clicks"), Int(live, "verified"), Int(live, "failed"), Int(live, "codes_requested")));
        Assert.Equal((1, 2, 3, 2), (Int(live, "validated"), Int(live, "expired"), Int(live, "messages_received"), Int(live, "failed_attempts")));
        Assert.Equal(42, live["mean_time_to_verification_seconds"]!.GetValue<double>());
        Assert.Equal(42, live["p95_time_to_verification_seconds"]!.GetValue<double>());
        Assert.Equal(Summarized(null), await SummarizedUntilAsync(app));

        await app.AdvanceUntilAsync(async () => await SummarizedUntilAsync(app) == Summarized(18), TimeSpan.FromMinutes(1), "the hour to be stored");
        Assert.Equal(live.ToJsonString(), (await StatsAsync(instance, oldPeriod)).ToJsonString());
        Assert.Equal(5, await app.WithDbAsync(db => db.OtpRequests.CountAsync(r => r.InstanceId == instance.Id)));

        // 31 days on: a young verified request and an open one; then the worker's next round.
        app.Time.Advance(TimeSpan.FromDays(31));
        var young = await GenerateAsync(instance);
        var open = await GenerateAsync(instance, $$"""{"chatId": "{{YoungOpenPhone}}"}""");
        await SimulatorSendAsync(instance, Message(young.Code), from: YoungVerifiedPhone);
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance, $"{YoungVerifiedPhone}@c.us")).Single()));
        await app.AdvanceUntilAsync(() => app.WithDbAsync(async db => !await db.OtpRequests.AnyAsync(r => oldIds.Contains(r.Id))
            && !await db.KnownIdentities.AnyAsync()), TimeSpan.FromMinutes(1), "the old rows to be deleted");

        var left = await app.WithDbAsync(db => db.OtpRequests.Where(r => r.InstanceId == instance.Id).Select(r => r.Id).ToListAsync());
        Assert.Equal(new[] { young.Uuid, open.Uuid }.Order(), left.Order());
        Assert.Equal(0, await app.WithDbAsync(db => db.CallbackDeliveries.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.CallbackAttempts.CountAsync()));
        Assert.Equal([$"{YoungVerifiedPhone}@c.us"], await app.WithDbAsync(db => db.InboundMessages.Select(m => m.ChatId).ToListAsync()));
        Assert.Equal([$"{YoungVerifiedPhone}@c.us"], await app.WithDbAsync(db => db.OutboundMessages.Select(m => m.ChatId).ToListAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.OutboundAttempts.CountAsync()));

        var dump = await DatabaseDump.AllTablesAsync(app);
        Assert.All([VerifiedPhone, DeclinedPhone, ValidatedPhone, WrongCodePhone, UnknownCodePhone, IdentityPhone, IdentityUserId],
            gone => Assert.DoesNotContain(gone, dump, StringComparison.Ordinal));
        Assert.Contains(YoungVerifiedPhone, dump, StringComparison.Ordinal);
        Assert.Contains(YoungOpenPhone, dump, StringComparison.Ordinal);

        Assert.Equal(live.ToJsonString(), (await StatsAsync(instance, oldPeriod)).ToJsonString());
        var metrics = (await app.Client().GetStringAsync("/metrics")).Split('\n');
        var deletedRequests = metrics.Single(l => l.StartsWith("passline_retention_deleted_total{", StringComparison.Ordinal) && l.Contains("table=\"otp_requests\"", StringComparison.Ordinal));
        Assert.True(double.Parse(deletedRequests[(deletedRequests.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 5, deletedRequests);
        var now = await StatsAsync(instance, instance.Api($"stats?from={Uri.EscapeDataString(app.Time.GetUtcNow().AddHours(-1).ToString("O"))}"));
        Assert.Equal((2, 1, 1), (Int(now, "links_generated"), Int(now, "verified"), now["series"]!.AsArray().Sum(b => Int(b!, "pending"))));
    }

    [Fact]
    public async Task PurgeOlderThanZeroDeletesWhatIsDueAndKeepsOpenRequestsAndUnsummarizedHours()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync(name: "Acme");

        // 17:xx: a verified request, an expired one bound to a chat, an unknown code. All ended: the hour can be stored.
        var verified = await GenerateAsync(instance);
        var expired = await GenerateAsync(instance, $$"""{"chatId": "{{DeclinedPhone}}", "expires": 60}""");
        await SimulatorSendAsync(instance, Message(verified.Code), from: VerifiedPhone);
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance, $"{VerifiedPhone}@c.us")).Single()));
        await SimulatorSendAsync(instance, Message("QQQQQQQQ"), from: UnknownCodePhone);
        await SimulatorOutboxAsync(instance, $"{UnknownCodePhone}@c.us");

        // 18:xx: an open request holds its hour (and every later one) back, so the declined request of that hour stays.
        await app.AdvanceUntilAsync(() => app.Time.GetUtcNow().Hour == 18, TimeSpan.FromMinutes(1), "18:00");
        Assert.NotNull((await RequestAsync(app, expired.Uuid)).EndedAt);
        var open = await GenerateAsync(instance, $$"""{"chatId": "{{YoungOpenPhone}}"}""");
        var declined = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(declined.Code), from: ValidatedPhone);
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance, $"{ValidatedPhone}@c.us")).Single()), "decline");
        await Eventually.TrueAsync(() => app.WithDbAsync(db => db.OutboundMessages.AllAsync(m => m.Status != OutboundStatuses.Pending)), "the replies to be sent");
        var period = instance.Api("stats?from=2025-12-29T17:00:00Z&to=2025-12-29T19:00:00Z");
        var before = await StatsAsync(instance, period);

        // The command runs on the real clock, which is later than the app's: every ended request is older than 0 days.
        var output = JsonNode.Parse(await CommandLineTests.RunAsync(database, "purge", "--older-than", "0"))!;

        var deleted = output["deleted"]!;
        Assert.Equal(2, Int(deleted, "otp_requests"));
        Assert.Equal(2, Int(deleted, "inbound_messages"));
        Assert.Equal(2, Int(deleted, "outbound_messages"));
        Assert.Equal(1, Int(output["kept"]!, "unsummarized_requests"));
        Assert.Equal(1, Int(output["kept"]!, "unsummarized_inbound_messages"));
        Assert.Equal(1, Int(output["kept"]!, "open_requests"));
        Assert.Equal(Summarized(18), output["summarized_until"]!.GetValue<DateTimeOffset>());

        var left = await app.WithDbAsync(db => db.OtpRequests.Select(r => r.Id).ToListAsync());
        Assert.Equal(new[] { open.Uuid, declined.Uuid }.Order(), left.Order());
        Assert.Equal([declined.Uuid], await app.WithDbAsync(db => db.OutboundMessages.Select(m => m.RequestId).Distinct().ToListAsync()));
        var dump = await DatabaseDump.AllTablesAsync(app);
        Assert.All([VerifiedPhone, DeclinedPhone, UnknownCodePhone], gone => Assert.DoesNotContain(gone, dump, StringComparison.Ordinal));
        Assert.Contains(YoungOpenPhone, dump, StringComparison.Ordinal);
        Assert.Contains(ValidatedPhone, dump, StringComparison.Ordinal);
        Assert.Equal(before.ToJsonString(), (await StatsAsync(instance, period)).ToJsonString());
    }

    [Fact]
    public async Task MessagesStayAsLongAsTheirRequestAndGoWithIt()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync(name: "Acme");
        var sweep = app.Services.GetRequiredService<RetentionSweep>();
        var rollup = app.Services.GetRequiredService<StatsRollup>();

        // The user sends the code at once and never confirms; the business cancels the request 20 hours later.
        var request = await GenerateAsync(instance, """{"expires": 86400}""");
        await SimulatorSendAsync(instance, Message(request.Code), from: VerifiedPhone);
        await SimulatorOutboxAsync(instance, $"{VerifiedPhone}@c.us");
        app.Time.Advance(TimeSpan.FromHours(20));
        Assert.Equal(HttpStatusCode.OK, (await instance.Client().PostAsync(instance.Api($"requests/{request.Uuid}/cancel"), null)).StatusCode);
        await Eventually.TrueAsync(() => app.WithDbAsync(db => db.OutboundMessages.AllAsync(m => m.Status != OutboundStatuses.Pending)), "the reply to be sent");
        var messages = await app.WithDbAsync(async db => (await db.InboundMessages.CountAsync(), await db.OutboundMessages.CountAsync()));
        Assert.Equal(1, messages.Item1);
        Assert.True(messages.Item2 >= 1);

        // 30 days and an hour after the messages, 29 days and 5 hours after the request ended: all of it stays.
        app.Time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromHours(19));
        await rollup.RunAsync(CancellationToken.None);
        await sweep.DeleteAllAsync(app.Time.GetUtcNow().AddDays(-30), CancellationToken.None);
        Assert.True(await app.WithDbAsync(db => db.OtpRequests.AnyAsync(r => r.Id == request.Uuid)));
        Assert.Equal(messages, await app.WithDbAsync(async db => (await db.InboundMessages.CountAsync(), await db.OutboundMessages.CountAsync())));
        Assert.Contains(VerifiedPhone, await DatabaseDump.AllTablesAsync(app), StringComparison.Ordinal);

        // 30 days after the request ended: it goes, and its messages with it.
        app.Time.Advance(TimeSpan.FromHours(20));
        await rollup.RunAsync(CancellationToken.None);
        await sweep.DeleteAllAsync(app.Time.GetUtcNow().AddDays(-30), CancellationToken.None);
        Assert.Equal(0, await app.WithDbAsync(db => db.OtpRequests.CountAsync()));
        Assert.Equal((0, 0), await app.WithDbAsync(async db => (await db.InboundMessages.CountAsync(), await db.OutboundMessages.CountAsync())));
        Assert.DoesNotContain(VerifiedPhone, await DatabaseDump.AllTablesAsync(app), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoNodesStoreEachHourOnce()
    {
        await using var database = await TestDatabase.CreateAsync();
        var noWorkers = new Dictionary<string, string?> { ["Passline:Workers:Enabled"] = "false" };
        await using var first = new PasslineApp(database, noWorkers);
        await using var second = new PasslineApp(database, noWorkers);
        var instance = await first.CreateInstanceAsync(name: "Acme");

        // A cancelled request in each of six hours.
        for (var hour = 0; hour < 6; hour++)
        {
            var created = await GenerateAsync(instance);
            Assert.Equal(HttpStatusCode.OK, (await instance.Client().PostAsync(instance.Api($"requests/{created.Uuid}/cancel"), null)).StatusCode);
            first.Time.Advance(TimeSpan.FromHours(1));
        }

        second.Time.SetUtcNow(first.Time.GetUtcNow());
        var stored = await Task.WhenAll(
            first.Services.GetRequiredService<StatsRollup>().RunAsync(CancellationToken.None),
            second.Services.GetRequiredService<StatsRollup>().RunAsync(CancellationToken.None));
        stored = [.. stored, .. await Task.WhenAll(
            first.Services.GetRequiredService<StatsRollup>().RunAsync(CancellationToken.None),
            second.Services.GetRequiredService<StatsRollup>().RunAsync(CancellationToken.None))];

        Assert.Equal(6, stored.Sum());
        var hours = await first.WithDbAsync(db => db.StatsHours.AsNoTracking().ToListAsync());
        Assert.Equal(6, hours.Count);
        Assert.All(hours, h => Assert.Equal((1, 1), (h.LinksGenerated, h.LinksFailed)));
        var stats = await StatsAsync(instance, instance.Api("stats?from=2025-12-29T00:00:00Z&to=2025-12-30T00:00:00Z"));
        Assert.Equal((6, 6), (Int(stats, "links_generated"), Int(stats, "failed")));
    }

    [Fact]
    public async Task StatsPeriodsAreWholeHours()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync();

        var stats = await StatsAsync(instance, instance.Api("stats?from=2025-12-29T17:44:55Z&to=2025-12-29T18:10:00Z"));

        Assert.Equal(DateTimeOffset.Parse("2025-12-29T17:00:00Z"), stats["from"]!.GetValue<DateTimeOffset>());
        Assert.Equal(DateTimeOffset.Parse("2025-12-29T19:00:00Z"), stats["to"]!.GetValue<DateTimeOffset>());
        Assert.Equal(2, stats["series"]!.AsArray().Count);
    }

    [Fact]
    public async Task NegativeRetentionDaysStopServeAndPurge()
    {
        await using var database = await TestDatabase.CreateAsync();

        var serve = await CommandLineTests.ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0", "--Passline:Retention:Days=-1"]);
        var purge = await CommandLineTests.ExecAsync(database, ["purge", "--older-than", "-1"]);

        Assert.NotEqual(0, serve.ExitCode);
        Assert.Contains("'Days'", serve.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, purge.ExitCode);
        Assert.Contains("--older-than must be 0 to 36500 days", purge.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void P95IsWithinOnePercentOfTheTrueValue()
    {
        var times = Enumerable.Range(1, 1000).Select(i => (long)(i * 137.0)).ToList();
        var histogram = new SortedDictionary<int, long>();
        foreach (var group in times.GroupBy(Bucket))
        {
            histogram[group.Key] = group.Count();
        }

        var p95 = VerificationHistogram.Quantile(histogram, 0.95, times.Max())!.Value;

        Assert.InRange(p95, times[949] * 0.99, times[949] * 1.01);

        // The SQL of the rollup, done here: the bucket whose upper bound is the first at or above the time.
        static int Bucket(long ms) => ms <= 100 ? 0 : (int)Math.Ceiling(Math.Log(ms / 100.0) / Math.Log(1.02));
    }

    private static DateTimeOffset? Summarized(int? hour) => hour is { } h ? new DateTimeOffset(2025, 12, 29, h, 0, 0, TimeSpan.Zero) : null;

    private static Task<DateTimeOffset?> SummarizedUntilAsync(PasslineApp app) =>
        app.WithDbAsync(db => StatsRollup.SummarizedUntilAsync(db, CancellationToken.None));

    private static async Task<JsonNode> StatsAsync(TestInstance instance, string path)
    {
        var response = await instance.Client().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadObjectAsync())["data"]!;
    }

    private static int Int(JsonNode node, string name) => node[name]!.GetValue<int>();

    private static async Task<Created> RequestCodeAsync(TestInstance instance, string phone, int expires = 1800)
    {
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("request-code"), $$"""{"chatId": "{{phone}}", "expires": {{expires}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await SimulatorOutboxAsync(instance, $"{phone}@c.us");
        return new Created(Guid.Parse(body["data"]!["uuid"]!.GetValue<string>()), body["data"]!["code"]!.GetValue<string>());
    }

    private static async Task ValidateAsync(TestInstance instance, string phone, string code, HttpStatusCode expected)
    {
        var (response, _) = await instance.Client().PostJsonAsync(instance.Api("validate-code"), $$"""{"chatId": "{{phone}}", "code": "{{code}}"}""");
        Assert.Equal(expected, response.StatusCode);
    }
}
