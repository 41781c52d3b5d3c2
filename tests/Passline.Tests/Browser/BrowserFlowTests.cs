using System.Net;
using System.Text.Json.Nodes;
using System.Web;
using Microsoft.EntityFrameworkCore;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;
using DemoInstance = Passline.Tests.Demo.DemoInstance;

namespace Passline.Tests.Browser;

/// <summary>
/// The flows a person performs, in real headless Chromium against Passline on Kestrel: the desktop link page that
/// follows the phone, the phone that goes to WhatsApp and back, "This wasn't me", link scanners, and the demo.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserFlowTests(AppFixture fixture) : IClassFixture<AppFixture>, IAsyncLifetime
{
    private PasslineApp App => fixture.App;
    private LoopbackServer application = null!;

    public async Task InitializeAsync() => application = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await application.DisposeAsync();

    private string AppOrigin => application.BaseAddress.GetLeftPart(UriPartial.Authority);

    private async Task<(TestInstance Instance, JsonObject Link)> LinkAsync()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", redirectOrigins: [AppOrigin]);
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), $$"""{"redirect": "{{AppOrigin}}/done"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (instance, json["data"]!.AsObject());
    }

    private static Uri LinkUrl(JsonObject link) => new(link["link_url"]!.GetValue<string>());

    private static string Code(JsonObject link) => link["code"]!.GetValue<string>();

    private static string State(Browser browser) => browser.Find("#status").GetAttribute("data-state")!;

    private async Task<Uri> VerificationUrlAsync(TestInstance instance, JsonObject link)
    {
        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(Code(link))));
        return new Uri(App.BaseAddress, VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
    }

    [Fact]
    public async Task DesktopPageFollowsThePhoneAndRedirectsWhenVerifiedThere()
    {
        var (instance, link) = await LinkAsync();
        using var desktop = Browser.Start();
        desktop.Go(LinkUrl(link));

        Assert.StartsWith("data:image/png;base64,", desktop.Find("#qr img").GetAttribute("src"));
        Assert.Equal(link["whatsapp_link"]!.GetValue<string>(), desktop.Find("#whatsapp-link").GetAttribute("href"));
        Assert.Equal("waiting", State(desktop));
        desktop.Script("window.notReloaded = true;");
        desktop.Screenshot("desktop-flow-1-link-page");

        // The phone sends the message: the desktop page says so without being reloaded.
        var verification = await VerificationUrlAsync(instance, link);
        desktop.WaitUntil(() => State(desktop) == "received", "the link page to show the message was received");
        Assert.Equal(true, desktop.Script("return window.notReloaded === true;"));
        Assert.Equal("Message received", desktop.Text("#status-title"));
        desktop.Screenshot("desktop-flow-2-message-received");

        // On the phone, the verification page says that approving signs in another device, and which.
        using var phone = Browser.Start(Browser.IPhone);
        phone.Go(verification);
        Assert.StartsWith("Another device", phone.Text("#device"));
        Assert.Contains("Chrome on Linux", phone.Text("#device"));
        phone.Screenshot("desktop-flow-3-verify-on-phone");

        phone.Find("button[value=verify]").Click();
        phone.WaitUntil(() => phone.Find("h1").Text == "Verified", "the phone's page after Verify");
        Assert.Contains("You can go back to your other device", phone.Text("main"));
        phone.Screenshot("desktop-flow-4-phone-verified");

        // The desktop, which opened link_url, receives the redirect with a one-time token the application exchanges.
        desktop.WaitUntil(() => desktop.Url.StartsWith($"{AppOrigin}/done?", StringComparison.Ordinal), "the desktop to be redirected to the application");
        var query = HttpUtility.ParseQueryString(new Uri(desktop.Url).Query);
        Assert.Equal(link["uuid"]!.GetValue<string>(), query["otp_uuid"]);
        var (exchanged, body) = await instance.Client().PostJsonAsync(instance.Api("exchange"), new JsonObject { ["token"] = query["otp_token"] }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Equal("201063178738@c.us", body["data"]!["chat_id"]!.GetValue<string>());
    }

    /// <summary>
    /// An address with its live-status streams at the limit is refused one more (429), which EventSource never retries:
    /// the page then polls the JSON status, and still follows the phone.
    /// </summary>
    [Fact]
    public async Task DesktopPageRefusedAStreamPollsAndStillFollowsThePhone()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:RateLimits:StreamsPerIp"] = "1" });
        var instance = await app.CreateInstanceAsync(name: "Acme");
        var link = await GenerateAsync(instance);
        using var held = await app.Client().SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/l/{link.Uuid}/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);

        using var desktop = Browser.Start();
        desktop.Go(new Uri(app.BaseAddress, $"/l/{link.Uuid}"));
        Assert.Equal("waiting", State(desktop));

        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code)));
        desktop.WaitUntil(() => State(desktop) == "received", "the link page, polling, to show the message was received");
    }

    [Fact]
    public async Task PhoneGoesToWhatsAppAndVerifyBringsItBack()
    {
        var (instance, link) = await LinkAsync();
        using var phone = Browser.Start(Browser.IPhone);

        phone.GoUnreachable(LinkUrl(link));
        phone.WaitUntil(() => phone.Url.StartsWith("https://wa.me/", StringComparison.Ordinal), "the phone to be sent to WhatsApp");
        Assert.Equal(link["whatsapp_link"]!.GetValue<string>(), phone.Url);
        var opened = await RequestAsync(App, Guid.Parse(link["uuid"]!.GetValue<string>()));
        Assert.Equal("Safari on iPhone", opened.DeviceDescription);
        Assert.True(opened.LinkClicks >= 1);

        phone.Go(await VerificationUrlAsync(instance, link));
        Assert.Equal("This device", phone.Text("#device"));
        Assert.Empty(phone.FindAll(".notice.warn"));
        phone.Screenshot("phone-flow-1-verify");

        phone.Find("button[value=verify]").Click();
        phone.WaitUntil(() => phone.Url.StartsWith($"{AppOrigin}/done?", StringComparison.Ordinal), "the phone to be redirected to the application");
        var token = HttpUtility.ParseQueryString(new Uri(phone.Url).Query)["otp_token"];
        var exchanged = await instance.Client().PostAsync(instance.Api("exchange"), Json.Body(new JsonObject { ["token"] = token }.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
    }

    [Fact]
    public async Task ThisWasntMeRefusesAndTheDesktopPageSaysSo()
    {
        var (instance, link) = await LinkAsync();
        using var desktop = Browser.Start();
        desktop.Go(LinkUrl(link));
        var verification = await VerificationUrlAsync(instance, link);

        using var phone = Browser.Start(Browser.IPhone);
        phone.Go(verification);
        phone.Find("button[value=decline]").Click();
        phone.WaitUntil(() => phone.Find("h1").Text.Contains("refused", StringComparison.Ordinal), "the refusal page");
        phone.Screenshot("decline-1-phone-refused");

        desktop.WaitUntil(() => State(desktop) == "declined", "the link page to show the refusal");
        Assert.Equal("Sign-in refused", desktop.Text("#status-title"));
        Assert.False(desktop.Find("#qr").Displayed);
        desktop.Screenshot("decline-2-desktop-refused");
        var stored = await RequestAsync(App, Guid.Parse(link["uuid"]!.GetValue<string>()));
        Assert.Equal(("failed", "declined"), (stored.Status.Name(), stored.FailedReason));
        Assert.Equal(AppOrigin + "/", application.BaseAddress.ToString());
        Assert.Empty(application.Received);
    }

    [Fact]
    public async Task LinkScannersOpeningTheVerificationLinkChangeNothing()
    {
        var (instance, link) = await LinkAsync();
        using var desktop = Browser.Start();
        desktop.Go(LinkUrl(link));
        var verification = await VerificationUrlAsync(instance, link);
        var uuid = Guid.Parse(link["uuid"]!.GetValue<string>());
        var before = await RequestAsync(App, uuid);

        // A previewer renders the page as a browser does; another only asks for the headers.
        using (var scanner = Browser.Start("Mozilla/5.0 (compatible; LinkPreviewBot/1.0; +https://example.com/bot)"))
        {
            scanner.Go(verification);
            Assert.Contains("Sign in to Acme?", scanner.Text("h1"));
            scanner.Screenshot("scanner-1-verification-page");
        }

        using var head = new HttpRequestMessage(HttpMethod.Head, verification);
        Assert.Equal(HttpStatusCode.OK, (await App.Client().SendAsync(head)).StatusCode);

        Assert.Equivalent(before, await RequestAsync(App, uuid), strict: true);
        Assert.Equal("received", State(desktop));

        using var phone = Browser.Start(Browser.IPhone);
        phone.Go(verification);
        phone.Find("button[value=verify]").Click();
        desktop.WaitUntil(() => desktop.Url.StartsWith($"{AppOrigin}/done?", StringComparison.Ordinal), "the desktop to be redirected after the real Verify");
    }

    [Fact]
    public async Task DemoLogsInEndToEnd()
    {
        await DemoInstance.EnsureAsync(App);
        using var browser = Browser.Start();
        browser.Go(new Uri(App.BaseAddress, "/demo"));
        browser.Screenshot("demo-1-app");

        browser.Find("#login").Click();
        browser.WaitUntil(() => browser.FindAll("#qr img").Count == 1, "the link page");
        Assert.Equal("waiting", State(browser));
        browser.Screenshot("demo-2-link-page");

        browser.Find("#simulated-phone").Click();
        browser.WaitUntil(() => browser.FindAll("#compose").Count == 1, "the simulated phone");
        var draft = browser.Find("#text").GetAttribute("value")!;
        Assert.Matches(@"^Give me link to login at Acme Notes \[[A-Z]{8}\] - DO NOT CHANGE THIS MESSAGE$", draft);
        var number = browser.Text("#my-number");
        browser.Screenshot("demo-3-phone");

        browser.Find("#send").Click();
        browser.WaitUntil(() => browser.FindAll(".bubble.in a").Count == 1, "Passline's reply with the link");
        Assert.Contains(draft, browser.Text(".bubble.out"));
        browser.Screenshot("demo-4-reply");

        browser.Find(".bubble.in a").Click();
        browser.WaitUntil(() => browser.FindAll("button[value=verify]").Count == 1, "the verification page");
        Assert.Equal("This device", browser.Text("#device"));
        Assert.Contains(number.Replace(" ", "", StringComparison.Ordinal), browser.Text("dd"));
        browser.Screenshot("demo-5-verify");

        browser.Find("button[value=verify]").Click();
        browser.WaitUntil(() => browser.FindAll("#logged-in").Count == 1, "the demo to show who logged in");
        Assert.Equal($"Logged in as {number}", browser.Text("#logged-in"));
        Assert.Equal(new Uri(App.BaseAddress, "/demo").ToString(), browser.Url);
        browser.Screenshot("demo-6-logged-in");
    }

    [Fact]
    public void ApiReferenceLoadsFromThisOriginOnly()
    {
        using var browser = Browser.Start();
        browser.Go(new Uri(App.BaseAddress, "/docs"));
        browser.WaitUntil(() => browser.Text("body").Contains("Passline API", StringComparison.Ordinal)
            && browser.Text("body").Contains("OTP link", StringComparison.Ordinal), "the API reference to render", seconds: 30);

        var loaded = ((IEnumerable<object>)browser.Script("return performance.getEntriesByType('resource').map(function (e) { return e.name; });")!)
            .Select(u => (string)u).ToList();
        Assert.Contains(loaded, u => u.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
        var origin = App.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.All(loaded, u => Assert.True(u.StartsWith(origin + "/", StringComparison.Ordinal) || u.StartsWith("data:", StringComparison.Ordinal), $"loaded from elsewhere: {u}"));
        browser.Screenshot("docs-1-reference");
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    /// <summary>Browser tests run one at a time: each starts Chromium, and the machine has two cores.</summary>
    public const string Name = "Browser";
}
