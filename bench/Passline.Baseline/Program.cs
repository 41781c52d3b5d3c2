using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

// The bare endpoint: Kestrel, minimal API, the generate-link body parsed as JSON (as Passline parses it) and an answer of
// the same shape and size (a fresh uuid v7 and code, the wa.me link, timestamps) serialised with the same conventions.
// What it leaves out is what Passline adds: the token check, field validation, rate limits, the database and logging.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
    o.SerializerOptions.TypeInfoResolverChain.Insert(0, BaselineJson.Default);
});
var app = builder.Build();

const string Phone = "15550001234";
app.MapGet("/healthz", () => "ok");
app.MapPost("/api/otp/v2/{instance}/generate-link", async (string instance, HttpRequest request) =>
{
    using var body = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
    var root = body.RootElement;
    var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : instance;
    var expires = root.TryGetProperty("expires", out var e) && e.TryGetInt32(out var seconds) ? seconds : 1800;
    var prompt = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object
        && m.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "Login at {name}";

    var now = TimeProvider.System.GetUtcNow();
    var code = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 8);
    var id = Guid.CreateVersion7(now);
    var text = $"{prompt.Replace("{name}", name, StringComparison.Ordinal)} [{code}] - DO NOT CHANGE THIS MESSAGE";
    return TypedResults.Ok(new Answer(true, "OTP link request created successfully", new LinkData(
        id, code, null, "pending", "link", Timestamp(now.AddSeconds(expires)), Timestamp(now),
        $"https://wa.me/{Phone}?text={Uri.EscapeDataString(text)}", $"{request.Scheme}://{request.Host}/l/{id}")));
});

app.Run();

static string Timestamp(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);

internal sealed record Answer(bool Success, string Message, LinkData Data);

internal sealed record LinkData(
    Guid Uuid, string Code, string? ChatId, string Status, string OtpType, string ExpiresAt, string CreatedAt, string WhatsappLink, string LinkUrl);

[JsonSerializable(typeof(Answer))]
internal sealed partial class BaselineJson : JsonSerializerContext;
