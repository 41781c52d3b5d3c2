namespace Passline.Outbox;

/// <summary><c>Passline:Workers</c>: the background workers (outbound messages, callbacks, expiry).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Passline:Workers";

    /// <summary>Run the workers in this process. A node may serve HTTP only; the rows wait for a node that works them.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often a worker looks for due rows when nothing in this process woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
