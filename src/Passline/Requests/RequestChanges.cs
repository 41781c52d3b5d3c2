using Passline.Outbox;

namespace Passline.Requests;

/// <summary>
/// Wakes the live status streams of one request (its link page's server-sent events) when a transition of that request
/// commits in this process (<see cref="RequestLifecycle"/>). Only that request's streams wake: waking every open page
/// at every commit anywhere made each of them read its request again, so the cost grew with open pages times traffic.
/// </summary>
public sealed class RequestChanges : KeyedSignal<Guid>;
