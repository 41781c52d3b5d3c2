using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// A connection whose prepared statements the server no longer holds (what a restart now and then leaves behind, see
/// <c>DbErrors.IsPreparedStatementMismatch</c>) fails every statement Npgsql prepared on it. A read outside a unit of work
/// meets it as a 503, and the client's next try must not meet it again.
/// </summary>
public sealed class PreparedStatementMismatchTests
{
    [Fact]
    public async Task AReadThatMeetsAConnectionWithoutItsPreparedStatementsAnswers503AndTheNextTryIsServed()
    {
        // Run on PostgreSQL in either pass of the suite: a cluster of its own when the suite runs on SQLite.
        await using var postgres = TestDatabase.IsPostgres ? null : await ThrowawayPostgres.StartAsync();
        await using var database = postgres is null ? await TestDatabase.CreateAsync() : await TestDatabase.CreatePostgresAsync(postgres.ConnectionString);

        // One connection in the pool, so that every read below runs on the connection the mismatch is made on.
        await using var app = new PasslineApp(database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Passline"] = database.ConnectionString + ";Maximum Pool Size=1",
        });
        var instance = await app.CreateInstanceAsync();
        using var client = instance.Client();
        using var created = await client.PostAsync(instance.Api("generate-link"), Json.Body("{}"));
        var uuid = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["uuid"]!.GetValue<string>();

        // Npgsql prepares a statement on its fifth use on a connection; these reads get theirs prepared.
        for (var i = 0; i < 8; i++)
        {
            using var read = await client.GetAsync(instance.Api($"requests/{uuid}"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        // The server forgets the connection's prepared statements; Npgsql still believes them prepared.
        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DEALLOCATE ALL"));

        using var failed = await client.GetAsync(instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.NotNull(failed.Headers.RetryAfter);

        using var again = await client.GetAsync(instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task AWriteThatMeetsAConnectionWithoutItsPreparedStatementsRunsAgainOnAFreshOneAndIsStored()
    {
        await using var postgres = TestDatabase.IsPostgres ? null : await ThrowawayPostgres.StartAsync();
        await using var database = postgres is null ? await TestDatabase.CreateAsync() : await TestDatabase.CreatePostgresAsync(postgres.ConnectionString);
        await using var app = new PasslineApp(database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Passline"] = database.ConnectionString + ";Maximum Pool Size=1",
        });
        var instance = await app.CreateInstanceAsync();
        using var client = instance.Client();
        for (var i = 0; i < 8; i++)
        {
            using var created = await client.PostAsync(instance.Api("generate-link"), Json.Body("{}"));
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DEALLOCATE ALL"));

        // The unit of work retries a passing failure by itself: the client never sees this one.
        using var stored = await client.PostAsync(instance.Api("generate-link"), Json.Body("{}"));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var uuid = Guid.Parse(JsonNode.Parse(await stored.Content.ReadAsStringAsync())!["data"]!["uuid"]!.GetValue<string>());
        Assert.True(await app.WithDbAsync(db => db.OtpRequests.AnyAsync(r => r.Id == uuid)));
    }
}
