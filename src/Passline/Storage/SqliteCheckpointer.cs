using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Passline.Storage;

/// <summary>
/// Copies SQLite's write-ahead log into the database file beside the single writer (<see cref="SqliteWriter"/>), on a
/// connection and a thread of its own. SQLite's own checkpoint runs at the end of the commit that crossed its mark, in
/// the writer, while every unit queued behind it waits; SQLite also lets a checkpoint run while another connection
/// commits (PASSIVE mode), which is what this one does. What a checkpoint beside a writer cannot do is let the log start
/// again from its beginning, which needs a moment when all of it is copied: so once the log holds
/// <see cref="RestartPages"/>, the writer copies what is left itself before its next batch (<see cref="CatchUp"/>),
/// and its next commit starts the log anew. Durability is unchanged: a commit is flushed in the log before it is
/// answered, whoever copies it later.
/// <para>
/// Measured on generate-link (SQLite, server alone under wrk, 64 connections, the project's 2-core machine): with the
/// writer checkpointing every 250 pages, it was busy 80-95% of the time. This way, four interleaved pairs: 13,448
/// against 11,503 req/s on the means (+4% to +33% a pair), p50 3.8-4.6 ms against 5.2-5.9; p99 within the noise
/// (10.9-15.2 ms against 11.1-14.2).
/// </para>
/// <para>
/// The log restarts at <see cref="RestartPages"/> = 32,000 pages, not 4,000: the writer's catch-ups come an eighth as
/// often. bench/run on a clean clone (c8ebf50): generate-link on SQLite 18,028 req/s = 0.295 x the bare endpoint, p99
/// 9.77 ms on the small table and 10.92 ms at 5 million rows, against 15,078-15,966 req/s (0.237-0.290 x) and p99
/// 9.16-11.09 ms in the five runs before. Checkpoints every 50 ms instead of 10 (fewer copies of the pages every commit
/// changes, a fifth of the database file's flushes) gave 18,032-19,550 req/s but a longer tail in four runs: p99
/// 10.06-13.15 ms on the small table and 12.18-16.72 ms at 5 million rows, 98.8-99.3% of the large table's 200s served
/// within 10 ms instead of 99.5-99.75%: each checkpoint's flush, five times larger, kept the writer's own flush waiting
/// on the disk. So <see cref="Pause"/> stays 10 ms (docs/performance.md).
/// </para>
/// <para>
/// While the restart is due, this thread copies after every commit instead of every <see cref="Pause"/>, so that the
/// writer's own copy has little left; when this thread holds the checkpoint, the writer's attempt returns at once
/// (busy) and it tries again before its next batch; after <see cref="BusyAttempts"/> such attempts this thread stands
/// aside until the restart. Timed in a build made for it (generate-link on SQLite, 64 connections, server alone, then
/// with a restart at 4,000 pages): before this, the writer's catch-ups held its queue 6-8 ms each, up to 18 ms,
/// 0.8-1.0 s in all of 15 s, and they were the 1% of slowest requests (11-14 ms waiting for the writer, against 0.7 ms
/// at the median); with it, 0.2-0.25 s in all. Three interleaved pairs of the product's builds: p99 10.0-10.7 ms under
/// <c>wrk</c> against 14.3-15.3, 99.6-99.8% served within 10 ms against 98.0-98.5%, throughput within the noise
/// (docs/performance.md).
/// </para>
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>
    /// Pages the log may hold before the writer copies the rest itself and the log starts again: about 130 MB of log
    /// (SQLite's own mark is 1,000 pages, at which the writer copies all of it).
    /// </summary>
    public const int RestartPages = 32_000;

    /// <summary>Checkpoints at most this often: each one flushes the log and the database file.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The writer's attempts to copy the rest that find this thread copying (busy) before it asks this thread to stand
    /// aside: a writer that arrives right after each of its commits would otherwise lose every time, and the log would
    /// never start again.
    /// </summary>
    private const int BusyAttempts = 8;

    private readonly string connectionString;
    private readonly ILogger logger;
    private readonly ManualResetEventSlim committed = new(false, spinCount: 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;

    /// <summary>Set by a checkpoint that found the log at <see cref="RestartPages"/> or more; cleared by the writer.</summary>
    private volatile bool restartDue;

    /// <summary>
    /// Set by the writer after <see cref="BusyAttempts"/> busy attempts: this thread starts no checkpoint until the restart.
    /// </summary>
    private volatile bool writerCopies;

    /// <summary>The writer's busy attempts since the restart became due; the writer's thread alone uses it.</summary>
    private int busyAttempts;

    /// <summary>
    /// The log's length when the writer last copied all of it: the log starts again at the writer's next commit, and a
    /// checkpoint that finds it still at that length has nothing left for the writer to do.
    /// </summary>
    private volatile int copiedByWriter = -1;

    /// <summary>Set if this thread stopped on a failure: the writer's connection then checkpoints as SQLite does by default.</summary>
    private volatile bool failed;

    public SqliteCheckpointer(string connectionString, ILogger logger)
    {
        this.connectionString = connectionString;
        this.logger = logger;
        thread = new Thread(Run) { IsBackground = true, Name = "Passline SQLite checkpoints" };
        thread.Start();
    }

    /// <summary>The writer committed: the log has grown.</summary>
    public void Committed()
    {
        if (!committed.IsSet)
        {
            committed.Set();
        }
    }

    /// <summary>
    /// Called by the writer on its own connection before a batch: when the log is due to start again, copies what the
    /// checkpoints have not yet copied (a few commits' pages), so that the next commit starts the log from its beginning.
    /// </summary>
    public void CatchUp(SqliteConnection writer)
    {
        if (failed)
        {
            raw.sqlite3_wal_autocheckpoint(writer.Handle, 1_000);
            return;
        }

        if (!restartDue)
        {
            return;
        }

        switch (Checkpoint(writer))
        {
            case { } pages when pages.Log == pages.Copied:
                copiedByWriter = pages.Log;
                restartDue = false;
                writerCopies = false;
                busyAttempts = 0;
                break;
            case null when ++busyAttempts >= BusyAttempts:
                writerCopies = true;
                break;
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        committed.Dispose();
        stopping.Dispose();
    }

    private void Run()
    {
        try
        {
            // Opened after the first commit, once the schema and the log exist; a connection finds the database in WAL
            // mode on its first read, and a checkpoint before that does nothing.
            committed.Wait(stopping.Token);
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var mode = connection.CreateCommand())
            {
                mode.CommandText = "PRAGMA journal_mode";
                mode.ExecuteScalar();
            }

            while (true)
            {
                committed.Wait(stopping.Token);
                committed.Reset();
                if (writerCopies)
                {
                    continue;
                }

                if (Checkpoint(connection) is { Log: >= RestartPages } pages && pages.Log != copiedByWriter)
                {
                    // The writer now copies what is left before its next batch, while every unit queued waits: no pause
                    // here, so that what is left is a commit or two, not the 10 ms of commits since this pass.
                    restartDue = true;
                    continue;
                }

                stopping.Token.WaitHandle.WaitOne(Pause);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "The SQLite checkpoint thread stopped; the writer checkpoints from now on");
            failed = true;
        }
    }

    /// <summary>A PASSIVE checkpoint: the pages in the log and how many of them are now in the database file.</summary>
    private (int Log, int Copied)? Checkpoint(SqliteConnection connection)
    {
        var rc = raw.sqlite3_wal_checkpoint_v2(connection.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out var log, out var copied);
        if (rc == raw.SQLITE_OK)
        {
            return (log, copied);
        }

        // Busy: the other side is checkpointing right now; the next call goes on from where it got.
        if (rc != raw.SQLITE_BUSY)
        {
            logger.LogWarning("A SQLite checkpoint failed: {Error}", raw.sqlite3_errstr(rc).utf8_to_string());
        }

        return null;
    }
}
