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
        await second.AdvanceUntilAsync(() => Sends >= 2, TimeSpan.FromSeconds(1), "the second node's send");
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
