using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

// Full link flows against a running Passline, as many users at once as --users says: generate-link with a success
// callback to the receiver this program hosts, the user's WhatsApp message through the simulator, the reply read from
// the simulator's outbox, the verification page opened and Verify pressed, the token exchanged, and the signed
// callback received. Prints flows per second and whole-flow latency percentiles as key=value lines for bench/run.
var options = FlowOptions.Parse(args);
var instance = JsonNode.Parse(File.ReadAllText(options.InstanceFile))!;
var target = new Target(
    options.BaseUrl.TrimEnd('/'),
    instance["instance"]!.GetValue<string>(),
    instance["token"]!.GetValue<string>(),
    Convert.FromBase64String(instance["webhook_secret"]!.GetValue<string>()["whsec_".Length..]));

await using var receiver = await CallbackReceiver.StartAsync(target.SigningKey);
using var http = new HttpClient(new SocketsHttpHandler
{
    UseCookies = false, // each flow is a different browser; its cookie is carried by hand
    AllowAutoRedirect = false,
    UseProxy = false,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
})
{ Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new("Bearer", target.Token);

var run = Guid.NewGuid().ToString("N")[..8];
// Every flow is another WhatsApp user (the per-chat limit allows 10 messages a minute), also across runs on one instance.
var phonePrefix = $"20{Random.Shared.Next(100, 1000)}";
var flowNumber = 0L;
var clock = Stopwatch.StartNew();
var measureFrom = TimeSpan.FromSeconds(options.WarmupSeconds);
var measureTo = measureFrom + TimeSpan.FromSeconds(options.DurationSeconds);
var results = new ConcurrentBag<FlowResult>();
var allCompleted = 0;
var errors = new ConcurrentDictionary<string, int>();

await Task.WhenAll(Enumerable.Range(0, options.Users).Select(_ => Task.Run(async () =>
{
    while (clock.Elapsed < measureTo)
    {
        var n = Interlocked.Increment(ref flowNumber);
        var started = clock.Elapsed;
        try
        {
            var steps = await Flow.RunAsync(http, target, receiver, $"{phonePrefix}{n:D8}", $"bench-{run}-{n}", options.CallbackTimeout);
            var finished = clock.Elapsed;
            Interlocked.Increment(ref allCompleted);
            if (finished >= measureFrom && finished <= measureTo)
            {
                results.Add(new FlowResult(finished - started, steps));
            }
        }
        catch (Exception e) when (e is FlowException or HttpRequestException or TaskCanceledException or TimeoutException or JsonException)
        {
            if (clock.Elapsed >= measureFrom)
            {
                errors.AddOrUpdate(e is FlowException ? e.Message : e.GetType().Name, 1, (_, count) => count + 1);
            }
        }
    }
})));

var latencies = results.Select(r => r.Total.TotalMilliseconds).Order().ToArray();
string Fixed(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
double Percentile(double p) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p / 100 * latencies.Length) - 1)];
Console.WriteLine($"flows_completed={latencies.Length}");
Console.WriteLine($"flows_all_completed={allCompleted}");
Console.WriteLine($"flows_per_s={Fixed(latencies.Length / options.DurationSeconds)}");
Console.WriteLine($"flow_p50_ms={Fixed(Percentile(50))}");
Console.WriteLine($"flow_p95_ms={Fixed(Percentile(95))}");
Console.WriteLine($"flow_p99_ms={Fixed(Percentile(99))}");
Console.WriteLine($"flow_errors={errors.Values.Sum()}");
Console.WriteLine($"callback_bad_signatures={receiver.BadSignatures}");
foreach (var step in Steps.Names)
{
    var mean = results.IsEmpty ? 0 : results.Average(r => r.Steps[Array.IndexOf(Steps.Names, step)].TotalMilliseconds);
    Console.WriteLine($"step_{step}_mean_ms={Fixed(mean)}");
}

foreach (var (message, count) in errors.OrderByDescending(e => e.Value).Take(5))
{
    Console.Error.WriteLine($"flow error x{count}: {message}");
}

return latencies.Length > 0 && errors.IsEmpty && receiver.BadSignatures == 0 ? 0 : 1;

internal sealed record FlowOptions(string BaseUrl, string InstanceFile, int Users, double WarmupSeconds, double DurationSeconds, TimeSpan CallbackTimeout)
{
    public static FlowOptions Parse(string[] args)
    {
        string Value(string name, string? fallback = null)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1]
                : fallback ?? throw new ArgumentException($"missing {name}");
        }

        double Number(string name, string fallback) => double.Parse(Value(name, fallback), CultureInfo.InvariantCulture);
        return new(Value("--base"), Value("--instance-file"), (int)Number("--users", "64"), Number("--warmup", "5"), Number("--duration", "20"),
            TimeSpan.FromSeconds(Number("--timeout", "30")));
    }
}

internal sealed record Target(string BaseUrl, string Instance, string Token, byte[] SigningKey);

internal sealed record FlowResult(TimeSpan Total, TimeSpan[] Steps);

internal sealed class FlowException(string message) : Exception(message);

internal static class Steps
{
    public static readonly string[] Names = ["generate", "inbound", "reply_wait", "page", "verify", "exchange", "callback_wait"];
}

