using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Channels.Simulator;
using Passline.Links;
using Passline.Requests;
using Passline.Storage;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// The one way to write: every unit of work commits whole or not at all, concurrent units do not lose each other's
/// writes, and a failing unit takes only itself down (on SQLite its neighbours share its transaction).
/// </summary>
public sealed class WritesTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Fact]
    public async Task ConcurrentUnitsAllCommitAndAFailingOneLeavesNothing()
    {
        var instance = await App.CreateInstanceAsync();
        var writes = App.Services.GetRequiredService<Writes>();
        var chat = $"{Random.Shared.NextInt64(100_000_000, 999_999_999)}@c.us";

        var units = Enumerable.Range(0, 40).Select(i => writes.RunAsync(async work =>
        {
            work.Db.SimulatedPhoneMessages.Add(new SimulatedPhoneMessage { InstanceId = instance.Id, ChatId = chat, Text = $"unit {i}", SentAt = work.Now });
            await work.Db.SaveChangesAsync();
            if (i % 10 == 3)
            {
                throw new InvalidOperationException($"unit {i} fails after writing");
            }

            return i;
        }, CancellationToken.None)).ToList();

        foreach (var (unit, i) in units.Select((u, i) => (u, i)))
        {
            if (i % 10 == 3)
            {
                var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => unit);
                Assert.Contains($"unit {i}", failed.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(i, await unit);
            }
        }

        var stored = await App.WithDbAsync(db => db.SimulatedPhoneMessages.Where(m => m.ChatId == chat).Select(m => m.Text).ToListAsync());
        Assert.Equal(36, stored.Count);
        Assert.DoesNotContain(stored, text => text is "unit 3" or "unit 13" or "unit 23" or "unit 33");
    }

    [Fact]
    public async Task AStatementUnitThatBreaksAUniqueIndexFailsAloneAndItsNeighboursCommit()
    {
        // On SQLite the statement units run in one transaction without savepoints: SQLite undoes the failed statement.
        var instance = await App.CreateInstanceAsync();
        var writes = App.Services.GetRequiredService<Writes>();
        var now = DateTimeOffset.UtcNow;
        OtpRequest Request(string code) => new()
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instance.Id,
            OtpType = OtpTypes.Link,
            Code = code,
            Name = "Writes",
            CreatedAt = now,
            ExpiresAt = now.AddMinutes(30),
        };
        var taken = Request(LinkCodes.New());
        await writes.RunStatementAsync(db => db.InsertAsync([taken], CancellationToken.None), CancellationToken.None);

        var requests = Enumerable.Range(0, 20).Select(i => Request(i is 5 or 15 ? taken.Code : LinkCodes.New())).ToList();
        var units = requests.Select(r => writes.RunStatementAsync(db => db.InsertAsync([r], CancellationToken.None), CancellationToken.None)).ToList();

        for (var i = 0; i < units.Count; i++)
        {
            if (i is 5 or 15)
            {
                var failed = await Assert.ThrowsAsync<DbUpdateException>(() => units[i]);
                Assert.True(DbErrors.IsUniqueViolation(failed));
            }
            else
            {
                await units[i];
            }
        }

        var ids = requests.Select(r => r.Id).Append(taken.Id).ToList();
        var stored = await App.WithDbAsync(db => db.OtpRequests.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync());
        Assert.Equal(19, stored.Count);
        Assert.DoesNotContain(requests[5].Id, stored);
        Assert.DoesNotContain(requests[15].Id, stored);
    }

    [Fact]
    public async Task AUnitThatMeetsAPreparedStatementMismatchRunsAgainAndCommits()
    {
        // What a PostgreSQL restart left behind in DatabaseRestartTests, now and then: Npgsql preparing again a statement
        // the server already held. Passing (a retry on fresh connections), never a 500.
        var writes = App.Services.GetRequiredService<Writes>();
        var tries = 0;
        var result = await writes.RunAsync(_ => ++tries == 1
            ? throw new DbUpdateException("Inserting failed.", new Npgsql.PostgresException("prepared statement \"_auto0\" already exists", "ERROR", "ERROR", "42P05"))
            : Task.FromResult(tries), CancellationToken.None);

        Assert.Equal(2, result);
        Assert.True(DbErrors.IsTransient(new DbUpdateException("x", new Npgsql.PostgresException("prepared statement \"_auto3\" does not exist", "ERROR", "ERROR", "26000"))));
        Assert.False(DbErrors.IsTransient(new DbUpdateException("x", new Npgsql.PostgresException("duplicate key value", "ERROR", "ERROR", "23505"))));
    }

    [Fact]
    public async Task AfterCommitActionsRunOnlyForCommittedUnits()
    {
        var writes = App.Services.GetRequiredService<Writes>();
        var ran = new List<string>();

        await writes.RunAsync(work =>
        {
            work.AfterCommit(() => ran.Add("committed"));
            return Task.CompletedTask;
        }, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writes.RunAsync(work =>
        {
            work.AfterCommit(() => ran.Add("rolled back"));
            throw new InvalidOperationException("no");
        }, CancellationToken.None));

        Assert.Equal(["committed"], ran);
    }

    [Fact]
    public async Task AnUpdatedRowAndTheRowInsertedBesideItAreSavedAllOrNothing()
    {
        // The outbox's record (RowUpdates): on PostgreSQL one statement without BEGIN and COMMIT, in SQLite's writer two
        // statements in the unit's savepoint. Either way the update must not stay when the insert breaks the open-code
        // unique index, and must set only the columns that changed: what another writer set meanwhile stays.
        var instance = await App.CreateInstanceAsync();
        var writes = App.Services.GetRequiredService<Writes>();
        var now = DateTimeOffset.UtcNow;
        OtpRequest Request(string name, string code) => new()
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instance.Id,
            OtpType = OtpTypes.Link,
            Code = code,
            Name = name,
            CreatedAt = now,
            ExpiresAt = now.AddMinutes(30),
        };

        var first = Request("first", LinkCodes.New());
        var taken = Request("taken", LinkCodes.New());
        await App.WithDbAsync(db =>
        {
            db.OtpRequests.AddRange(first, taken);
            return db.SaveChangesAsync();
        });
        Task<List<string>> NamesAsync() => App.WithDbAsync(db =>
            db.OtpRequests.Where(r => r.InstanceId == instance.Id).OrderBy(r => r.Name).Select(r => r.Name).ToListAsync());
        Task UpdateAsync(string name, OtpRequest inserted) => writes.RunAsync(async work =>
        {
            var entry = work.Db.OtpRequests.Attach(first);
            first.Name = name;
            await work.Db.UpdateAsync(entry, allColumns: false, inserted, CancellationToken.None);
            return true;
        }, oneStatement: !writes.OneWriter, CancellationToken.None);

        await Assert.ThrowsAsync<DbUpdateException>(() => UpdateAsync("renamed", Request("clash", taken.Code)));
        Assert.Equal(["first", "taken"], await NamesAsync());

        // Another writer sets the phone of the row in memory; the update of its name leaves that phone.
        await App.WithDbAsync(db => db.OtpRequests.Where(r => r.Id == first.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Phone, "+15550001111")));
        first.Name = "first";
        await UpdateAsync("renamed", Request("other", LinkCodes.New()));
        Assert.Equal(["other", "renamed", "taken"], await NamesAsync());
        Assert.Equal("+15550001111", (await App.WithDbAsync(db => db.OtpRequests.AsNoTracking().SingleAsync(r => r.Id == first.Id))).Phone);
    }

    [Fact]
    public async Task SqlitesLogIsCopiedIntoTheDatabaseAndStaysBoundedUnderSustainedWrites()
    {
        // SQLite's writer never checkpoints in line: a thread of its own copies the log, and the writer restarts it once
        // it holds SqliteCheckpointer.RestartPages (found by a checkpoint up to one pause late: the log may run a little
        // past). Without either, the log would hold everything written here.
        await using var database = await TestDatabase.CreateSqliteAsync();
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync();
        var writes = app.Services.GetRequiredService<Writes>();
        var text = new string('x', 3_000);
        const int RowsPerUnit = 50;
        var walBound = (SqliteCheckpointer.RestartPages + 2_000) * (4_096L + 24);
        var units = (int)(2 * walBound / (RowsPerUnit * text.Length)) + 50;
        for (var unit = 0; unit < units; unit++)
        {
            await writes.RunAsync(work =>
            {
                for (var row = 0; row < RowsPerUnit; row++)
                {
                    work.Db.SimulatedPhoneMessages.Add(new SimulatedPhoneMessage { InstanceId = instance.Id, ChatId = "15550001111@c.us", Text = text, SentAt = work.Now });
                }

                return Task.CompletedTask;
            }, CancellationToken.None);
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        var written = (long)units * RowsPerUnit * text.Length;
        Assert.True(written > 2 * walBound, "the test writes more than the log may hold");
        Assert.True(new FileInfo(file + "-wal").Length < walBound, $"the log holds {new FileInfo(file + "-wal").Length:N0} bytes");
        Assert.True(new FileInfo(file).Length > written / 2, $"the database file holds {new FileInfo(file).Length:N0} bytes of {written:N0} written");
        Assert.Equal(units * RowsPerUnit, await app.WithDbAsync(db => db.SimulatedPhoneMessages.CountAsync(m => m.InstanceId == instance.Id)));
    }
}
