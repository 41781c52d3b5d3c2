namespace Passline.Channels.Simulator;

public sealed class SimulatorOptions
{
    public const string Section = "Passline:Simulator";

    /// <summary>
    /// <c>Passline:Simulator:Enabled</c>: whether simulator instances, the demo and the simulated phone work.
    /// True in Development, else false (SPEC 4.4, 8).
    /// </summary>
    public bool Enabled { get; set; }
}
