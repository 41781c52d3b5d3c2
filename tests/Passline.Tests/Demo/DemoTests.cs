using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Passline.Inbound;
using Passline.Instances;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Demo;

/// <summary>The demo application and the simulated phone (SPEC 4.4) over HTTP; the whole login in a browser is in Browser/.</summary>
public sealed partial class DemoTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private static async Task<(string Html, KeyValuePair<string, string> Form)> FormAsync(HttpClient browser, string path)
    {
        var (response, html, form) = await OpenAsync(browser, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(form);
        return (html, form.Value);
    }

    private static async Task<HttpResponseMessage> SendFromPhoneAsync(HttpClient phone, Guid instance, string text)
    {
        var (_, form) = await FormAsync(phone, $"/simulator/{instance}");
        return await phone.PostAsync($"/simulator/{instance}", new FormUrlEncodedContent([form, new("text", text)]));
    }

    [Fact]
    public async Task DemoLogsInThroughTheLinkPageThePhoneAndTheExchange()
    {
        var demo = await DemoInstance.EnsureAsync(App);
        var browser = App.Client();
        var (home, form) = await FormAsync(browser, "/demo");
        Assert.Contains("Log in with WhatsApp", home);

        var login = await browser.PostAsync("/demo/login", new FormUrlEncodedContent([form]));
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        var linkPath = login.Headers.Location!.AbsolutePath;
        Assert.StartsWith("/l/", linkPath);
        var uuid = Guid.Parse(linkPath[3..]);
        var request = await RequestAsync(App, uuid);
        Assert.Equal((demo.Id, "Acme Notes"), (request.InstanceId, request.Name));

        var linkPage = await (await browser.GetAsync(linkPath)).Content.ReadAsStringAsync();
        var phoneHref = WebUtility.HtmlDecode(PhoneLink().Match(linkPage).Groups[1].Value);
        Assert.StartsWith($"/simulator/{demo.Id}?text=", phoneHref);

        var (phonePage, _) = await FormAsync(browser, phoneHref);
        var draft = WebUtility.HtmlDecode(Draft().Match(phonePage).Groups[1].Value);
        Assert.Equal($"Give me link to login at Acme Notes [{request.Code}] - DO NOT CHANGE THIS MESSAGE", draft);

        Assert.Equal(HttpStatusCode.SeeOther, (await SendFromPhoneAsync(browser, demo.Id, draft)).StatusCode);
        string chat = "";
        await Eventually.TrueAsync(async () => (chat = await browser.GetStringAsync($"/simulator/{demo.Id}/chat")).Contains("/v/", StringComparison.Ordinal), "the reply on the phone");
        var verified = await PressAsync(browser, VerificationPath(WebUtility.HtmlDecode(chat)));
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        Assert.StartsWith("/demo/signed-in?otp_uuid=", verified.Headers.Location!.PathAndQuery);

        // A HEAD of the way back (a link preview, a prefetch) does not spend its one-time token.
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, verified.Headers.Location))).StatusCode);
        var back = await browser.GetAsync(verified.Headers.Location);
        Assert.Equal(HttpStatusCode.SeeOther, back.StatusCode);
        var signedIn = WebUtility.HtmlDecode(await browser.GetStringAsync("/demo"));
        var phone = (await RequestAsync(App, uuid)).Phone!;
        Assert.Matches(@"^\+1555\d{7}$", phone);
        Assert.Contains($"Logged in as <bdi dir=\"ltr\">+1 {phone[2..5]} {phone[5..8]} {phone[8..]}</bdi>", signedIn);

        // The page's relative links work from /demo only; /demo/ leads there.
        var slash = await browser.GetAsync("/demo/");
        Assert.Equal((HttpStatusCode.MovedPermanently, "/demo"), (slash.StatusCode, slash.Headers.Location!.OriginalString));
        Assert.NotNull((await RequestAsync(App, uuid)).ExchangedAt);
    }

    [Fact]
    public async Task DemoAcceptsTheWayBackOnlyInTheBrowserThatStarted()
    {
        await DemoInstance.EnsureAsync(App);
        var browser = App.Client();
        var (_, form) = await FormAsync(browser, "/demo");
        var login = await browser.PostAsync("/demo/login", new FormUrlEncodedContent([form]));
        var uuid = Guid.Parse(login.Headers.Location!.AbsolutePath[3..]);

        var stranger = await App.Client().GetAsync($"/demo/signed-in?otp_uuid={uuid}&otp_token=whatever-token");

        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);
        Assert.Contains("That did not work", await stranger.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await App.Client().PostAsync("/demo/login", new FormUrlEncodedContent([new("x", "y")]))).StatusCode);
    }

    [Fact]
    public async Task PhoneSendsOnlyWithItsOwnFormAndReadsOnlyItsOwnChat()
    {
        var instance = await App.CreateInstanceAsync();
        var mine = App.Client();
        var other = App.Client();
        var link = await GenerateAsync(instance);

        // A cross-site post, without the page's anti-forgery token: nothing is sent.
        var forged = await App.Client().PostAsync($"/simulator/{instance.Id}", new FormUrlEncodedContent([new("text", Webhooks.Message(link.Code, "Hypersender"))]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
        Assert.Equal(0, await App.WithDbAsync(db => db.InboundMessages.CountAsync(m => m.InstanceId == instance.Id)));

        Assert.Equal(HttpStatusCode.SeeOther, (await SendFromPhoneAsync(mine, instance.Id, Webhooks.Message(link.Code, "Hypersender"))).StatusCode);
        var received = await RequestAsync(App, link.Uuid);
        Assert.NotNull(received.MessageReceivedAt);
        await Eventually.TrueAsync(async () => (await mine.GetStringAsync($"/simulator/{instance.Id}/chat")).Contains("/v/", StringComparison.Ordinal), "the reply");

        var theirs = await other.GetStringAsync($"/simulator/{instance.Id}/chat");
        Assert.DoesNotContain("/v/", theirs);
        Assert.DoesNotContain(link.Code, theirs);
        Assert.NotEqual(received.ChatId, await PhoneNumberAsync(other, instance.Id));
    }

    [Fact]
    public async Task SimulatorOutboxWaitsForTheReplyToItsChat()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        var outbox = $"/simulator/{instance.Id}/outbox?chat_id=201099990000&wait=30";

        // Asked before the message is sent: the answer comes when the reply is stored (the test clock never runs out).
        var waiting = System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>(instance.Client(), outbox);
        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code), from: "201099990000"));
        var reply = Assert.Single((await waiting.WaitAsync(TimeSpan.FromSeconds(30)))!);

        Assert.Contains("/v/", reply!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var noChat = await instance.Client().GetAsync($"/simulator/{instance.Id}/outbox?wait=5");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noChat.StatusCode);
        Assert.NotNull((await noChat.ReadObjectAsync())["errors"]!["wait"]);
    }

    [Fact]
    public async Task PhoneIsOnlyForSimulatorInstances()
    {
        var waha = await App.CreateInstanceAsync(provider: Providers.Waha);

        Assert.Equal(HttpStatusCode.NotFound, (await App.Client().GetAsync($"/simulator/{waha.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await App.Client().GetAsync($"/simulator/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await App.Client().GetAsync($"/simulator/{waha.Id}/chat")).StatusCode);
    }

    [Fact]
    public async Task DemoAndPhoneAreOffWithoutTheSimulator()
    {
        await using var app = new PasslineApp(fixture.Database, new Dictionary<string, string?> { ["Passline:Simulator:Enabled"] = "false" });
        var instance = await app.CreateInstanceAsync();

        foreach (var path in new[] { "/demo", $"/simulator/{instance.Id}", $"/simulator/{instance.Id}/chat" })
        {
            var response = await app.Client().GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        }

        // Its instances would send nothing, and their messages would show as sent: the API refuses them instead.
        foreach (var (call, body) in new[] { ("generate-link", "{}"), ("request-code", """{"chatId": "201063178738"}""") })
        {
            var (response, json) = await instance.Client().PostJsonAsync(instance.Api(call), body);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("Passline:Simulator:Enabled", json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.False(await app.WithDbAsync(db => db.OtpRequests.AnyAsync(r => r.InstanceId == instance.Id)));
    }

    private static async Task<string> PhoneNumberAsync(HttpClient phone, Guid instance)
    {
        var html = await phone.GetStringAsync($"/simulator/{instance}");
        return Regex.Match(html, """id="my-number">([^<]+)<""").Groups[1].Value.Replace(" ", "", StringComparison.Ordinal).TrimStart('+') + "@c.us";
    }

    [GeneratedRegex("""id="simulated-phone" href="([^"]+)""")]
    private static partial Regex PhoneLink();

    [GeneratedRegex("""<textarea[^>]*>([^<]*)</textarea>""")]
    private static partial Regex Draft();
}

/// <summary>The demo runs on the first simulator instance of the database: whichever test made one first, or a new one.</summary>
public static class DemoInstance
{
    public static async Task<Instance> EnsureAsync(PasslineApp app) =>
        await app.WithDbAsync(db => db.Instances.AsNoTracking().Where(i => i.Provider == Providers.Simulator).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).FirstOrDefaultAsync())
        ?? await app.WithDbAsync(async db => (await InstanceAdmin.CreateAsync(db, app.Time,
            new Instance { Name = "Passline Demo", Phone = "15550001234", Provider = Providers.Simulator, WebhookSecret = "" }, default)).Instance);
}
