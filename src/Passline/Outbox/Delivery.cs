using System.Globalization;
using System.Net;

namespace Passline.Outbox;

public enum DeliveryOutcome
{
    Delivered,
    Retry,
    GiveUp,
}

/// <summary>What one HTTP delivery attempt (to a provider or a callback receiver) came to.</summary>
/// <param name="AsText">A message that could go as a button went as plain text (the provider refused the button).</param>
public sealed record DeliveryResult(DeliveryOutcome Outcome, int? StatusCode, string? Error, TimeSpan? RetryAfter = null, string? ProviderMessageId = null, bool AsText = false)
{
    /// <summary>The stored row is itself the recipient's copy (the simulator's phone reads the outbox), so it is kept whole.</summary>
    public bool StoredIsDelivered { get; init; }

    public string OutcomeName => Outcome switch
    {
        DeliveryOutcome.Delivered => "delivered",
        DeliveryOutcome.Retry => "retry",
        _ => "gave_up",
    };
}

/// <summary>The retry policy shared by the outboxes (SPEC 5, 7).</summary>
public static class Delivery
{
    /// <summary>
    /// Timeouts, 408, 429 and 5xx are worth another try; any other 4xx is permanent. <c>Retry-After</c>
    /// (seconds or an HTTP date) is honoured.
    /// </summary>
    public static DeliveryResult Classify(HttpResponseMessage response, DateTimeOffset now, string? providerMessageId = null)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new(DeliveryOutcome.Delivered, status, null, null, providerMessageId);
        }

        return Refused(response, now, $"HTTP {status} {response.ReasonPhrase}".TrimEnd());
    }

    /// <summary>
    /// A refusal, recorded as <paramref name="error"/>: worth another try on a 408, 429 or 5xx, or when the provider's
    /// own answer says it will pass (<paramref name="passing"/>); permanent otherwise.
    /// </summary>
    public static DeliveryResult Refused(HttpResponseMessage response, DateTimeOffset now, string error, bool passing = false) =>
        passing || (int)response.StatusCode is 408 or 429 or >= 500
            ? Transient(response, now, error)
            : new(DeliveryOutcome.GiveUp, (int)response.StatusCode, error);

    /// <summary>
    /// A refusal worth another try, as a 5xx is: for one that a provider's own answer marks as passing (WAHA's session
    /// not ready), with <paramref name="error"/> saying so.
    /// </summary>
    public static DeliveryResult Transient(HttpResponseMessage response, DateTimeOffset now, string error) =>
        new(DeliveryOutcome.Retry, (int)response.StatusCode, error, RetryAfter(response, now));

    /// <summary>No answer in time: worth another try.</summary>
    public static readonly DeliveryResult TimedOut = new(DeliveryOutcome.Retry, null, "timed out");

    public static DeliveryResult Failure(Exception exception) => exception switch
    {
        TaskCanceledException or TimeoutException => TimedOut,
        HttpRequestException e => new(DeliveryOutcome.Retry, null, e.HttpRequestError == HttpRequestError.Unknown ? e.Message : e.HttpRequestError.ToString()),
        _ => new(DeliveryOutcome.Retry, null, exception.GetType().Name),
    };

    /// <summary>
    /// Exponential backoff with jitter: 2 s, 4 s, 8 s … capped at <paramref name="cap"/>, each drawn from 50–100 % of
    /// that, so that many rows failing together do not retry together.
    /// </summary>
    public static TimeSpan Backoff(int attempts, TimeSpan cap)
    {
        var exponential = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(attempts, 20)));
        var ceiling = exponential < cap ? exponential : cap;
        return ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            return date > now ? date - now : TimeSpan.Zero;
        }

        // Some servers send a bare number that HttpHeaders does not parse as Retry-After; read it by hand.
        return response.Headers.TryGetValues("Retry-After", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : null;
    }

    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
