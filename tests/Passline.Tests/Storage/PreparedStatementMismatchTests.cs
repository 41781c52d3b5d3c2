using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Instances;
using Passline.Links;
using Passline.Requests;
using Passline.Storage;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// A connection whose prepared statements the server no longer holds (what a restart now and then leaves behind, see
/// <c>DbErrors.IsPreparedStatementMismatch</c>) fails every statement Npgsql prepared on it. Neither a write nor a read
/// may keep meeting it: the write's unit of work runs again on a fresh connection, the read answers 503 and the
/// client's next try is served.
/// </summary>
public sealed class PreparedStatementMismatchTests
{
    [Fact]
    public async Task AReadThatMeetsAConnectionWithoutItsPreparedStatementsAnswers503AndTheNextTryIsServed()
    {
        await using var server = await OneConnection.StartAsync();
        using var created = await server.Client.PostAsync(server.Instance.Api("generate-link"), Json.Body("{}"));
        var uuid = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["uuid"]!.GetValue<string>();
        for (var i = 0; i < 8; i++)
        {
            using var read = await server.Client.GetAsync(server.Instance.Api($"requests/{uuid}"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        await server.ForgetPreparedStatementsAsync();

        using var failed = await server.Client.GetAsync(server.Instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.NotNull(failed.Headers.RetryAfter);

        using var again = await server.Client.GetAsync(server.Instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task AUnitOfWorkThatMeetsAConnectionWithoutItsPreparedStatementsRunsAgainOnAFreshOneAndCommits()
    {
        await using var server = await OneConnection.StartAsync();
        var writes = server.App.Services.GetRequiredService<Writes>();
        Task RenameAsync(string name) => writes.RunAsync(work => work.Db.Database.ExecuteSqlRawAsync(
            "UPDATE instances SET name = {0} WHERE id = {1}", name, server.Instance.Id), CancellationToken.None);
        for (var i = 0; i < 8; i++)
        {
            await RenameAsync($"Renamed {i}");
        }

        await server.ForgetPreparedStatementsAsync();

        // The unit meets the mismatch, and runs again by itself: its caller never sees it.
        await RenameAsync("Renamed last");
        Assert.Equal("Renamed last", await server.App.WithDbAsync(db => db.Instances.Where(i => i.Id == server.Instance.Id).Select(i => i.Name).SingleAsync()));
    }

    [Fact]
    public async Task GenerateLinkOnAWriterConnectionWithoutItsPreparedStatementsIsStoredOnAFreshOne()
    {
        await using var server = await OneConnection.StartAsync();
        for (var i = 0; i < 8; i++)
        {
            using var created = await server.Client.PostAsync(server.Instance.Api("generate-link"), Json.Body("{}"));
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        // generate-link's batches go through a connection of the writer's own, outside the pool.
        var writer = server.App.Services.GetRequiredService<LinkRequestWriter>();
        await (await writer.Own!.OpenAsync(CancellationToken.None)).Database.ExecuteSqlRawAsync("DEALLOCATE ALL");

        using var stored = await server.Client.PostAsync(server.Instance.Api("generate-link"), Json.Body("{}"));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var uuid = Guid.Parse(JsonNode.Parse(await stored.Content.ReadAsStringAsync())!["data"]!["uuid"]!.GetValue<string>());
        Assert.True(await server.App.WithDbAsync(db => db.OtpRequests.AnyAsync(r => r.Id == uuid)));
    }

    /// <summary>
    /// Passline on PostgreSQL (a cluster of its own when the suite runs on SQLite) with one connection in its pool, so
    /// that every statement runs on the connection the mismatch is made on. Npgsql prepares a statement on its fifth
    /// use on a connection: a test repeats its call that often first. The background workers are off (a node that
    /// serves HTTP only): a worker's poll could otherwise meet the mismatch first, and its recovery empty the pool
    /// before the test's own call, which then runs on a fresh connection.
    /// </summary>
    private sealed class OneConnection : IAsyncDisposable
    {
        private ThrowawayPostgres? postgres;
        private TestDatabase? database;

        public PasslineApp App { get; private set; } = null!;
        public TestInstance Instance { get; private set; } = null!;
        public HttpClient Client { get; private set; } = null!;

        public static async Task<OneConnection> StartAsync()
        {
            var server = new OneConnection();
            try
            {
                server.postgres = TestDatabase.IsPostgres ? null : await ThrowawayPostgres.StartAsync();
                server.database = server.postgres is null ? await TestDatabase.CreateAsync() : await TestDatabase.CreatePostgresAsync(server.postgres.ConnectionString);
                server.App = new PasslineApp(server.database, new Dictionary<string, string?>
                {
                    ["ConnectionStrings:Passline"] = server.database.ConnectionString + ";Maximum Pool Size=1",
                    ["Passline:Workers:Enabled"] = "false",
                });
                server.Instance = await server.App.CreateInstanceAsync();
                server.Client = server.Instance.Client();
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        /// <summary>The server forgets the connection's prepared statements; Npgsql still believes them prepared.</summary>
        public Task ForgetPreparedStatementsAsync() => App.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DEALLOCATE ALL"));

        public async ValueTask DisposeAsync()
        {
            Client?.Dispose();
            if (App is not null)
            {
                await App.DisposeAsync();
            }

            if (database is not null)
            {
                await database.DisposeAsync();
            }

            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }
        }
    }
}
