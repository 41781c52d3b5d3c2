namespace Passline.Callbacks;

public sealed class CallbackOptions
{
    public const string Section = "Passline:Callbacks";

    /// <summary>
    /// <c>Passline:Callbacks:AllowPrivateNetworks</c>: whether callbacks may go to loopback, private and
    /// link-local addresses, and over plain http. True in Development, else false (SPEC 7).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}
