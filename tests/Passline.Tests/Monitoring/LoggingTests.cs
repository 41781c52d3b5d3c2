using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Monitoring;

public sealed class LoggingTests
{
    [Fact]
    public async Task AtDebugEveryStepOfAFlowIsLoggedWithTheRequestUuidAndNoSecret()
    {
        await using var database = await TestDatabase.CreateAsync();
        var logs = new CapturedLogs();
        await using var app = new PasslineApp(database, services: services => services.AddSingleton<ILoggerProvider>(logs),
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Passline"] = "Debug" });
        var instance = await app.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        var reply = (await SimulatorOutboxAsync(instance)).Single();
        var path = VerificationPath(reply);
        var verified = await PressAsync(app.Client(), path);
        var otpToken = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"]!;

        var flow = logs.Lines.Where(l => l.Category.StartsWith("Passline", StringComparison.Ordinal)).ToList();
        var uuid = link.Uuid.ToString();
        Assert.Contains(flow, l => l.Message.Contains("created", StringComparison.Ordinal) && Equals(l.Values.GetValueOrDefault("RequestId"), link.Uuid));
        Assert.Contains(flow, l => l.Message.Contains("matched", StringComparison.Ordinal) && Equals(l.Values.GetValueOrDefault("RequestId"), link.Uuid));
        Assert.Contains(flow, l => l.Message.Contains("delivered", StringComparison.Ordinal) && Equals(l.Values.GetValueOrDefault("RequestId"), link.Uuid));
        Assert.Contains(flow, l => l.Message.Contains("ended verified", StringComparison.Ordinal) && Equals(l.Values.GetValueOrDefault("RequestId"), link.Uuid));
        Assert.All(flow.Where(l => l.Values.ContainsKey("RequestId")), l => Assert.Contains(uuid, l.Message, StringComparison.Ordinal));

        var secrets = new[] { instance.Token, path["/v/".Length..], otpToken };
        Assert.All(logs.Lines, l => Assert.All(secrets, secret => Assert.DoesNotContain(secret, l.Message, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARedeliveredMessageLogsNothingAtWarningOrAbove()
    {
        await using var database = await TestDatabase.CreateAsync();
        var logs = new CapturedLogs();
        await using var app = new PasslineApp(database, services: services => services.AddSingleton<ILoggerProvider>(logs));
        await using var waha = await LoopbackServer.StartAsync();
        waha.Respond = _ => new Answer(201, """{"id": "true_201063178738@c.us_1"}""");
        var instance = await app.CreateInstanceAsync(provider: "waha", settings: s =>
        {
            s.WahaUrl = waha.BaseAddress.ToString();
            s.WahaApiKey = "key";
            s.WahaHmacKey = "hmac";
        });
        var link = await GenerateAsync(instance);
        var body = WahaMessage(Message(link.Code), id: "false_201063178738@c.us_REDELIVERED");

        var first = await app.Client().SendAsync(SignedWaha(instance.Id, body, "hmac"));
        var again = await app.Client().SendAsync(SignedWaha(instance.Id, body, "hmac"));
        var together = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => app.Client().SendAsync(SignedWaha(instance.Id, body, "hmac"))));

        Assert.Equal("matched", (await first.ReadObjectAsync())["outcome"]!.GetValue<string>());
        Assert.Equal("duplicate", (await again.ReadObjectAsync())["outcome"]!.GetValue<string>());
        foreach (var response in together)
        {
            Assert.Equal("duplicate", (await response.ReadObjectAsync())["outcome"]!.GetValue<string>());
        }

        await waha.WaitForAsync();
        Assert.Empty(logs.Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.Category}: {l.Message}"));
    }

    [Fact]
    public async Task AtTheDefaultLevelASuccessfulFlowWritesNoLine()
    {
        await using var database = await TestDatabase.CreateAsync();
        var logs = new CapturedLogs();
        await using var app = new PasslineApp(database, services: services => services.AddSingleton<ILoggerProvider>(logs),
            settings: new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });
        await using var receiver = await LoopbackServer.StartAsync();
        var instance = await app.CreateInstanceAsync();
        var callback = new Uri(receiver.BaseAddress, "/ok");
        var link = await GenerateAsync(instance, $$$"""{"callback": {"success": "{{{callback}}}"}}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        await PressAsync(app.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
        await receiver.WaitForAsync();

        // Every step, the callback's HTTP exchange included (IHttpClientFactory logs four lines per request at Information).
        Assert.Equal(Passline.Requests.OtpStatus.Verified, (await RequestAsync(app, link.Uuid)).Status);
        Assert.Empty(logs.Lines.Where(l => l.Level >= LogLevel.Information && l.Category != "Microsoft.Hosting.Lifetime").Select(l => $"{l.Category}: {l.Message}"));
    }

    [Fact]
    public async Task WhatABrowserGetsWrongIsAnsweredAndNotLoggedAsAnError()
    {
        await using var database = await TestDatabase.CreateAsync();
        var logs = new CapturedLogs();
        await using var app = new PasslineApp(database, services: services => services.AddSingleton<ILoggerProvider>(logs));
        var instance = await app.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code));
        var path = VerificationPath((await SimulatorOutboxAsync(instance)).Single());

        // A cookie that no key of this server made (another deployment's, or a forged one), then a form without its token.
        using var browser = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.BaseAddress };
        browser.DefaultRequestHeaders.Add("Cookie", "passline-csrf=CfDJ8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var page = await browser.GetAsync(path);
        var post = await browser.PostAsync(path, new FormUrlEncodedContent([new("action", "verify")]));

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Empty(logs.Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.Category}: {l.Message}"));
    }
}
