using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Passline.Instances;
using Passline.Outbox;
using Passline.Storage;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Security;

/// <summary>
/// <c>secret reencrypt</c> runs while the servers serve (README, "Rotating the secrets key"): what they change or delete
/// meanwhile must neither come back nor be lost, and no row may be left under the old key. Each test makes one such
/// change at a chosen moment of the run (<see cref="BeforeCommand"/>), on a context of its own.
/// </summary>
public sealed class SecretsReencryptionTests
{
    private static readonly Dictionary<string, string?> NoWorkers = new() { ["Passline:Workers:Enabled"] = "false" };

    [Fact]
    public async Task AMessageRedactedWhileItIsRewrittenStaysRedacted()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (instanceId, messageIds) = await SeedUnderOldKeyAsync(database, messages: 1);
        var messageId = Assert.Single(messageIds);

        // Delivered between the command's read and its write: the outbox redacts the text (OutboundMessage.Settled).
        var result = await ReencryptAsync(database, BeforeCommand.Updates("outbound_messages"), 1, db =>
            db.OutboundMessages.Where(m => m.Id == messageId)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.Text, "").SetProperty(m => m.Code, (string?)null).SetProperty(m => m.Link, (string?)null)));

        Assert.Equal(1, result.Rows["outbound_messages"]);
        await using var after = NewKeyOnly(database);
        var message = await after.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.Id == messageId));
        Assert.Equal(("", null, null), (message.Text, message.Code, message.Link));
        Assert.Equal(instanceId, message.InstanceId);
    }

    [Fact]
    public async Task ASecretRotatedWhileItIsRewrittenIsNotReverted()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (instanceId, _) = await SeedUnderOldKeyAsync(database, messages: 0);

        // `secret rotate` between the command's read and its write.
        var rotated = Secrets.NewWebhookSecret();
        var result = await ReencryptAsync(database, BeforeCommand.Updates("instances"), 1, async db =>
        {
            var instance = await db.Instances.SingleAsync(i => i.Id == instanceId);
            instance.WebhookSecret = rotated;
            return await db.SaveChangesAsync();
        });

        Assert.Equal(1, result.Rows["instances"]);
        await using var after = NewKeyOnly(database);
        var stored = await after.WithDbAsync(db => db.Instances.AsNoTracking().SingleAsync(i => i.Id == instanceId));
        Assert.Equal(rotated, stored.WebhookSecret);

        // The columns nobody changed were still rewritten: the new key alone reads them.
        Assert.Equal(("waha-key", "waha-hmac"), (stored.Settings.WahaApiKey, stored.Settings.WahaHmacKey));
    }

    [Fact]
    public async Task RowsDeletedWhilePagingLeaveNoOtherRowUnderTheOldKey()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (_, messageIds) = await SeedUnderOldKeyAsync(database, messages: 600);

        // Retention deletes the oldest rows after the first page (500 rows) was rewritten, before the second is read.
        var result = await ReencryptAsync(database, BeforeCommand.Reads("outbound_messages"), 2, async db =>
        {
            var oldest = await db.OutboundMessages.OrderBy(m => m.Id).Select(m => m.Id).Take(100).ToListAsync();
            return await db.OutboundMessages.Where(m => oldest.Contains(m.Id)).ExecuteDeleteAsync();
        });

        // Every row was gone through: the 100 before they were deleted, the other 500 after.
        Assert.Equal(600, result.Rows["outbound_messages"]);
        await using var after = NewKeyOnly(database);
        var texts = await after.WithDbAsync(db => db.OutboundMessages.AsNoTracking().Select(m => m.Text).ToListAsync());
        Assert.Equal(500, texts.Count);
        Assert.All(texts, text => Assert.StartsWith("Your code is ", text, StringComparison.Ordinal));
    }

    private static readonly string NewKey = SecretBox.NewKey();

    /// <summary>An instance with credentials and <paramref name="messages"/> waiting messages, all under the database's key.</summary>
    private static async Task<(Guid Instance, List<Guid> Messages)> SeedUnderOldKeyAsync(TestDatabase database, int messages)
    {
        await using var before = new PasslineApp(database, NoWorkers);
        var instance = await before.CreateInstanceAsync(provider: Providers.Waha, settings: s =>
        {
            s.WahaUrl = "http://127.0.0.1:9/";
            s.WahaSession = "default";
            s.WahaApiKey = "waha-key";
            s.WahaHmacKey = "waha-hmac";
        });
        var now = before.Time.GetUtcNow();
        var rows = Enumerable.Range(0, messages).Select(i => new OutboundMessage
        {
            Id = Guid.CreateVersion7(),
            InstanceId = instance.Id,
            Status = OutboundStatuses.Pending,
            ChatId = "201063178738@c.us",
            Kind = OutboundKinds.Code,
            Code = $"{i:D6}",
            Text = $"Your code is {i:D6}",
            CreatedAt = now,
            NextAttemptAt = now.AddHours(1),
        }).ToList();
        await before.WithDbAsync(db =>
        {
            db.OutboundMessages.AddRange(rows);
            return db.SaveChangesAsync();
        });
        return (instance.Id, [.. rows.Select(r => r.Id)]);
    }

    /// <summary>
    /// Runs the re-encryption with the new key in front, as a node after step 1 of the rotation would, making
    /// <paramref name="change"/> on a context of its own just before the <paramref name="nth"/> command that matches.
    /// </summary>
    private static async Task<SecretsReencryption.Result> ReencryptAsync(TestDatabase database, Func<string, bool> matches, int nth, Func<PasslineDb, Task<int>> change)
    {
        var interleave = new BeforeCommand();
        await using var rotating = new PasslineApp(database, new Dictionary<string, string?>(NoWorkers) { ["Passline:Secrets:Key"] = $"{NewKey},{database.SecretsKey}" },
            services => services.AddSingleton<IInterceptor>(interleave));
        interleave.Arm(matches, nth, async () => Assert.True(await rotating.WithDbAsync(change) > 0, "the interleaved change changed nothing"));
        var result = await rotating.WithDbAsync(db => SecretsReencryption.RunAsync(db, CancellationToken.None));
        Assert.True(interleave.Ran, "the change was not interleaved");
        return result;
    }

    private static PasslineApp NewKeyOnly(TestDatabase database) =>
        new(database, new Dictionary<string, string?>(NoWorkers) { ["Passline:Secrets:Key"] = NewKey });
}
