using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Passline.Outbox;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Operations;

/// <summary>
/// An outbox row is claimed with a lease; once the lease has run out, any worker of any node may claim it again (SPEC 8
/// "Several nodes"). Two nodes on one database, each with a clock of its own, and a WhatsApp provider that does not
/// answer until the test lets it: a send must be over before its lease is, and an attempt whose lease ran out must not
/// overwrite the record of the worker that holds the row now.
/// </summary>
public sealed class OutboxLeaseTests : IAsyncLifetime
{
    private const string WahaHmac = "hmac";
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CapturedLogs logs = new();
    private TestDatabase database = null!;
    private LoopbackServer waha = null!;
    private PasslineApp first = null!;
    private PasslineApp second = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        waha = await LoopbackServer.StartAsync();
        waha.Respond = _ => new Answer(201, """{"id": "true_1@c.us_X"}""");
        first = new PasslineApp(database, services: services => services.AddSingleton<ILoggerProvider>(logs));
        second = new PasslineApp(database);

        // The second node's clock stays behind until a test brings it level, so that the rows a test makes are not yet
        // due for it: the first node claims them, whenever the second node's workers make their first round.
        first.Time.Advance(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        // A held request would keep the provider's shutdown waiting.
        released.TrySetResult();
        await first.DisposeAsync();
        await second.DisposeAsync();
        await waha.DisposeAsync();
        await database.DisposeAsync();
    }

    private static bool IsSend(ReceivedRequest request) => request.Path.EndsWith("/api/sendText", StringComparison.Ordinal);

    private int Sends => waha.Received.Count(IsSend);

    /// <summary>Brings the second node's clock level with the first's: from now on the rows are due for it too.</summary>
    private PasslineApp SecondNodeLevel()
    {
        second.Time.SetUtcNow(first.Time.GetUtcNow());
        return second;
    }

