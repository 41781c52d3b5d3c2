using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace Passline.Api;

/// <summary>
/// The one error shape of the API (SPEC 2.1):
/// <c>{"success": false, "message": "...", "errors": {"field": ["..."]}}</c>.
/// Handlers, filters and the exception handler all answer through this type.
/// </summary>
public sealed class ApiError : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    private ApiError(int statusCode, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        StatusCode = statusCode;
        Message = message;
        Errors = errors;
    }

    public int StatusCode { get; }
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    public string Message { get; }
    public IReadOnlyDictionary<string, string[]>? Errors { get; }
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The <c>WWW-Authenticate</c> challenge of a 401 (RFC 9110, 11.6.1): how to authenticate.</summary>
    public string? Challenge { get; init; }

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message, null);
    public static ApiError Unauthenticated() => new(StatusCodes.Status401Unauthorized, "Unauthenticated.", null) { Challenge = "Bearer" };
    public static ApiError Forbidden(string message) => new(StatusCodes.Status403Forbidden, message, null);
    public static ApiError NotFound(string message) => new(StatusCodes.Status404NotFound, message, null);
    public static ApiError Conflict(string message) => new(StatusCodes.Status409Conflict, message, null);
    public static ApiError Gone(string message) => new(StatusCodes.Status410Gone, message, null);
    /// <summary>The body is over <paramref name="limit"/> bytes, the limit the request was under (<see cref="JsonBody.Limit"/>).</summary>
    public static ApiError TooLarge(long? limit) =>
        new(StatusCodes.Status413PayloadTooLarge, limit is { } bytes ? $"The request body must not be larger than {BodyLimitOptions.Describe(bytes)}." : "The request body is too large.", null);
    public static ApiError UnsupportedMediaType() => new(StatusCodes.Status415UnsupportedMediaType, "The request body must be JSON (Content-Type: application/json).", null);
    public static ApiError ServerError() => new(StatusCodes.Status500InternalServerError, "Server error.", null);

    /// <summary>The database is briefly unreachable (a restart, a failover): nothing was done, try again shortly.</summary>
    public static ApiError Unavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, "Service briefly unavailable, please retry.", null) { RetryAfter = TimeSpan.FromSeconds(1) };

    public static ApiError Status(int statusCode, string message) => new(statusCode, message, null);

    public static ApiError TooManyRequests(string message, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, message, null) { RetryAfter = retryAfter };

    public static ApiError Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(StatusCodes.Status422UnprocessableEntity, "The given data was invalid.", errors);

    public static ApiError Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>A 422 whose message says what went wrong, as validate-code's failures do (SPEC 2.3).</summary>
    public static ApiError Unprocessable(string message, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(StatusCodes.Status422UnprocessableEntity, message, errors);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        SetStatusAndHeaders(httpContext.Response);
        return httpContext.Response.WriteAsJsonAsync(new ErrorBody(false, Message, Errors), ApiJson.Options);
    }

    /// <summary>The status and the headers that go with it (<c>Retry-After</c>, <c>WWW-Authenticate</c>), for any body.</summary>
    public void SetStatusAndHeaders(HttpResponse response)
    {
        response.StatusCode = StatusCode;
        if (RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Challenge is not null)
        {
            response.Headers.WWWAuthenticate = Challenge;
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        foreach (var status in new[] { 400, 401, 403, 404, 409, 413, 415, 422, 429 })
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ErrorBody), ["application/json"]));
        }
    }
}

public sealed record ErrorBody(
    bool Success,
    string Message,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyDictionary<string, string[]>? Errors);
