using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using SQLitePCL;

namespace Passline.Storage;

/// <summary>
/// One unit of work: what a writer reads and changes between its start and its commit. What it adds is saved and
/// committed together with what it updates; actions registered with <see cref="AfterCommit"/> (waking a worker, say)
/// run only once the commit has succeeded.
/// </summary>
public sealed class UnitOfWork(PasslineDb db, DateTimeOffset now, CancellationToken aborted)
{
    private List<Action>? afterCommit;

    public PasslineDb Db => db;

    /// <summary>The unit's clock reading, taken when it started: one instant for everything it writes.</summary>
    public DateTimeOffset Now => now;

    public CancellationToken Aborted => aborted;

    public void AfterCommit(Action action) => (afterCommit ??= []).Add(action);

    internal void Committed() => afterCommit?.ForEach(action => action());
}

/// <summary>
/// The one way to write (SPEC 3): runs a unit of work, saves what it added, commits, then runs its after-commit
/// actions; the caller has nothing to remember. A unit returns only once its work is committed and flushed.
/// <para>
/// PostgreSQL: each unit is a transaction of its own, units of several requests run side by side.
/// SQLite has a single write lock, and a writer that finds it taken sleeps and polls: so here every unit goes through one
/// in-process writer (<see cref="SqliteWriter"/>) that runs the units waiting together in one transaction, each inside a
/// savepoint of its own (a unit that fails is rolled back alone; a unit of one statement needs none), and commits them
/// with one flush. Nobody sleeps on the
/// lock and a burst costs one flush, not one each.
/// </para>
/// </summary>
public sealed class Writes(IServiceScopeFactory scopes, TimeProvider time, SqliteWriter? sqlite, ILogger<Writes> logger)
{
    /// <summary>
    /// Pauses before each new try of a unit that failed on a passing database failure (a restart, a failover, a dropped
    /// connection): about two seconds in all, then the failure is the caller's (a 503 for an HTTP request).
    /// </summary>
    private static readonly TimeSpan[] TransientRetries =
        [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1200)];

    /// <summary>Whether every unit goes through one writer that commits the units waiting together (SQLite).</summary>
    public bool OneWriter => sqlite is not null;

    public Task<T> RunAsync<T>(Func<UnitOfWork, Task<T>> unit, CancellationToken cancellationToken) =>
        RunAsync(unit, oneStatement: false, cancellationToken);

    /// <summary>
    /// A unit of one statement, atomic by itself (an insert, an upsert, a claim). In SQLite's writer it runs without a
    /// savepoint of its own, which would cost more than the statement: SQLite undoes a statement that fails by itself.
    /// On PostgreSQL it runs without a transaction around it (it commits by itself).
    /// </summary>
    public Task<T> RunStatementAsync<T>(Func<PasslineDb, Task<T>> statement, CancellationToken cancellationToken) =>
        RunAsync(work => statement(work.Db), oneStatement: true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="unit"/>; with <paramref name="oneStatement"/>, a unit that writes with one statement and adds
    /// nothing to save (see <see cref="RunStatementAsync{T}"/>).
    /// </summary>
    public Task<T> RunAsync<T>(Func<UnitOfWork, Task<T>> unit, bool oneStatement, CancellationToken cancellationToken) =>
        RunAsync(unit, oneStatement ? Kind.Statement : Kind.Transaction, cancellationToken);

    /// <summary>What a unit does, which decides how little it needs around it.</summary>
    private enum Kind
    {
        /// <summary>Anything: reads, statements, tracked changes; a transaction around it all.</summary>
        Transaction,

        /// <summary>One statement, atomic by itself (<see cref="RunStatementAsync{T}"/>).</summary>
        Statement,
    }

    private Task<T> RunAsync<T>(Func<UnitOfWork, Task<T>> unit, Kind kind, CancellationToken cancellationToken) =>
        RetryAsync(() => RunOnceAsync(unit, kind, cancellationToken), afterFailure: null, cancellationToken);

    /// <summary>
    /// A statement, atomic by itself, on the caller's own context (PostgreSQL's generate-link writer), with the retries of
    /// any unit: after a passing failure the context and its connection are dropped, and the next try opens another.
    /// </summary>
    public Task RunStatementAsync(OwnContext own, Func<PasslineDb, Task> statement, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            var db = await own.OpenAsync(cancellationToken);
            await statement(db);
            Saved(db);
            return true;
        }, own.DropAsync, cancellationToken);

    private async Task<T> RetryAsync<T>(Func<Task<T>> once, Func<ValueTask>? afterFailure, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await once();
            }
            catch (Exception e) when (attempt < TransientRetries.Length && DbErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                // Nothing of the failed try was committed: the unit runs again from its start on a fresh context and
                // connection. The pause is real time on purpose: it paces reconnects to a database, it dates nothing.
                logger.LogInformation("A unit of work met a passing database failure ({Error}); trying again", e.GetBaseException().Message);
                DbErrors.ForgetConnectionsAfter(e);
                if (afterFailure is not null)
                {
                    await afterFailure();
                }

                await Task.Delay(TransientRetries[attempt], cancellationToken);
            }
        }
    }

    private async Task<T> RunOnceAsync<T>(Func<UnitOfWork, Task<T>> unit, Kind kind, CancellationToken cancellationToken)
    {
        if (sqlite is not null)
        {
            return (T)(await sqlite.RunAsync(async work => await unit(work), kind == Kind.Statement, cancellationToken))!;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
        var work = new UnitOfWork(db, time.GetUtcNow(), cancellationToken);
        if (kind == Kind.Statement)
        {
            // One statement commits by itself: no BEGIN, no COMMIT, one round trip fewer.
            var result = await unit(work);
            Saved(db);
            work.Committed();
            return result;
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var result = await unit(work);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            work.Committed();
            return result;
        }
    }

    /// <summary>A unit of one statement has nothing left to save: a change it made to its context would be lost.</summary>
    internal static void Saved(PasslineDb db)
    {
        if (db.ChangeTracker.HasChanges())
        {
            throw Unsaved();
        }
    }

    internal static InvalidOperationException Unsaved() => new("A unit of one statement left changes unsaved; run it as a unit of work.");

    /// <summary>
    /// The writes of a command (<c>purge</c>): commands run without the hosted services, so without SQLite's single writer;
    /// each unit is a transaction of its own, as on PostgreSQL (a running server's writer and the command take turns at
    /// SQLite's lock).
    /// </summary>
    public static Writes ForCommand(IServiceProvider services, TimeProvider time) =>
        new(services.GetRequiredService<IServiceScopeFactory>(), time, null, services.GetRequiredService<ILogger<Writes>>());

    public Task RunAsync(Func<UnitOfWork, Task> unit, CancellationToken cancellationToken) =>
        RunAsync(async work =>
        {
            await unit(work);
            return true;
        }, cancellationToken);

    public Task RunStatementAsync(Func<PasslineDb, Task> statement, CancellationToken cancellationToken) =>
        RunStatementAsync(async db =>
        {
            await statement(db);
            return true;
        }, cancellationToken);

    /// <summary>
    /// A write of one statement, atomic by itself (an upsert, a claim): on PostgreSQL it runs on <paramref name="db"/>
    /// as it is, without a transaction around it; on SQLite it takes its turn in the single writer.
    /// </summary>
    public Task<T> StatementAsync<T>(PasslineDb db, Func<PasslineDb, Task<T>> statement, CancellationToken cancellationToken) =>
        sqlite is null ? statement(db) : RunStatementAsync(statement, cancellationToken);
}

