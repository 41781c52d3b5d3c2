using System.Collections.Concurrent;

namespace Passline.Channels.Simulator;

/// <summary>
/// Tells a waiting <c>GET /simulator/{instance}/outbox?chat_id=&amp;wait=</c> that a message to its chat was just sent, so
/// that a simulated phone (a test, the benchmark) waits for its reply instead of polling for it. In this process only:
/// a message sent by another node is found when the wait runs out.
/// </summary>
public sealed class SimulatorMailbox
{
    private readonly ConcurrentDictionary<(Guid Instance, string Chat), TaskCompletionSource> waiting = new();

    /// <summary>Completes when the next message to <paramref name="chat"/> has been stored as sent.</summary>
    public Task Next(Guid instance, string chat) =>
        waiting.GetOrAdd((instance, chat), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Sent(Guid instance, string chat)
    {
        if (waiting.TryRemove((instance, chat), out var sent))
        {
            sent.TrySetResult();
        }
    }

    /// <summary>A waiter that gave up leaves no entry behind (one still waiting on it then finds its message by its timeout).</summary>
    public void Forget(Guid instance, string chat, Task next)
    {
        if (waiting.TryGetValue((instance, chat), out var entry) && entry.Task == next)
        {
            waiting.TryRemove(KeyValuePair.Create((instance, chat), entry));
        }
    }
}
