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
/// (10.9-15.2 ms against 11.1-14.2); the log file at most 19 MB.
/// </para>
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>
    /// Pages the log may hold before the writer copies the rest itself and the log starts again: about 16 MB of log
    /// (SQLite's own mark is 1,000 pages, at which the writer copies all of it).
    /// </summary>
    public const int RestartPages = 4_000;

    /// <summary>Checkpoints at most this often: each one flushes the log and the database file.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10);

    private readonly string connectionString;
    private readonly ILogger logger;
    private readonly ManualResetEventSlim committed = new(false, spinCount: 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;

    /// <summary>Set by a checkpoint that found the log at <see cref="RestartPages"/> or more; cleared by the writer.</summary>
    private volatile bool restartDue;

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

        if (restartDue && Checkpoint(writer) is { } pages && pages.Log == pages.Copied)
        {
            restartDue = false;
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
                if (Checkpoint(connection) is { Log: >= RestartPages })
                {
                    restartDue = true;
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