/// <summary>
/// SQLite's single in-process writer: group commit of units of work (see <see cref="Writes"/>). It writes through one
/// connection of its own, open for its whole life, so its prepared statements stay prepared from one batch to the next
/// (on a pooled connection they had to go before the connection went back to the pool).
/// </summary>
/// <param name="connectionString">The database's connection string.</param>
/// <param name="optionsOn">The context options for a given open connection: those of every other context, on that connection.</param>
public sealed class SqliteWriter(
    string connectionString, Func<SqliteConnection, DbContextOptions<SqlitePasslineDb>> optionsOn, TimeProvider time, ILogger<SqliteWriter> logger)
    : BackgroundService
{
    private const int MaxBatch = 256;

    private sealed record Job(Func<UnitOfWork, Task<object?>> Unit, bool OneStatement, TaskCompletionSource<object?> Done, CancellationToken Aborted)
    {
        public UnitOfWork? Work { get; set; }
        public object? Result { get; set; }
    }

    private readonly Channel<Job> queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ManualResetEventSlim wake = new();

    /// <summary>
    /// The writer's own connection and what lives on it, a context and its prepared statements, kept from one batch to
    /// the next (a context made anew for each batch cost more than the rows it wrote); only the writer's thread touches
    /// them.
    /// </summary>
    private SqliteConnection? connection;
    private SqlitePasslineDb? db;
    private readonly PreparedCommands prepared = new();

    /// <summary>Copies the write-ahead log into the database beside the writer, which therefore never checkpoints itself.</summary>
    private SqliteCheckpointer? checkpointer;

    public Task<object?> RunAsync(Func<UnitOfWork, Task<object?>> unit, bool oneStatement, CancellationToken cancellationToken)
    {
        var job = new Job(unit, oneStatement, new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        if (!queue.Writer.TryWrite(job))
        {
            throw new InvalidOperationException("Passline is shutting down.");
        }

        wake.Set();

        // Once queued, a unit runs to its commit even if its caller goes away: what it changes is all or nothing.
        return job.Done.Task;
    }

    /// <summary>
    /// The writer has a thread of its own: SQLite's calls are synchronous whatever their names, and a writer woken
    /// through the thread pool waits in its queue behind request work, while every request waits for the writer. The
    /// callers' continuations still run on the pool.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                checkpointer = new SqliteCheckpointer(connectionString, logger);
                Run(stoppingToken);
                stopped.TrySetResult();
            }
            catch (Exception e)
            {
                stopped.TrySetException(e);
            }
            finally
            {
                Disconnect();
                checkpointer?.Dispose();
            }
        })
        { IsBackground = true, Name = "Passline SQLite writer" };
        thread.Start();
        return stopped.Task;
    }

    public override void Dispose()
    {
        base.Dispose();
        wake.Dispose();
    }

    private void Run(CancellationToken stoppingToken)
    {
        var batch = new List<Job>(MaxBatch);
        try
        {
            while (true)
            {
                // Reset before looking, so that a unit queued while the writer looks is not missed.
                wake.Reset();
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                if (batch.Count == 0)
                {
                    wake.Wait(stoppingToken);
                    continue;
                }

                RunBatchAsync(batch).GetAwaiter().GetResult();
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Whatever is still queued at shutdown is written before the host stops, so no answered call is lost.
            queue.Writer.TryComplete();
            while (queue.Reader.TryRead(out var left))
            {
                batch.Add(left);
            }

            if (batch.Count > 0)
            {
                RunBatchAsync(batch).GetAwaiter().GetResult();
            }
        }
    }

    private SqlitePasslineDb Connect()
    {
        if (db is null)
        {
            connection = new SqliteConnection(connectionString);
            db = new SqlitePasslineDb(optionsOn(connection)) { Prepared = prepared };
        }

        if (connection!.State != System.Data.ConnectionState.Open)
        {
            connection.Open();
            raw.sqlite3_wal_autocheckpoint(connection.Handle, 0);
        }

        checkpointer?.CatchUp(connection);

        return db;
    }

    /// <summary>
    /// After a failed batch, and at the end: the statements go before the connection, which is closed (SQLite rolls
    /// back what the batch left open); the next batch opens a new one.
    /// </summary>
    private void Disconnect()
    {
        prepared.Dispose();
        db?.Dispose();
        db = null;
        connection?.Dispose();
        connection = null;
    }

    private async Task RunBatchAsync(List<Job> batch)
    {
        var done = new List<Job>(batch.Count);
        try
        {
            var db = Connect();
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
                foreach (var job in batch)
                {
                    if (await RunUnitAsync(db, transaction, job))
                    {
                        done.Add(job);
                    }
                }

                await transaction.CommitAsync(CancellationToken.None);
                checkpointer?.Committed();
            }
            finally
            {
                // The context outlives the batch: nothing a unit read stays tracked into the next one.
                db.ChangeTracker.Clear();
            }
        }
        catch (Exception e)
        {
            // Nothing of the batch is committed: every unit not failed already fails with it (one that broke off the
            // batch included), none is left waiting.
            logger.LogError(e, "Committing {Count} units of work failed", batch.Count);
            batch.ForEach(job => job.Done.TrySetException(e));
            Disconnect();
            return;
        }

        foreach (var job in done)
        {
            job.Work!.Committed();
            job.Done.TrySetResult(job.Result);
        }
    }

    /// <summary>
    /// Runs one unit in the batch's transaction; true when it succeeded and commits with the batch. A unit that fails
    /// is rolled back alone and told; a failure that may have ended the transaction is thrown, to fail the whole batch.
    /// </summary>
    private async Task<bool> RunUnitAsync(PasslineDb db, IDbContextTransaction transaction, Job job)
    {
        if (job.Aborted.IsCancellationRequested)
        {
            job.Done.TrySetCanceled(job.Aborted);
            return false;
        }

        job.Work = new UnitOfWork(db, time.GetUtcNow(), CancellationToken.None);
        if (job.OneStatement)
        {
            try
            {
                job.Result = await job.Unit(job.Work);
            }
            catch (Exception e) when (DbErrors.IsStatementOnly(e))
            {
                // A constraint failed: SQLite undid the statement, the transaction goes on without what the unit tracked.
                db.ChangeTracker.Clear();
                job.Done.TrySetException(e);
                return false;
            }

            if (db.ChangeTracker.HasChanges())
            {
                // Not a unit of one statement after all (Writes.Saved): it fails alone, as it would on PostgreSQL.
                db.ChangeTracker.Clear();
                job.Done.TrySetException(Writes.Unsaved());
                return false;
            }

            return true;
        }

        await transaction.CreateSavepointAsync("unit");
        try
        {
            job.Result = await job.Unit(job.Work);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.ReleaseSavepointAsync("unit");
            return true;
        }
        catch (Exception e)
        {
            await transaction.RollbackToSavepointAsync("unit");
            job.Done.TrySetException(e);
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }
}
