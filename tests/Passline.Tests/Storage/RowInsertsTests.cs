using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Requests;
using Passline.Storage;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// The hot paths' inserts (<see cref="RowInserts"/>) bind values themselves (by position on SQLite, as arrays on
/// PostgreSQL): what they store must be exactly what EF Core's <c>SaveChanges</c> stores, column for column, or queries
/// written against the model would miss those rows.
/// </summary>
public sealed class RowInsertsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    /// <param name="throughCommand">Through a command's writes (<c>purge</c>'s: on SQLite without the single writer, so the
    /// statement is prepared for the call) instead of the server's.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARowInsertedOnTheHotPathIsStoredExactlyAsSaveChangesStoresIt(bool throughCommand)
    {
        var instance = await App.CreateInstanceAsync();
        var name = $"Row inserts test {throughCommand}";
        var writes = throughCommand ? Writes.ForCommand(App.Services, TimeProvider.System) : App.Services.GetRequiredService<Writes>();

        // The same request twice, one after the other (its tokens are unique): inserted by the hot path, then by SaveChanges.
        await writes.RunStatementAsync(db => db.InsertAsync([EveryColumnSet(instance.Id, name)], CancellationToken.None), CancellationToken.None);
        var fast = await StoredAsync();
        await App.WithDbAsync(db => db.OtpRequests.Where(r => r.InstanceId == instance.Id).ExecuteDeleteAsync());
        await writes.RunAsync(work =>
        {
            work.Db.OtpRequests.Add(EveryColumnSet(instance.Id, name));
            return Task.CompletedTask;
        }, CancellationToken.None);
        var tracked = await StoredAsync();

        Assert.True(fast.Count >= 30, $"only {fast.Count} columns compared");
        Assert.Equal(tracked.Keys, fast.Keys);
        foreach (var column in fast.Keys)
        {
            Assert.True(tracked[column] == fast[column], $"{column}: SaveChanges stored {tracked[column]}, the hot path {fast[column]}");
        }

        Assert.DoesNotContain(fast.Values, value => value.StartsWith("DBNull", StringComparison.Ordinal));

        Task<Dictionary<string, string>> StoredAsync() => App.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT * FROM otp_requests WHERE name = '{name}'";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var row = Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => Shown(reader.GetValue(i)));
            Assert.False(await reader.ReadAsync());
            return row;
        });
    }

    /// <summary>The value as the database returned it, with its type: text and integer differ even when they read alike.</summary>
    private static string Shown(object value) => value switch
    {
        byte[] bytes => $"Byte[]:{Convert.ToHexString(bytes)}",
        DateTime time => $"DateTime:{time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)}",
        DateTimeOffset time => $"DateTimeOffset:{time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)}",
        _ => $"{value.GetType().Name}:{Convert.ToString(value, CultureInfo.InvariantCulture)}",
    };

    /// <summary>A request with a value in every column, set by reflection so that a column added later is compared too.</summary>
    internal static OtpRequest EveryColumnSet(Guid instanceId, string name)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        var request = new OtpRequest
        {
            Id = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)).AsSpan(0, 16)),
            InstanceId = instanceId,
            OtpType = OtpTypes.Link,
            Code = "ROWINSERTS",
            Name = name,
            Status = OtpStatus.Sent,
        };
        foreach (var property in typeof(OtpRequest).GetProperties().Where(p => p.CanWrite))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value = type switch
            {
                _ when property.Name is nameof(OtpRequest.Id) or nameof(OtpRequest.InstanceId) or nameof(OtpRequest.OtpType)
                    or nameof(OtpRequest.Code) or nameof(OtpRequest.Status) or nameof(OtpRequest.Name) => null,
                _ when type == typeof(string) => property.Name.Length > 12 ? property.Name[..12] : property.Name,
                // Unique per test case: the token hashes have unique indexes.
                _ when type == typeof(byte[]) => System.Text.Encoding.UTF8.GetBytes(property.Name + name),
                _ when type == typeof(DateTimeOffset) => now.AddMinutes(property.Name.Length),
                _ when type == typeof(int) => property.Name.Length,
                _ => throw new InvalidOperationException($"{property.Name}: no test value for {type.Name}; add one."),
            };
            if (value is not null)
            {
                property.SetValue(request, value);
            }
        }

        return request;
    }
}
