namespace Passline.Storage;

/// <summary>
/// One unit of work: what a writer reads and changes between its transaction's start and its commit. What it adds is
/// saved and committed together with what it updates; actions registered with <see cref="AfterCommit"/> (waking a
/// worker, say) run only once the commit has succeeded.
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
/// The one way to write (SPEC 3): runs a unit of work in a transaction of its own, saves what it added, commits, then
/// runs its after-commit actions. The caller has nothing to remember: no transaction to open, no save, no wake-up.
/// </summary>
public sealed class Writes(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<T> RunAsync<T>(Func<UnitOfWork, Task<T>> unit, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
        var work = new UnitOfWork(db, time.GetUtcNow(), cancellationToken);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var result = await unit(work);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            work.Committed();
            return result;
        }
    }

    public Task RunAsync(Func<UnitOfWork, Task> unit, CancellationToken cancellationToken) =>
        RunAsync(async work =>
        {
            await unit(work);
            return true;
        }, cancellationToken);
}
