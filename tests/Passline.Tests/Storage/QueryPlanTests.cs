using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Passline.Monitoring;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Storage;

/// <summary>
/// PostgreSQL finds what a hot statement changes through the index meant for it, whatever its statistics say, and
/// SQLite, which plans without statistics, reads through the index meant for a query. A plan through the wrong index
/// still gives the right answer, only slower: no other test would notice.
/// </summary>
public sealed class QueryPlanTests
{
    [Fact]
    public async Task TheInboundStatementFindsItsRequestByItsKeyWhenTheStatisticsShowNonePending()
    {
        // Run on PostgreSQL in either pass of the suite: a cluster of its own when the suite runs on SQLite.
        await using var postgres = TestDatabase.IsPostgres ? null : await ThrowawayPostgres.StartAsync();
        await using var database = postgres is null ? await TestDatabase.CreateAsync() : await TestDatabase.CreatePostgresAsync(postgres.ConnectionString);
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync();

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await Execute(connection, """
            INSERT INTO otp_requests (id, instance_id, otp_type, code, status, name, created_at, expires_at, failed_attempts, link_clicks)
            SELECT gen_random_uuid(), @instance, 'link', 'CODE' || i, 'verified', 'Plan', now() - interval '1 hour', now() - interval '30 minutes', 0, 0
            FROM generate_series(1, 5000) AS i
            """, new NpgsqlParameter("instance", instance.Id));
        await Execute(connection, "ANALYZE otp_requests");

        // The statement's own condition (RequestLifecycle.StillOpen), on a generic plan as a prepared statement gets it.
        await Execute(connection, "SET plan_cache_mode = force_generic_plan");
        await Execute(connection, $"""
            PREPARE inbound(uuid, timestamptz, text) AS
            UPDATE otp_requests SET message_received_at = @now WHERE id = @id AND {RequestLifecycle.StillOpen} RETURNING id
            """.Replace("@id", "$1", StringComparison.Ordinal).Replace("@now", "$2", StringComparison.Ordinal).Replace("@bound", "$3", StringComparison.Ordinal));
        await using var explain = new NpgsqlCommand("EXPLAIN EXECUTE inbound(gen_random_uuid(), now(), NULL)", connection);
        var plan = string.Join("\n", await ReadAllAsync(explain));

        Assert.Contains("Index Scan using pk_otp_requests", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("ix_otp_requests_status_expires_at", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqlitesHourlyFiguresReadAnHourThroughThePeriodsIndex()
    {
        // The statistics of an hour are read once for each hour stored. Through the status index, each read went over
        // every verified request ever stored: 9 minutes of `passline purge` for 672 hours of 4.5 million requests.
        await using var database = await TestDatabase.CreateSqliteAsync();
        var commands = new RecordedCommands();
        await using var app = new PasslineApp(database, services: services => services.AddSingleton<IInterceptor>(commands));
        var hour = HourlyFigures.Floor(app.Time.GetUtcNow());
        await app.WithDbAsync(db => HourlyFigures.ComputeAsync(db, hour - HourlyFigures.Hour, hour, null, CancellationToken.None));

        // The hour's requests and its verified ones; not the app's own background reads, which run meanwhile.
        var reads = commands.Recorded
            .Where(c => c.Sql.Contains("AS hour_start", StringComparison.Ordinal) && c.Sql.Contains("FROM otp_requests", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, reads.Count);
        await using var connection = new SqliteConnection(database.ConnectionString);
        await connection.OpenAsync();
        foreach (var (sql, parameters) in reads)
        {
            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var (name, value) in parameters)
            {
                explain.Parameters.AddWithValue(name, value);
            }

            var plan = new List<string>();
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }

            Assert.Contains(plan, step => step.Contains("USING INDEX ix_otp_requests_created_at", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, step => step.Contains("ix_otp_requests_status_expires_at", StringComparison.Ordinal));
        }
    }

    private sealed record Query(string Sql, (string Name, object? Value)[] Parameters);

    /// <summary>The text and parameters of every query the app's contexts run.</summary>
    private sealed class RecordedCommands : DbCommandInterceptor
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Query> recorded = new();

        public IEnumerable<Query> Recorded => recorded;

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            recorded.Enqueue(new Query(command.CommandText, command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, p.Value)).ToArray()));
            return ValueTask.FromResult(result);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
