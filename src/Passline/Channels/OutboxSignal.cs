using System.Threading.Channels;

namespace Passline.Channels;

/// <summary>
/// Wakes a delivery worker as soon as a transaction in this process has committed work for it, so that a reply
/// leaves at once instead of at the next poll. Other nodes find the rows by polling.
/// </summary>
public sealed class OutboxSignal
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => wake.Writer.TryWrite(true);

    /// <summary>Returns when notified or when <paramref name="poll"/> has passed on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan poll, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(poll, time, timeout.Token);
        var notified = wake.Reader.ReadAsync(timeout.Token).AsTask();
        await Task.WhenAny(delay, notified);
        await timeout.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
