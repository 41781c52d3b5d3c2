using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Passline.Instances;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Links;

/// <summary>
/// The link page behind <c>link_url</c> (SPEC 4.3) and the device binding it sets up (SPEC 4.1, 4.2), over HTTP. The
/// same flows in a real browser are in Browser/.
/// </summary>
public sealed class LinkPageTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string Windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private const string Mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    private const string Android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    private PasslineApp App => fixture.App;

    private HttpClient Browser(string userAgent)
    {
        var client = App.Client();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return client;
    }

    private async Task<(TestInstance Instance, Created Link, JsonObject Data)> LinkAsync(string body = """{"redirect": "https://app.example.com/done"}""")
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", redirectOrigins: ["https://app.example.com"]);
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = json["data"]!.AsObject();
        return (instance, new Created(Guid.Parse(data["uuid"]!.GetValue<string>()), data["code"]!.GetValue<string>()), data);
    }

    private static string Path(Created link) => $"/l/{link.Uuid}";

    private async Task<string> ReceivedAsync(TestInstance instance, Created link)
    {
        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code)));
        return VerificationPath((await SimulatorOutboxAsync(instance)).Single());
    }

    private static async Task<JsonObject> StatusAsync(HttpClient browser, Created link)
    {
        var response = await browser.GetAsync($"{Path(link)}/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadObjectAsync();
    }

    [Fact]
    public async Task OpeningTheLinkBindsTheBrowserAndCountsTheClick()
    {
        var (_, link, data) = await LinkAsync();

        var response = await Browser(Windows).GetAsync(Path(link));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith($"passline-link-{link.Uuid:N}=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain http here
        var value = cookie.Split(';')[0].Split('=', 2)[1];
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(Secrets.Hash(value), stored.DeviceBindingHash);
        Assert.Equal(("Chrome on Windows", 1, App.Time.GetUtcNow()), (stored.DeviceDescription, stored.LinkClicks, stored.LinkOpenedAt));

        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("""<img src="data:image/png;base64,""", html);
        Assert.Contains($"""href="{data["whatsapp_link"]!.GetValue<string>()}""", html);
        Assert.Contains($"""<code dir="ltr">{link.Code}</code>""", html);
        Assert.Contains("Waiting for your WhatsApp message", html);
    }

    [Fact]
    public async Task ReopeningKeepsTheBindingAndALaterBrowserDoesNotTakeItOver()
    {
        var (_, link, _) = await LinkAsync();
        var desktop = Browser(Windows);
        await desktop.GetAsync(Path(link));
        var first = (await RequestAsync(App, link.Uuid)).DeviceBindingHash;

        var again = await desktop.GetAsync(Path(link));
        Assert.False(again.Headers.Contains("Set-Cookie"));
        Assert.Equal(first, (await RequestAsync(App, link.Uuid)).DeviceBindingHash);

        var later = await Browser(Mac).GetAsync(Path(link));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.False(later.Headers.Contains("Set-Cookie"));
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(first, stored.DeviceBindingHash);
        Assert.Equal(("Chrome on Windows", 3), (stored.DeviceDescription, stored.LinkClicks));
    }

    /// <summary>The device is named in the page's language: the product names as they are, the words around translated.</summary>
    [Theory]
    [InlineData("de", "Chrome auf Windows")]
    [InlineData("ar", "Chrome على Windows")]
    [InlineData("tr", "Windows üzerinde Chrome")]
    public async Task TheOtherDeviceIsNamedInThePagesLanguage(string language, string named)
    {
        var (instance, link, _) = await LinkAsync($$"""{"redirect": "https://app.example.com/done", "language": "{{language}}"}""");
        await Browser(Windows).GetAsync(Path(link));
        var path = await ReceivedAsync(instance, link);

        var (_, html, _) = await OpenAsync(Browser(Android), path);
        Assert.Contains(named, html);
        Assert.DoesNotContain("Chrome on Windows", html);
        Assert.Contains(named, await (await PressAsync(Browser(Android), path)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OfTwoBrowsersOpeningTheLinkOnlyTheFirstReceivesTheRedirect()
    {
        var (instance, link, _) = await LinkAsync();
        var first = Browser(Windows);
        var second = Browser(Windows); // same user agent: nothing but the binding tells them apart
        await first.GetAsync(Path(link));
        await second.GetAsync(Path(link));
        var path = await ReceivedAsync(instance, link);

        var phone = Browser(Android);
        var (_, html, _) = await OpenAsync(phone, path);
        Assert.Contains("Another device", html);
        Assert.Contains("Chrome on Windows", html);
        Assert.Contains("You can go back to your other device", await (await PressAsync(phone, path)).Content.ReadAsStringAsync());

        Assert.Null((await StatusAsync(second, link))["redirect"]);
        var redirect = new Uri((await StatusAsync(first, link))["redirect"]!.GetValue<string>());
        Assert.Equal(link.Uuid.ToString(), System.Web.HttpUtility.ParseQueryString(redirect.Query)["otp_uuid"]);
        Assert.Null((await StatusAsync(second, link))["redirect"]);
    }

    [Fact]
    public async Task OfBrowsersThatAllSawTheLinkUnboundOnlyOneBindsIt()
    {
        // Pages read the request unbound at the same moment, so each offers its own binding: the database keeps one.
        var (_, link, _) = await LinkAsync();
        var requests = App.Services.GetRequiredService<RequestWork>();
        var bindings = Enumerable.Range(0, 8).Select(_ => Secrets.Hash(Guid.NewGuid().ToString())).ToList();

        var bound = await Task.WhenAll(bindings.Select(binding =>
            requests.RunStatementAsync(lifecycle => lifecycle.OpenLinkAsync(link.Uuid, binding, "Chrome on Windows"), CancellationToken.None)));

        var winner = Assert.Single(Enumerable.Range(0, bindings.Count), i => bound[i]);
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(bindings[winner], stored.DeviceBindingHash);
        Assert.Equal(bindings.Count, stored.LinkClicks);

        // An expired request binds no one, and still counts the click.
        var (_, late, _) = await LinkAsync("""{"expires": 60}""");
        App.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(await requests.RunStatementAsync(lifecycle => lifecycle.OpenLinkAsync(late.Uuid, bindings[0], null), CancellationToken.None));
        var expired = await RequestAsync(App, late.Uuid);
        Assert.Equal((null, 1), (expired.DeviceBindingHash, expired.LinkClicks));
    }

    [Fact]
    public async Task HeadChangesNothing()
    {
        var (_, link, _) = await LinkAsync();
        var before = await RequestAsync(App, link.Uuid);

        using var head = new HttpRequestMessage(HttpMethod.Head, Path(link));
        var response = await Browser(Windows).SendAsync(head);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equivalent(before, await RequestAsync(App, link.Uuid), strict: true);
    }

    [Fact]
    public async Task ABindingCookieTheBrowserAlreadySentIsNotTheBinding()
    {
        // A value planted before the first open (by a sibling subdomain, say) would be known to whoever planted it.
        var (_, link, _) = await LinkAsync();
        var planted = Secrets.NewUrlToken();
        var jar = new CookieContainer();
        jar.Add(App.BaseAddress, new Cookie($"passline-link-{link.Uuid:N}", planted));
        using var browser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = jar }) { BaseAddress = App.BaseAddress };
        browser.DefaultRequestHeaders.UserAgent.ParseAdd(Windows);

        var response = await browser.GetAsync(Path(link));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith($"passline-link-{link.Uuid:N}=", StringComparison.Ordinal));
        var value = cookie.Split(';')[0].Split('=', 2)[1];
        Assert.NotEqual(planted, value);
        Assert.Equal(Secrets.Hash(value), (await RequestAsync(App, link.Uuid)).DeviceBindingHash);
    }

    [Theory]
    [InlineData(Android, "Chrome on Android")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1", "Chrome on iPhone")]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPad")]
    public async Task PhonesAreSentToWhatsApp(string userAgent, string description)
    {
        var (_, link, data) = await LinkAsync();

        var response = await Browser(userAgent).GetAsync(Path(link));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(data["whatsapp_link"]!.GetValue<string>(), response.Headers.Location!.ToString());
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith($"passline-link-{link.Uuid:N}=", StringComparison.Ordinal));
        Assert.Equal(description, (await RequestAsync(App, link.Uuid)).DeviceDescription);
    }

    [Fact]
    public async Task UnknownAndEndedLinksShowAClearPage()
    {
        var (instance, link, _) = await LinkAsync("""{"expires": 60}""");

        var unknown = await Browser(Windows).GetAsync($"/l/{Guid.NewGuid()}");
        var garbage = await Browser(Windows).GetAsync("/l/not-a-uuid");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (unknown.StatusCode, garbage.StatusCode));
        Assert.Contains("This sign-in link is not valid", await unknown.Content.ReadAsStringAsync());

        App.Time.Advance(TimeSpan.FromSeconds(61));
        var expired = await Browser(Windows).GetAsync(Path(link));
        var phone = await Browser(Android).GetAsync(Path(link));
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("This sign-in link has expired", await expired.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Gone, phone.StatusCode); // a dead code is not worth sending on WhatsApp
        Assert.False(expired.Headers.Contains("Set-Cookie"));
        Assert.Null((await RequestAsync(App, link.Uuid)).DeviceBindingHash);

        var cancelled = await LinkAsync("{}");
        await cancelled.Instance.Client().PostAsync(cancelled.Instance.Api($"requests/{cancelled.Link.Uuid}/cancel"), null);
        var page = await Browser(Windows).GetAsync(Path(cancelled.Link));
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("This sign-in was cancelled", await page.Content.ReadAsStringAsync());
        _ = instance;
    }

    [Fact]
    public async Task StatusFollowsTheRequest()
    {
        var (instance, link, _) = await LinkAsync("{}");
        var desktop = Browser(Windows);
        await desktop.GetAsync(Path(link));

        Assert.Equal("waiting", (await StatusAsync(desktop, link))["state"]!.GetValue<string>());

        var path = await ReceivedAsync(instance, link);
        var received = await StatusAsync(desktop, link);
        Assert.Equal(("received", false), (received["state"]!.GetValue<string>(), received["final"]!.GetValue<bool>()));

        await PressAsync(Browser(Android), path);
        var verified = await StatusAsync(desktop, link);
        Assert.Equal(("verified", true), (verified["state"]!.GetValue<string>(), verified["final"]!.GetValue<bool>()));
        Assert.Null(verified["redirect"]);
        Assert.Equal("You are signed in to Acme. You can close this page.", verified["text"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NotFound, (await desktop.GetAsync($"/l/{Guid.NewGuid()}/status")).StatusCode);
    }

    [Fact]
    public async Task VerifyInAnotherBrowserHandsTheRedirectToTheBoundBrowserOnce()
    {
        var (instance, link, _) = await LinkAsync();
        var desktop = Browser(Windows);
        await desktop.GetAsync(Path(link));
        var path = await ReceivedAsync(instance, link);

        var phone = Browser(Android);
        var (page, html, _) = await OpenAsync(phone, path);
        Assert.Contains("Another device", html);
        Assert.Contains("Chrome on Windows", html);

        var verified = await PressAsync(phone, path);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Contains("You can go back to your other device", await verified.Content.ReadAsStringAsync());
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal("verified", stored.Status.Name());
        Assert.Null(stored.ExchangeTokenHash);

        // Neither the phone nor a stranger who knows the uuid gets the redirect; the bound browser does, once.
        Assert.Null((await StatusAsync(phone, link))["redirect"]);
        Assert.Null((await StatusAsync(App.Client(), link))["redirect"]);
        var status = await StatusAsync(desktop, link);
        var redirect = new Uri(status["redirect"]!.GetValue<string>());
        Assert.Equal("https://app.example.com/done", redirect.GetLeftPart(UriPartial.Path));
        var query = System.Web.HttpUtility.ParseQueryString(redirect.Query);
        Assert.Equal(link.Uuid.ToString(), query["otp_uuid"]);
        Assert.Null((await StatusAsync(desktop, link))["redirect"]);

        // A second tab of that browser, which read the request before the hand-over, cannot take a second token.
        var handed = (await RequestAsync(App, link.Uuid)).ExchangeTokenHash;
        Assert.NotNull(handed);
        Assert.False(await App.Services.GetRequiredService<RequestWork>().RunStatementAsync(
            lifecycle => lifecycle.HandOverAsync(link.Uuid, stored.DeviceBindingHash!, Secrets.Hash("another tab")), CancellationToken.None));
        Assert.Equal(handed, (await RequestAsync(App, link.Uuid)).ExchangeTokenHash);

        var (exchanged, body) = await instance.Client().PostJsonAsync(instance.Api("exchange"), new JsonObject { ["token"] = query["otp_token"] }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Equal("+201063178738", body["data"]!["phone"]!.GetValue<string>());
        Assert.Equal(App.Time.GetUtcNow() + TimeSpan.FromMinutes(5), (await RequestAsync(App, link.Uuid)).ExchangeExpiresAt);
    }

    [Fact]
    public async Task WithoutJavaScriptReloadingThePageInTheBoundBrowserTakesItBack()
    {
        var (instance, link, _) = await LinkAsync();
        var desktop = Browser(Windows);
        var html = await desktop.GetStringAsync(Path(link));
        Assert.Contains("<noscript><p class=\"muted center\" id=\"no-script\"><small>Without JavaScript, this page does not update by itself. <a href>Reload the page</a>", html);
        await PressAsync(Browser(Android), await ReceivedAsync(instance, link));

        // A stranger and a HEAD of the bound browser change nothing; its reload is the redirect, once.
        Assert.Equal(HttpStatusCode.Gone, (await Browser(Windows).GetAsync(Path(link))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await desktop.SendAsync(new HttpRequestMessage(HttpMethod.Head, Path(link)))).StatusCode);
        Assert.Null((await RequestAsync(App, link.Uuid)).ExchangeTokenHash);
        var reloaded = await desktop.GetAsync(Path(link));
        Assert.Equal(HttpStatusCode.SeeOther, reloaded.StatusCode);
        var redirect = reloaded.Headers.Location!;
        Assert.Equal("https://app.example.com/done", redirect.GetLeftPart(UriPartial.Path));
        var (exchanged, body) = await instance.Client().PostJsonAsync(instance.Api("exchange"),
            new JsonObject { ["token"] = System.Web.HttpUtility.ParseQueryString(redirect.Query)["otp_token"] }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        Assert.Equal(link.Uuid.ToString(), body["data"]!["uuid"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await desktop.GetAsync(Path(link))).StatusCode);
    }

    [Fact]
    public async Task TheBoundBrowserThatComesBackTooLateGetsNoRedirect()
    {
        var (instance, link, _) = await LinkAsync();
        var desktop = Browser(Windows);
        await desktop.GetAsync(Path(link));
        await PressAsync(Browser(Android), await ReceivedAsync(instance, link));

        App.Time.Advance(TimeSpan.FromMinutes(5));
        var status = await StatusAsync(desktop, link);

        Assert.Null(status["redirect"]);
        Assert.Equal("Verified, but this page came back too late", status["title"]!.GetValue<string>());
        Assert.Null((await RequestAsync(App, link.Uuid)).ExchangeTokenHash);
    }

    [Fact]
    public async Task VerifyInTheBoundBrowserRedirectsThere()
    {
        var (instance, link, _) = await LinkAsync();
        var phone = Browser(Android);
        await phone.GetAsync(Path(link));
        var path = await ReceivedAsync(instance, link);

        var (_, html, _) = await OpenAsync(phone, path);
        Assert.Contains("""<dd id="device">This device</dd>""", html);
        Assert.DoesNotContain("notice warn", html);

        var verified = await PressAsync(phone, path);
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        Assert.StartsWith("https://app.example.com/done?otp_uuid=", verified.Headers.Location!.ToString());
    }

    /// <summary>A redirect with other than ASCII goes percent-encoded: a Location header cannot carry it.</summary>
    [Fact]
    public async Task ARedirectWrittenWithOtherThanAsciiGoesEncoded()
    {
        var (instance, link, _) = await LinkAsync("""{"redirect": "https://app.example.com/über?name=é\u2028x#top"}""");
        var phone = Browser(Android);
        await phone.GetAsync(Path(link));

        var verified = await PressAsync(phone, await ReceivedAsync(instance, link));

        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var location = verified.Headers.Location!.OriginalString;
        Assert.StartsWith("https://app.example.com/%C3%BCber?name=%C3%A9%E2%80%A8x&otp_uuid=", location, StringComparison.Ordinal);
        Assert.EndsWith("#top", location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutLinkPageTheVerifyingBrowserGetsTheRedirect()
    {
        var (instance, link, _) = await LinkAsync();
        var path = await ReceivedAsync(instance, link);
        var browser = Browser(Android);

        var (_, html, _) = await OpenAsync(browser, path);
        Assert.Contains("""<dd id="device">This device</dd>""", html);
        Assert.Equal(HttpStatusCode.SeeOther, (await PressAsync(browser, path)).StatusCode);
    }

    [Fact]
    public async Task ABindingThatChangedWhileThePageWasOpenIsShownAgainBeforeAnything()
    {
        var (instance, link, _) = await LinkAsync();
        var phone = Browser(Android);
        var path = await ReceivedAsync(instance, link);
        var (_, shown, form) = await OpenAsync(phone, path);
        Assert.Contains("This device", shown);

        // Someone opens link_url for the first time meanwhile: approving would now sign in that browser, not this one.
        await Browser(Windows).GetAsync(Path(link));
        var response = await phone.PostAsync(path, new FormUrlEncodedContent([form!.Value, DeviceField(shown), new("action", "verify")]));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("The sign-in changed while this page was open", html);
        Assert.Contains("Another device", html);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task EventsReportEachChangeAndEndWithTheRequest()
    {
        var (instance, link, _) = await LinkAsync("{}");
        var desktop = Browser(Windows);
        await desktop.GetAsync(Path(link));

        using var response = await desktop.GetAsync($"{Path(link)}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal("waiting", (await NextEventAsync(events))["state"]!.GetValue<string>());
        await SimulatorSendAsync(instance, Message(link.Code));
        Assert.Equal("received", (await NextEventAsync(events))["state"]!.GetValue<string>());
        await instance.Client().PostAsync(instance.Api($"requests/{link.Uuid}/cancel"), null);
        var ended = await NextEventAsync(events);
        Assert.Equal(("failed", true), (ended["state"]!.GetValue<string>(), ended["final"]!.GetValue<bool>()));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rest = await events.ReadToEndAsync(timeout.Token); // returns only because the server ended the stream
        Assert.DoesNotContain("data:", rest);
    }

    [Fact]
    public async Task EventsNoticeExpiry()
    {
        var (_, link, _) = await LinkAsync("""{"expires": 60}""");
        using var response = await Browser(Windows).GetAsync($"{Path(link)}/events", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("waiting", (await NextEventAsync(events))["state"]!.GetValue<string>());

        App.Time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal("expired", (await NextEventAsync(events))["state"]!.GetValue<string>());
    }

    private static async Task<JsonObject> NextEventAsync(StreamReader events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? name = null;
        while (await events.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.Equal("status", name);
                return JsonNode.Parse(line["data: ".Length..])!.AsObject();
            }
        }

        throw new InvalidOperationException("The event stream ended.");
    }
}
