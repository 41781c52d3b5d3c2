using Passline.Storage;

namespace Passline.Instances;

/// <summary>Creating instances and tokens: shared by the command line and the first-start demo.</summary>
public static class InstanceAdmin
{
    public sealed record Created(Instance Instance, Guid TokenId, string Token);

    public static async Task<Created> CreateAsync(PasslineDb db, TimeProvider time, Instance instance, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        instance.Id = Guid.CreateVersion7(now);
        instance.CreatedAt = now;
        instance.WebhookSecret = Secrets.NewWebhookSecret();
        db.Instances.Add(instance);
        var token = AddToken(db, instance.Id, now);
        await db.SaveChangesAsync(cancellationToken);
        return new Created(instance, token.Row.Id, token.Token);
    }

    /// <summary>Adds a token row (hash only) and returns the token, which is never stored or shown again.</summary>
    public static (ApiToken Row, string Token) AddToken(PasslineDb db, Guid instanceId, DateTimeOffset now)
    {
        var token = Secrets.NewApiToken();
        var row = new ApiToken
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instanceId,
            Hash = Secrets.Hash(token),
            Hint = token[^4..],
            CreatedAt = now,
        };
        db.ApiTokens.Add(row);
        return (row, token);
    }

    /// <summary>The origin (<c>scheme://host[:port]</c>, default port left out) of an absolute http(s) URL, or null.</summary>
    public static string? Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && uri.Host.Length > 0
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : null;
}
