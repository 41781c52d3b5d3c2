using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// The hot paths' reads (<see cref="RowReads"/>) turn columns into properties themselves: the request they give must be
/// exactly what an EF Core query gives, property for property (converters, encrypted columns, nulls), or a page would
/// show, and a transition decide on, something else than what is stored.
/// </summary>
public sealed class RowReadsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    /// <param name="everyColumnSet">A value in every column; else only the required ones, the rest null.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARowReadOnTheHotPathIsTheRowEfCoreReads(bool everyColumnSet)
    {
        var instance = await App.CreateInstanceAsync();
        var name = $"Row reads test {everyColumnSet}";
        var stored = everyColumnSet
            ? RowInsertsTests.EveryColumnSet(instance.Id, name)
            : new OtpRequest { Id = Guid.CreateVersion7(), InstanceId = instance.Id, OtpType = OtpTypes.Code, Code = "", Name = name };
        await App.WithDbAsync(db =>
        {
            db.OtpRequests.Add(stored);
            return db.SaveChangesAsync();
        });

        var (byEfCore, byRowReads, all) = await App.WithDbAsync(async db => (
            await db.OtpRequests.AsNoTracking().SingleAsync(r => r.Name == name),
            await db.ReadFirstAsync<OtpRequest>("SELECT * FROM otp_requests WHERE name = @name",
                [db.Parameter<OtpRequest>(nameof(OtpRequest.Name), "name", name)], CancellationToken.None),
            await db.ReadAsync<OtpRequest>("SELECT * FROM otp_requests WHERE instance_id = @instance",
                [db.Parameter<OtpRequest>(nameof(OtpRequest.InstanceId), "instance", instance.Id)], CancellationToken.None)));

        Assert.Equal(stored.Id, Assert.Single(all).Id);
        AssertSame(byEfCore, byRowReads, minimum: 30, everyColumnSet);
    }

    [Fact]
    public async Task AnEncryptedColumnReadOnTheHotPathIsDecrypted()
    {
        var instance = await App.CreateInstanceAsync();
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        var stored = new OutboundMessage
        {
            Id = Guid.CreateVersion7(),
            InstanceId = instance.Id,
            Status = OutboundStatuses.Sent,
            ChatId = "15550001111@c.us",
            Text = "Open https://example.test/v/secret",
            Kind = OutboundKinds.Text,
            Code = "123456",
            Link = "https://example.test/v/secret",
            CreatedAt = now,
            NextAttemptAt = now,
            SentAt = now.AddSeconds(1),
            Attempts = 1,
        };
        await App.WithDbAsync(db =>
        {
            db.OutboundMessages.Add(stored);
            return db.SaveChangesAsync();
        });

        var (byEfCore, byRowReads, inTable) = await App.WithDbAsync(async db =>
        {
            DbParameter Id() => db.Parameter<OutboundMessage>(nameof(OutboundMessage.Id), "id", stored.Id);
            return (
                await db.OutboundMessages.AsNoTracking().SingleAsync(m => m.Id == stored.Id),
                await db.ReadFirstAsync<OutboundMessage>("SELECT * FROM outbound_messages WHERE id = @id", [Id()], CancellationToken.None),
                await db.Database.SqlQueryRaw<string>("SELECT text AS \"Value\" FROM outbound_messages WHERE id = @id", Id()).SingleAsync());
        });

        Assert.DoesNotContain("secret", inTable, StringComparison.Ordinal);
        Assert.Equal(stored.Text, byRowReads!.Text);
        AssertSame(byEfCore, byRowReads, minimum: 15);
    }

    private static void AssertSame<T>(T expectedRow, T? actualRow, int minimum, bool noneNull = false) where T : class
    {
        Assert.NotNull(actualRow);
        var properties = typeof(T).GetProperties().Where(p => p.CanWrite).ToList();
        Assert.True(properties.Count >= minimum, $"only {properties.Count} properties compared");
        foreach (var property in properties)
        {
            var expected = property.GetValue(expectedRow);
            var actual = property.GetValue(actualRow);
            Assert.True(Equals(expected, actual) || (expected is byte[] a && actual is byte[] b && a.SequenceEqual(b)),
                $"{property.Name}: EF Core read {expected ?? "null"}, the hot path {actual ?? "null"}");
            if (noneNull)
            {
                Assert.NotNull(actual);
            }
        }
    }
}
