using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Storage;

namespace Passline.Instances;

/// <summary>
/// Bearer-token authentication of <c>/api/otp/v2/{instance}</c> (SPEC 2, 2.1): 401 for a missing, malformed,
/// unknown or revoked token; 404 for an unknown instance; 403 for a valid token of another instance.
/// </summary>
public static class InstanceAuth
{
    public static TBuilder RequireInstanceToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(AuthenticateAsync);

    /// <summary>The instance the current request was authenticated for.</summary>
    public static Instance AuthenticatedInstance(this HttpContext context) =>
        context.Features.Get<Instance>() ?? throw new InvalidOperationException("The endpoint does not require an instance token.");

    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (BearerToken(context.Request.Headers.Authorization.ToString()) is not { } token)
        {
            return ApiError.Unauthenticated();
        }

        var cache = context.RequestServices.GetRequiredService<InstanceCache>();
        var hash = Secrets.Hash(token);
        var owner = cache.ByToken(hash);
        if (owner is null)
        {
            owner = await context.RequestServices.GetRequiredService<PasslineDb>().ApiTokens.AsNoTracking()
                .Where(t => t.Hash == hash && t.RevokedAt == null)
                .Select(t => t.Instance)
                .FirstOrDefaultAsync(context.RequestAborted);
            if (owner is null)
            {
                return ApiError.Unauthenticated();
            }

            cache.AddToken(hash, owner);
        }

        var routeValue = context.Request.RouteValues["instance"] as string;
        if (!Guid.TryParse(routeValue, out var instanceId))
        {
            return ApiError.NotFound("Instance not found.");
        }

        if (owner.Id != instanceId)
        {
            return await context.RequestServices.GetRequiredService<PasslineDb>().Instances.AnyAsync(i => i.Id == instanceId, context.RequestAborted)
                ? ApiError.Forbidden("This token does not belong to this instance.")
                : ApiError.NotFound("Instance not found.");
        }

        context.Features.Set(owner);
        return await next(invocation);
    }

    private static string? BearerToken(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[scheme.Length..].Trim();
        return token.Length is > 0 and <= 200 ? token : null;
    }
}