    /// <summary>Both nodes' clocks go on together, a second at a time, up to <paramref name="seconds"/> or until <paramref name="done"/>.</summary>
    private async Task AdvanceBothAsync(int seconds, Func<bool>? done = null)
    {
        for (var i = 0; i < seconds && done?.Invoke() != true; i++)
        {
            first.Time.Advance(TimeSpan.FromSeconds(1));
            second.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
    }

    /// <summary>A link request whose reply the first node queues and sends: the user's message reaches the first node.</summary>
    private async Task<Created> ReplyQueuedOnFirstNodeAsync()
    {
        var instance = await first.CreateInstanceAsync(name: "Acme", provider: "waha", settings: s =>
        {
            s.WahaUrl = waha.BaseAddress.ToString();
            s.WahaHmacKey = WahaHmac;
        });
        var link = await GenerateAsync(instance);
        var response = await first.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code)), WahaHmac));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return link;
    }

    private Task<OutboundMessage> MessageAsync(Guid requestId) =>
        first.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.RequestId == requestId));

    private Task<List<(int? Status, string Outcome, string? Error)>> AttemptsAsync(Guid messageId) =>
        first.WithDbAsync(async db => (await db.OutboundAttempts.AsNoTracking().Where(a => a.MessageId == messageId).OrderBy(a => a.Id).ToListAsync())
            .Select(a => (a.StatusCode, a.Outcome, a.Error)).ToList());

    [Fact]
    public async Task ASendThatOutlastsItsLeaseIsGivenUpBeforeAnotherNodeSendsTheMessageAgain()
    {
        waha.Hold = request => IsSend(request) ? released.Task : null;
        var link = await ReplyQueuedOnFirstNodeAsync();
        await waha.WaitForAsync(1, IsSend);
        SecondNodeLevel();

        // The provider does not answer. Both nodes' clocks go on past the claim's minute: a minute of the nodes' time in
        // a second or two of real time, far inside the HTTP client's own 10 s.
        await AdvanceBothAsync(90, () => Sends >= 2);
        await waha.WaitForAsync(2, IsSend);

        // The message went again (a retry, on either node) only after its first send had been given up: never two at once.
        Assert.Equal(1, waha.MostHeldAtOnce);
        Assert.Single(waha.Abandoned);

        released.SetResult();
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == OutboundStatuses.Sent, "the retry to be recorded");
        var message = await MessageAsync(link.Uuid);
        Assert.Equal(2, message.Attempts);
        Assert.Equal([(null, "retry", "timed out"), (201, "delivered", null)], await AttemptsAsync(message.Id));
        Assert.Equal(2, Sends);
    }

    [Fact]
    public async Task ARowWhoseTurnInTheBatchComesTooLateForItsLeaseWaitsForTheNextClaim()
    {
        // Seventeen messages due at once, one more than a batch delivers at a time; no worker is woken for them.
        var instance = await first.CreateInstanceAsync(name: "Acme", provider: "waha", settings: s => s.WahaUrl = waha.BaseAddress.ToString());
        var now = first.Time.GetUtcNow();
        await first.WithDbAsync(db =>
        {
            db.OutboundMessages.AddRange(Enumerable.Range(0, 17).Select(i => new OutboundMessage
            {
                Id = Guid.CreateVersion7(now),
                InstanceId = instance.Id,
                ChatId = $"2010{i:D8}@c.us",
                Text = $"Message {i}",
                Kind = OutboundKinds.Text,
                Status = OutboundStatuses.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
            }));
            return db.SaveChangesAsync();
        });

        // The first node's next poll claims all of them; the provider holds the first sixteen sends for 35 s of both
        // nodes' time, so the seventeenth gets its turn 25 s before its lease runs out: too late for the longest send.
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waha.Hold = request => IsSend(request) ? slow.Task : null;
        first.Time.Advance(TimeSpan.FromSeconds(1));
        await waha.WaitForAsync(16, IsSend);
        SecondNodeLevel();
        await AdvanceBothAsync(35);

        slow.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(Sends > 16 || logs.Lines.Any(l => l.Message.Contains("waited too long", StringComparison.Ordinal))),
            "the seventeenth message's turn");
        Assert.Equal(16, Sends);

        // Its lease is given back: the next claim (of either node) sends it, once, without waiting for the lease to run out.
        await Eventually.TrueAsync(() => first.WithDbAsync(db => db.OutboundMessages.AnyAsync(m => m.Status == OutboundStatuses.Pending && m.LockedUntil == null)),
            "the lease given back");
        await AdvanceBothAsync(5, () => Sends >= 17);

        await Eventually.TrueAsync(() => first.WithDbAsync(db => db.OutboundMessages.AllAsync(m => m.Status == OutboundStatuses.Sent)), "all sent");
        Assert.Equal(17, Sends);
        Assert.Equal(17, waha.Received.Where(IsSend).Select(r => System.Text.Json.Nodes.JsonNode.Parse(r.Body)!["chatId"]!.GetValue<string>()).Distinct().Count());
        Assert.Empty(waha.Abandoned);
    }

    /// <summary>
    /// A provider that does not answer holds its instance's retries; a new message of another instance, due later than
    /// all of them and with the highest id, still goes at once rather than behind them.
    /// </summary>
    [Fact]
    public async Task ANewMessageGoesBeforeTheRetriesOfAProviderThatDoesNotAnswer()
    {
        var stuck = await first.CreateInstanceAsync(name: "Stuck", provider: "waha", settings: s => s.WahaUrl = waha.BaseAddress.ToString());
        var other = await first.CreateInstanceAsync(name: "Other", provider: "simulator");
        var now = first.Time.GetUtcNow();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waha.Hold = request => IsSend(request) ? hold.Task : null;
        OutboundMessage Row(Guid instanceId, string chatId, DateTimeOffset createdAt, DateTimeOffset dueAt, int attempts) => new()
        {
            Id = Guid.CreateVersion7(createdAt),
            InstanceId = instanceId,
            ChatId = chatId,
            Text = "Here is your link",
            Kind = OutboundKinds.Text,
            Status = OutboundStatuses.Pending,
            Attempts = attempts,
            CreatedAt = createdAt,
            NextAttemptAt = dueAt,
        };
        await first.WithDbAsync(db =>
        {
            // Due for the first node only (the second's clock is 10 s behind).
            db.OutboundMessages.AddRange(Enumerable.Range(0, 20).Select(i => Row(stuck.Id, $"2010{i:D8}@c.us", now.AddMinutes(-1), now.AddSeconds(-5), attempts: 1)));
            db.OutboundMessages.Add(Row(other.Id, "201099999999@c.us", now, now, attempts: 0));
            return db.SaveChangesAsync();
        });

        first.Time.Advance(TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(() => first.WithDbAsync(db => db.OutboundMessages.AnyAsync(m => m.InstanceId == other.Id && m.Status == OutboundStatuses.Sent)),
            "the new message to be sent while the provider holds the retries");
        hold.SetResult();

        // Its attempt was the batch's first: before any of the held sends came back (or ran into the client's timeout).
        var fresh = await first.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.InstanceId == other.Id));
        await Eventually.TrueAsync(() => first.WithDbAsync(db => db.OutboundAttempts.CountAsync(a => a.MessageId != fresh.Id).ContinueWith(t => t.Result >= 16)),
            "the held sends' attempts");
        Assert.Equal(fresh.Id, await first.WithDbAsync(db => db.OutboundAttempts.OrderBy(a => a.Id).Select(a => a.MessageId).FirstAsync()));
    }

    [Fact]
    public async Task AnAttemptRecordedAfterItsLeaseRanOutLeavesTheRecordOfTheNodeThatTookTheRow()
    {
        var firstSend = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waha.Hold = request => IsSend(request) ? firstSend.Task : null;
        var link = await ReplyQueuedOnFirstNodeAsync();
        await waha.WaitForAsync(1, IsSend);
        var id = (await MessageAsync(link.Uuid)).Id;

        // The first node stalls mid-send (a paused VM: no time passes for it). The second node's clock passes the lease;
        // it takes the row and sends the message, which the provider accepts at once.
        waha.Hold = null;
        await SecondNodeLevel().AdvanceUntilAsync(() => Sends >= 2, TimeSpan.FromSeconds(1), "the second node's send");
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == OutboundStatuses.Sent, "the second node's record");

        // The first node resumes: its send comes back refused, and it records that attempt.
        waha.Then(new Answer(500, """{"error": "boom"}"""));
        firstSend.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(logs.Lines.Any(l => Equals(l.Values.GetValueOrDefault("RowId"), id))), "the first node's record");

        var message = await MessageAsync(link.Uuid);
        Assert.Equal((OutboundStatuses.Sent, 1, (string?)null, (DateTimeOffset?)null), (message.Status, message.Attempts, message.LastError, message.LockedUntil));
        Assert.Equal([(201, "delivered", null)], await AttemptsAsync(id));
    }
}
