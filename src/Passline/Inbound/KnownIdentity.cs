namespace Passline.Inbound;

/// <summary>
/// A provider's user id (a WAHA <c>@lid</c>, a Cloud API BSUID) resolved to a phone number, remembered per instance
/// (SPEC 1) so that the next message from that user needs no lookup.
/// </summary>
public sealed class KnownIdentity
{
    public Guid InstanceId { get; set; }
    public required string UserId { get; set; }

    /// <summary><c>+</c> and digits.</summary>
    public required string Phone { get; set; }

    public DateTimeOffset ResolvedAt { get; set; }
}
