using System.Collections.ObjectModel;
using System.Net;
using System.Text.Json;

namespace Passline.Client;

/// <summary>
/// Passline answered with an error status, or with a success whose body was not the expected JSON.
/// <see cref="Exception.Message"/> is the server's message when it sent one.
/// </summary>
public sealed class PasslineApiException : Exception
{
    /// <summary>An error answer.</summary>
    /// <param name="statusCode">The HTTP status of the answer.</param>
    /// <param name="message">The server's message, or a description of the answer when it had none.</param>
    /// <param name="errors">Field errors of a 422, keyed by the field's dotted path; null for none.</param>
    /// <param name="retryAfter">How long to wait before trying again, from the <c>Retry-After</c> header.</param>
    /// <param name="innerException">What failed while reading the answer, if anything.</param>
    public PasslineApiException(
        HttpStatusCode statusCode, string message, IReadOnlyDictionary<string, string[]>? errors = null,
        TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Errors = errors ?? ReadOnlyDictionary<string, string[]>.Empty;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>
    /// Field errors of a validation failure (422), keyed by the field's dotted path such as <c>message.success</c>;
    /// empty when the answer had none.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>How long to wait before trying again (the <c>Retry-After</c> header of a 429), or null.</summary>
    public TimeSpan? RetryAfter { get; }

    internal static async Task<PasslineApiException> FromErrorResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var retryAfter = ReadRetryAfter(response);

        ErrorEnvelope? error = null;
        if (body.Length > 0)
        {
            try
            {
                error = JsonSerializer.Deserialize(body, PasslineJson.Default.ErrorEnvelope);
            }
            catch (JsonException)
            {
                // Not Passline's error shape: typically a proxy or load balancer page in front of it.
            }
        }

        var message = string.IsNullOrWhiteSpace(error?.Message)
            ? $"Passline answered {Describe(response)} without a JSON error message."
            : error.Message;
        return new PasslineApiException(status, message, error?.Errors, retryAfter);
    }

    internal static PasslineApiException UnexpectedBody(HttpResponseMessage response, Exception? innerException) =>
        new(response.StatusCode, $"Passline answered {Describe(response)} with a body that is not the expected JSON.",
            innerException: innerException);

    private static string Describe(HttpResponseMessage response)
    {
        var code = (int)response.StatusCode;
        var reason = string.IsNullOrEmpty(response.ReasonPhrase) ? response.StatusCode.ToString() : response.ReasonPhrase;
        return reason == code.ToString(System.Globalization.CultureInfo.InvariantCulture) ? $"HTTP {code}" : $"HTTP {code} ({reason})";
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            // An HTTP date is measured against the server's clock, when it says what that is.
            var now = response.Headers.Date ?? TimeProvider.System.GetUtcNow();
            return date > now ? date - now : TimeSpan.Zero;
        }

        return null;
    }
}
