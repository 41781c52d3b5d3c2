namespace Passline.Outbox;

/// <summary>
/// Wakes the delivery workers as soon as a transaction in this process has committed work for them, so that a reply
/// leaves at once instead of at the next poll. Every waiting worker wakes (a broadcast). Other nodes find the rows by
/// polling.
/// </summary>
public sealed class OutboxSignal
{
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The next notification. A worker takes it before it looks for work, so that work queued while it looks is not missed.
    /// </summary>
    public Task Next() => Volatile.Read(ref wake).Task;

    public void Notify() =>
        Interlocked.Exchange(ref wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns when <paramref name="notified"/> completes or <paramref name="poll"/> has passed on <paramref name="time"/>'s clock.</summary>
    public static async Task WaitAsync(Task notified, TimeSpan poll, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(notified, Task.Delay(poll, time, timeout.Token));
        await timeout.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
