using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Passline.Tests.Infrastructure;

/// <summary>Provider webhooks in their documented shapes (shared/fixtures), signed as each provider signs them.</summary>
public static class Webhooks
{
    public const string FixtureCode = "RDYFQUBX";

    public static JsonObject Fixture(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name)))!.AsObject();

    /// <summary>A WAHA <c>message</c> event from <paramref name="from"/> saying <paramref name="text"/>.</summary>
    public static string WahaMessage(string text, string from = "201063178738@c.us", string? id = null, bool fromMe = false, string @event = "message")
    {
        var json = Fixture("waha-message.json");
        json["event"] = @event;
        var payload = json["payload"]!.AsObject();
        payload["body"] = text;
        payload["from"] = from;
        payload["fromMe"] = fromMe;
        payload["id"] = id ?? $"false_{from}_{Guid.NewGuid():N}";
        return json.ToJsonString();
    }

    /// <summary>A Cloud API webhook with one text from <paramref name="from"/> (a wa_id).</summary>
    public static string CloudApiText(string text, string from = "16505551234", string? id = null, string phoneNumberId = "106540352242922")
    {
        var json = Fixture("cloud-api-text-message.json");
        var value = json["entry"]![0]!["changes"]![0]!["value"]!;
        value["metadata"]!["phone_number_id"] = phoneNumberId;
        value["contacts"]![0]!["wa_id"] = from;
        var message = value["messages"]![0]!;
        message["from"] = from;
        message["id"] = id ?? $"wamid.{Guid.NewGuid():N}";
        message["text"]!["body"] = text;
        return json.ToJsonString();
    }

    /// <summary>A Cloud API webhook that batches several texts in one change, as Meta does under load.</summary>
    public static JsonObject CloudApiBatch(IEnumerable<(string From, string Text)> texts)
    {
        var json = Fixture("cloud-api-text-message.json");
        var value = json["entry"]![0]!["changes"]![0]!["value"]!;
        value["contacts"]!.AsArray().Clear();
        value["messages"]!.AsArray().Clear();
        foreach (var (from, text) in texts)
        {
            var one = JsonNode.Parse(CloudApiText(text, from))!["entry"]![0]!["changes"]![0]!["value"]!;
            value["contacts"]!.AsArray().Add(one["contacts"]![0]!.DeepClone());
            value["messages"]!.AsArray().Add(one["messages"]![0]!.DeepClone());
        }

        return json;
    }

    public static string Message(string code, string name = "Acme") => $"Give me link to login at {name} [{code}] - DO NOT CHANGE THIS MESSAGE";

    // The signatures are computed here independently of Passline's code.
    public static string WahaSignature(string body, string key) =>
        Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body)));

    public static string CloudApiSignature(string body, string appSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(body)));

    public static HttpRequestMessage SignedWaha(Guid instance, string body, string key) =>
        new(HttpMethod.Post, $"/webhooks/waha/{instance}")
        {
            Content = Json.Body(body),
            Headers = { { "X-Webhook-Hmac", WahaSignature(body, key) }, { "X-Webhook-Hmac-Algorithm", "sha512" } },
        };

    public static HttpRequestMessage SignedCloudApi(Guid instance, string body, string appSecret) =>
        new(HttpMethod.Post, $"/webhooks/cloud-api/{instance}")
        {
            Content = Json.Body(body),
            Headers = { { "X-Hub-Signature-256", CloudApiSignature(body, appSecret) } },
        };
}
