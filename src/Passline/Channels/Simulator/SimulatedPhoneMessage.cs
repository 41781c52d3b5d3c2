namespace Passline.Channels.Simulator;

/// <summary>
/// A message the simulated phone's user sent (SPEC 4.4). Passline itself never keeps the text of an incoming message;
/// the phone does, as a real phone's chat does, so that its page can show both sides of the conversation.
/// </summary>
public sealed class SimulatedPhoneMessage
{
    public long Id { get; set; }
    public Guid InstanceId { get; set; }
    public required string ChatId { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset SentAt { get; set; }
}
