using System.Collections.Frozen;
using System.Text.Json;
using Passline.Outbox;
using static Passline.Channels.ProviderJson;

namespace Passline.Channels.CloudApi;

/// <summary>
/// Meta's refusal of a send: <c>{"error": {"message": "(#130429) Rate limit hit", "type", "code": 130429, "error_data":
/// {"messaging_product", "details"}, "fbtrace_id"}}</c>. Meta asks that refusals be handled by their <c>code</c>, not
/// the HTTP status, which differs for one limit (a throughput limit comes as a 400 as well as a 429): by the status
/// alone, a reply that only had to wait would be given up.
/// </summary>
/// <param name="Title">Meta's <c>message</c> without its <c>(#code)</c> prefix, as a failed status's title.</param>
public sealed record CloudApiError(int Code, string Title)
{
    /// <summary>
    /// Limits that pass (the app's calls 4, the account's 80007, the number's throughput 130429, its spam rate 131048,
    /// one user's pair rate 131056) and Meta's own passing trouble (2, 131000, 131016, 133004): another try later.
    /// </summary>
    private static readonly FrozenSet<int> Passing = FrozenSet.ToFrozenSet([4, 80007, 130429, 131048, 131056, 2, 131000, 131016, 133004]);

    /// <summary>
    /// Refusals of the token, the account or the recipient, which the text form of a button would meet as well:
    /// authentication (0, 190), permissions (3, 10, 200-299), a policy block (368), the recipient (131021, 131026,
    /// 131030, 131031), payment (131042), the 24-hour window (131047).
    /// </summary>
    private static readonly FrozenSet<int> Recipient = FrozenSet.ToFrozenSet([0, 3, 10, 190, 368, 131021, 131026, 131030, 131031, 131042, 131047]);

    /// <summary>One user may get a message about every 6 s (Meta's pair rate): a 131056 waits at least that long.</summary>
    private static readonly TimeSpan PairRate = TimeSpan.FromSeconds(6);

    /// <summary>Whether the text form of a refused button would be refused too: then it is not sent.</summary>
    public bool RefusesAnyMessage => Recipient.Contains(Code) || Code is >= 200 and <= 299;

    /// <summary>The attempt's outcome, recorded as <c>HTTP 400 131030 Recipient phone number not in allowed list</c>.</summary>
    public DeliveryResult Classify(HttpResponseMessage response, DateTimeOffset now)
    {
        var result = Delivery.Refused(response, now, $"HTTP {(int)response.StatusCode} {Code} {Title}".TrimEnd(), passing: Passing.Contains(Code));
        return Code == 131056 && result.Outcome == DeliveryOutcome.Retry && !(result.RetryAfter >= PairRate)
            ? result with { RetryAfter = PairRate }
            : result;
    }

    /// <summary>Meta's error in a refusal's body; null when the body is not one.</summary>
    public static async Task<CloudApiError?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var error = Property(json.RootElement, "error");
            if (Property(error, "code") is not { ValueKind: JsonValueKind.Number } number || !number.TryGetInt32(out var code))
            {
                return null;
            }

            var message = Text(error, "message") ?? "";
            var prefix = $"(#{code}) ";
            var title = message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
            return new(code, title.Length > 200 ? title[..200] : title);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
