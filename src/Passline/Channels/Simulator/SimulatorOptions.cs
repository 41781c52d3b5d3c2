using Passline.Api;
using Passline.Instances;

namespace Passline.Channels.Simulator;

public sealed class SimulatorOptions
{
    public const string Section = "Passline:Simulator";

    /// <summary>
    /// <c>Passline:Simulator:Enabled</c>: whether simulator instances, the demo and the simulated phone work.
    /// True in Development, else false (SPEC 4.4, 8).
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The answer to a request for a simulator instance while the simulator is off: a 409, since nothing would be sent,
    /// and its messages would show as sent all the same. Null for any other instance.
    /// </summary>
    public ApiError? Refuses(Instance instance) => instance.Provider == Providers.Simulator && !Enabled
        ? ApiError.Conflict("This instance uses the simulator provider, which is off (Passline:Simulator:Enabled): nothing would be sent. Give it a real provider with instance update --provider.")
        : null;
}
