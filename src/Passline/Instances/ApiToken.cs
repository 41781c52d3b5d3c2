namespace Passline.Instances;

/// <summary>A bearer token for one instance. Only the SHA-256 of the token is stored (SPEC 1).</summary>
public sealed class ApiToken
{
    public Guid Id { get; set; }
    public Guid InstanceId { get; set; }
    public Instance? Instance { get; set; }
    public required byte[] Hash { get; set; }

    /// <summary>The last characters of the token, so an operator can tell tokens apart.</summary>
    public required string Hint { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