internal static partial class Flow
{
    public static async Task<TimeSpan[]> RunAsync(HttpClient http, Target target, CallbackReceiver receiver, string phone, string messageId, TimeSpan callbackTimeout)
    {
        var steps = new TimeSpan[Steps.Names.Length];
        var watch = Stopwatch.StartNew();
        void Lap(int step)
        {
            steps[step] = watch.Elapsed;
            watch.Restart();
        }

        var api = $"{target.BaseUrl}/api/otp/v2/{target.Instance}";
        var created = await PostJsonAsync(http, $"{api}/generate-link",
            $$"""{"name": "Bench", "callback": {"success": "{{receiver.Url}}"}, "redirect": "http://bench.example/done"}""");
        var uuid = Guid.Parse(created["data"]!["uuid"]!.GetValue<string>());
        var code = created["data"]!["code"]!.GetValue<string>();
        var callback = receiver.Expect(uuid);
        Lap(0);

        var inbound = await PostJsonAsync(http, $"{target.BaseUrl}/simulator/{target.Instance}/inbound",
            $$"""{"from": "{{phone}}", "text": "Give me link to login at Bench [{{code}}] - DO NOT CHANGE THIS MESSAGE", "id": "{{messageId}}"}""");
        if (inbound["data"]?["outcome"]?.GetValue<string>() is not "matched")
        {
            throw new FlowException($"inbound outcome {inbound["data"]?["outcome"]}");
        }

        Lap(1);

        var verificationPath = await WaitForReplyAsync(http, target, phone);
        Lap(2);

        using var page = await http.GetAsync(target.BaseUrl + verificationPath);
        var html = await page.Content.ReadAsStringAsync();
        var field = AntiforgeryField().Match(html);
        if (page.StatusCode != HttpStatusCode.OK || !field.Success)
        {
            throw new FlowException($"verification page {(int)page.StatusCode} without a form");
        }

        var cookie = string.Join("; ", page.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.Select(c => c.Split(';')[0]) : []);
        Lap(3);

        using var verify = new HttpRequestMessage(HttpMethod.Post, target.BaseUrl + verificationPath)
        {
            Content = new FormUrlEncodedContent([
                new(field.Groups[1].Value, WebUtility.HtmlDecode(field.Groups[2].Value)), new("device", DeviceField().Match(html).Groups[1].Value), new("action", "verify")]),
        };
        verify.Headers.Add("Cookie", cookie);
        using var verified = await http.SendAsync(verify);
        var exchangeToken = verified.StatusCode == HttpStatusCode.SeeOther && verified.Headers.Location is { } location
            ? OtpToken().Match(location.OriginalString) is { Success: true } m ? Uri.UnescapeDataString(m.Groups[1].Value) : null
            : null;
        if (exchangeToken is null)
        {
            throw new FlowException($"Verify answered {(int)verified.StatusCode} without a redirect carrying otp_token");
        }

        Lap(4);

        var exchanged = await PostJsonAsync(http, $"{api}/exchange", JsonSerializer.Serialize(new { token = exchangeToken }));
        if (exchanged["data"]?["uuid"]?.GetValue<string>() != uuid.ToString())
        {
            throw new FlowException("exchange returned another request");
        }

        Lap(5);

        await callback.WaitAsync(callbackTimeout);
        Lap(6);
        return steps;
    }

    private static async Task<string> WaitForReplyAsync(HttpClient http, Target target, string phone)
    {
        // The simulator's outbox answers when the reply has been sent (wait=): a phone waits for its reply, it does not poll.
        var url = $"{target.BaseUrl}/simulator/{target.Instance}/outbox?chat_id={phone}%40c.us&wait=20";
        using var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        var messages = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        if (messages.Count == 0)
        {
            throw new FlowException("no reply in the simulator outbox within 20 s");
        }

        var text = messages[^1]!["text"]!.GetValue<string>();
        return VerificationLink().Match(text) is { Success: true } link
            ? new Uri(link.Value).AbsolutePath
            : throw new FlowException("the reply has no verification link");
    }

    private static async Task<JsonNode> PostJsonAsync(HttpClient http, string url, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(url, content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new FlowException($"{new Uri(url).AbsolutePath.Split('/')[^1]} answered {(int)response.StatusCode}");
        }

        return JsonNode.Parse(text)!;
    }

    [GeneratedRegex(@"https?://[^\s]+/v/[A-Za-z0-9_-]+")]
    private static partial Regex VerificationLink();

    // The pages are Razor components, which write void elements as <input ... />.
    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]+)"\s*/?>""")]
    private static partial Regex AntiforgeryField();

    // Which device binding the page showed: a Verify without it is shown the page again (409).
    [GeneratedRegex("""name="device" value="([^"]+)""")]
    private static partial Regex DeviceField();

    [GeneratedRegex("[?&]otp_token=([^&#]+)")]
    private static partial Regex OtpToken();
}

/// <summary>The application's callback endpoint: checks each Standard Webhooks signature and completes the waiting flow.</summary>
internal sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> waiting = new();
    private readonly WebApplication app;
    private readonly byte[] key;
    private int badSignatures;

    private CallbackReceiver(WebApplication app, byte[] key)
    {
        this.app = app;
        this.key = key;
    }

    public string Url { get; private set; } = "";

    public int BadSignatures => Volatile.Read(ref badSignatures);

    public static async Task<CallbackReceiver> StartAsync(byte[] key)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var receiver = new CallbackReceiver(builder.Build(), key);
        receiver.app.MapPost("/cb", receiver.ReceiveAsync);
        await receiver.app.StartAsync();
        receiver.Url = receiver.app.Urls.First() + "/cb";
        return receiver;
    }

    public Task Expect(Guid uuid) => waiting.GetOrAdd(uuid, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = request.Headers["webhook-id"].ToString();
        var timestamp = request.Headers["webhook-timestamp"].ToString();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        if (!request.Headers["webhook-signature"].ToString().Split(' ').Contains(expected))
        {
            Interlocked.Increment(ref badSignatures);
            return Results.BadRequest();
        }

        var uuid = Guid.Parse(JsonNode.Parse(body)!["uuid"]!.GetValue<string>());
        waiting.GetOrAdd(uuid, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        waiting.TryRemove(uuid, out _);
        return Results.NoContent();
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
