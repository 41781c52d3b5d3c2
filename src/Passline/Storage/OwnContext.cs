using Microsoft.EntityFrameworkCore;

namespace Passline.Storage;

/// <summary>
/// A context on a PostgreSQL connection of its own, outside Npgsql's pool and open from one use to the next, for a writer
/// that runs one statement after another (<see cref="Links.LinkRequestWriter"/>): its statements stay prepared on one
/// server process. Npgsql hands out its idle connections in turn, so once a burst has opened dozens of them (the full
/// login flows), a writer that took one from the pool for each batch ran each batch on another server process, whose
/// caches had gone cold: generate-link after a run of flows measured 13,926-15,649 req/s and 33-37 µs of the database's
/// CPU a request, against 16,342-16,678 and 29-30 on a server that had run no flows (docs/performance.md). Used by one
/// caller at a time.
/// </summary>
public sealed class OwnContext(Func<PasslineDb> create) : IAsyncDisposable
{
    private PasslineDb? db;

    /// <summary>The context, its connection open; a new one when there is none or its connection broke.</summary>
    public async Task<PasslineDb> OpenAsync(CancellationToken cancellationToken)
    {
        if (db is not null && db.Database.GetDbConnection().State != System.Data.ConnectionState.Open)
        {
            await DropAsync();
        }

        if (db is null)
        {
            var created = create();
            try
            {
                // Opened by the caller, the connection stays open across the context's commands until it is dropped.
                await created.Database.OpenConnectionAsync(cancellationToken);
            }
            catch
            {
                await created.DisposeAsync();
                throw;
            }

            db = created;
        }

        return db;
    }

    /// <summary>Closes the connection (after a failure that may have left it unusable); the next use opens another.</summary>
    public async ValueTask DropAsync()
    {
        if (db is not null)
        {
            var dropped = db;
            db = null;
            await dropped.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => DropAsync();
}

/// <summary>Makes <see cref="OwnContext"/>s on the configured PostgreSQL database.</summary>
public sealed class OwnContexts(Func<PasslineDb> create)
{
    public OwnContext Create() => new(create);
}
