using Passline.Outbox;

namespace Passline.Channels.Simulator;

/// <summary>
/// Tells a waiting <c>GET /simulator/{instance}/outbox?chat_id=&amp;wait=</c> that a message to its chat was just sent, so
/// that a simulated phone (a test, the benchmark) waits for its reply instead of polling for it. In this process only:
/// a message sent by another node is found when the wait runs out.
/// </summary>
public sealed class SimulatorMailbox : KeyedSignal<(Guid Instance, string Chat)>;
