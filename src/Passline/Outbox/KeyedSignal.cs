using System.Collections.Concurrent;

namespace Passline.Outbox;

/// <summary>
/// Wakes whoever waits on one key (a request, a chat) when something about that key has just been committed in this
/// process, and no one else: the keyed sibling of <see cref="OutboxSignal"/>, for waiters that each care about one thing.
/// Changes made by other nodes are not seen here; a waiter finds them when its wait runs out.
/// </summary>
public abstract class KeyedSignal<TKey> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TaskCompletionSource> waiting = new();

    /// <summary>
    /// Completes at the next <see cref="Notify"/> of <paramref name="key"/>. Take it before looking, so that a change
    /// committed while you look is not missed; call <see cref="Forget"/> when you stop waiting.
    /// </summary>
    public Task Next(TKey key) =>
        waiting.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Notify(TKey key)
    {
        if (waiting.TryRemove(key, out var changed))
        {
            changed.TrySetResult();
        }
    }

    /// <summary>
    /// A waiter that gave up leaves no entry behind. Another one still waiting on the same entry then finds its change
    /// when its own wait runs out.
    /// </summary>
    public void Forget(TKey key, Task next)
    {
        if (waiting.TryGetValue(key, out var entry) && entry.Task == next)
        {
            waiting.TryRemove(KeyValuePair.Create(key, entry));
        }
    }
}
