using System.Net;
using Microsoft.EntityFrameworkCore;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

public sealed class PersistenceTests
{
    [Fact]
    public async Task DataIsKeptAcrossARestart()
    {
        await using var database = await TestDatabase.CreateAsync();
        string uuid;
        TestInstance instance;
        await using (var first = new PasslineApp(database))
        {
            instance = await first.CreateInstanceAsync();
            var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), """{"chatId": "201063178738", "expires": 600}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            uuid = body["data"]!["uuid"]!.GetValue<string>();
        }

        // A new host over the same database: the token still works and the request is still there.
        await using var second = new PasslineApp(database);
        var read = await second.Client(instance.Token).GetAsync($"/api/otp/v2/{instance.Id}/requests/{uuid}");
        var data = (await read.ReadObjectAsync())["data"]!;

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("201063178738@c.us", data["chat_id"]!.GetValue<string>());
        Assert.Equal("pending", data["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task FreshDatabaseIsMigratedAndReady()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);

        var ready = await app.Client().GetAsync("/readyz");
        var alive = await app.Client().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task ReadinessFailsWhenTheDatabaseIsGone()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);

        // The schema goes away under a running server (serve refuses to start on an unmigrated database): alive, not ready.
        var drop = database.Provider == "postgres" ? "DROP TABLE instances CASCADE" : "DROP TABLE instances";
        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(drop));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client().GetAsync("/readyz")).StatusCode);
    }
}
