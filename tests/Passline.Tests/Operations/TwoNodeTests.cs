using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Operations;

/// <summary>
/// Two Passline processes on one database (SPEC 8 "Several nodes"), both serving and both running workers: the same
/// webhook delivered to both, Verify posted to both. Each event has one effect: one verification, one WhatsApp reply,
/// one callback.
/// </summary>
public sealed partial class TwoNodeTests : IAsyncLifetime
{
    private const string HmacKey = "two-node-hmac";
    private const int Flows = 12;
    private TestDatabase database = null!;
    private LoopbackServer waha = null!;
    private LoopbackServer receiver = null!;
    private readonly List<Process> nodes = [];

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        waha = await LoopbackServer.StartAsync();
        waha.Respond = _ => new Answer(201, """{"id": "true_x@c.us_1"}""");
        receiver = await LoopbackServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            node.Dispose();
        }

        await waha.DisposeAsync();
        await receiver.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task ConcurrentFlowsThroughTwoNodesTakeEffectOnce()
    {
        var created = JsonNode.Parse(await RunCliAsync("instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "waha",
            "--waha-url", waha.BaseAddress.ToString(), "--waha-hmac-key", HmacKey, "--redirect-origin", "https://app.example.com"))!;
        var instance = Guid.Parse(created["instance"]!.GetValue<string>());
        var token = created["token"]!.GetValue<string>();
        Uri[] urls = [await StartNodeAsync(), await StartNodeAsync()];

        await Task.WhenAll(Enumerable.Range(0, Flows).Select(i => FlowAsync(i, urls, instance, token)));

        // Every reply and every callback, once, whichever node's worker took it.
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Count >= Flows), "a callback per flow", seconds: 30);
        await Task.Delay(1500); // longer than a worker's poll: a duplicate would show up by now
        Assert.Equal(Flows, waha.Received.Count);
        Assert.Equal(Flows, waha.Received.Select(r => JsonNode.Parse(r.Body)!["chatId"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(Flows, receiver.Received.Count);
        Assert.Equal(Flows, receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        Assert.All(receiver.Received, r => Assert.Equal("verified", JsonNode.Parse(r.Body)!["status"]!.GetValue<string>()));
    }

    private async Task FlowAsync(int i, Uri[] nodes, Guid instance, string token)
    {
        using var api = new HttpClient();
        api.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var generated = await api.PostAsync(new Uri(nodes[i % 2], $"/api/otp/v2/{instance}/generate-link"), Json.Body(
            new JsonObject { ["redirect"] = "https://app.example.com/in", ["callback"] = new JsonObject { ["success"] = new Uri(receiver.BaseAddress, "/cb").ToString() } }.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        var data = (await generated.ReadObjectAsync())["data"]!;
        var code = data["code"]!.GetValue<string>();
        var chat = $"2010{i:D8}@c.us";

        // The provider delivers the same webhook to both nodes at once.
        var body = WahaMessage(Message(code), from: chat, id: $"false_{chat}_{code}");
        var outcomes = await Task.WhenAll(nodes.Select(async node =>
        {
            using var http = new HttpClient { BaseAddress = node };
            var response = await http.SendAsync(SignedWaha(instance, body, HmacKey));
            return (await response.ReadObjectAsync())["outcome"]!.GetValue<string>();
        }));
        Assert.Equal(["duplicate", "matched"], outcomes.Order());

        var reply = (await waha.WaitForAsync(1, r => r.Body.Contains(chat, StringComparison.Ordinal))).Single();
        var path = new Uri(VerificationLink().Match(JsonNode.Parse(reply.Body)!["text"]!.GetValue<string>()).Value).AbsolutePath;

        // One browser: opens the page on one node, and its Verify reaches both (a retried POST, a double click).
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });
        var page = await browser.GetStringAsync(new Uri(nodes[i % 2], path));
        var field = AntiforgeryField().Match(page);
        var posts = await Task.WhenAll(nodes.Select(node => browser.PostAsync(new Uri(node, path),
            new FormUrlEncodedContent([new(field.Groups[1].Value, WebUtility.HtmlDecode(field.Groups[2].Value)), LinkFlow.DeviceField(page), new("action", "verify")]))));
        Assert.Equal([HttpStatusCode.SeeOther, HttpStatusCode.Gone], posts.Select(p => p.StatusCode).Order());

        var otpToken = System.Web.HttpUtility.ParseQueryString(posts.Single(p => p.StatusCode == HttpStatusCode.SeeOther).Headers.Location!.Query)["otp_token"];
        var exchanges = await Task.WhenAll(nodes.Select(node => api.PostAsync(new Uri(node, $"/api/otp/v2/{instance}/exchange"), Json.Body($$"""{"token": "{{otpToken}}"}"""))));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Gone], exchanges.Select(e => e.StatusCode).Order());
    }

    private async Task<Uri> StartNodeAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var url = new Uri($"http://127.0.0.1:{port}");

        var node = Process.Start(Start("serve", "--urls", url.ToString()))!;
        node.OutputDataReceived += (_, _) => { };
        node.ErrorDataReceived += (_, _) => { };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        nodes.Add(node);

        using var http = new HttpClient();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await http.GetAsync(new Uri(url, "/readyz"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"node {url} to be ready", seconds: 60);
        return url;
    }

    private async Task<string> RunCliAsync(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        return stdout;
    }

    private ProcessStartInfo Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "passline.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in database.Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Passline__Callbacks__AllowPrivateNetworks"] = "true";
        start.Environment["Passline__RateLimits__PagesPerIpPerMinute"] = "100000";
        return start;
    }

    [GeneratedRegex(@"https?://[^\s]+/v/[A-Za-z0-9_-]+")]
    private static partial Regex VerificationLink();

    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]+)"\s*/?>""")]
    private static partial Regex AntiforgeryField();
}
