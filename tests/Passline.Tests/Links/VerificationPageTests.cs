using System.Net;
using Microsoft.EntityFrameworkCore;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Links;

/// <summary>The page behind <c>/v/{token}</c> (SPEC 4.1): scanners cannot use it up, only a same-site POST decides.</summary>
public sealed class VerificationPageTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private async Task<(TestInstance Instance, Created Link, string Path)> ReceivedAsync(string body = "{}")
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", redirectOrigins: ["https://app.example.com"]);
        var link = await GenerateAsync(instance, body);
        await SimulatorSendAsync(instance, Message(link.Code));
        return (instance, link, VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
    }

    [Fact]
    public async Task GetAndHeadChangeNothing()
    {
        var (_, link, path) = await ReceivedAsync();
        var before = await RequestAsync(App, link.Uuid);
        var scanner = App.Client();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await scanner.GetAsync(path)).StatusCode);
            using var head = new HttpRequestMessage(HttpMethod.Head, path);
            Assert.Equal(HttpStatusCode.OK, (await scanner.SendAsync(head)).StatusCode);
        }

        var after = await RequestAsync(App, link.Uuid);
        Assert.Equivalent(before, after, strict: true);
        Assert.Equal(HttpStatusCode.OK, (await PressAsync(App.Client(), path)).StatusCode);
    }

    [Fact]
    public async Task PagesSendTheSecurityHeaders()
    {
        var (_, _, path) = await ReceivedAsync();

        foreach (var response in new[] { await App.Client().GetAsync(path), await App.Client().GetAsync("/v/unknown-token-unknown-token-unknown") })
        {
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        }
    }

    [Fact]
    public async Task PostWithoutTheFormsAntiforgeryTokenChangesNothing()
    {
        var (_, link, path) = await ReceivedAsync();
        var (_, _, form) = await OpenAsync(App.Client(), path);

        // A cross-site form: the field from another browser's page, without that browser's cookie.
        var forged = await App.Client().PostAsync(path, new FormUrlEncodedContent([form!.Value, new("action", "verify")]));
        var bare = await App.Client().PostAsync(path, new FormUrlEncodedContent([new("action", "verify")]));
        var json = await App.Client().PostAsync(path, Json.Body("""{"action": "verify"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task AVerifyThatDoesNotSayWhichDeviceThePageShowedIsShownThePageAgain()
    {
        var (_, link, path) = await ReceivedAsync("""{"redirect": "https://app.example.com/in"}""");
        var browser = App.Client();
        var (_, html, form) = await OpenAsync(browser, path);

        // The form's token, but not the page's statement of where approving signs in: not the page's own form.
        var bare = await browser.PostAsync(path, new FormUrlEncodedContent([form!.Value, new("action", "verify")]));

        Assert.Equal(HttpStatusCode.Conflict, bare.StatusCode);
        Assert.Contains("The sign-in changed while this page was open", await bare.Content.ReadAsStringAsync());
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
        var verified = await browser.PostAsync(path, new FormUrlEncodedContent([form.Value, DeviceField(html), new("action", "verify")]));
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("approve")]
    public async Task AFormSentWithoutTheVerifyButtonApprovesNothing(string? action)
    {
        var (_, link, path) = await ReceivedAsync();
        var browser = App.Client();
        var (_, html, form) = await OpenAsync(browser, path);
        List<KeyValuePair<string, string>> fields = [form!.Value, DeviceField(html)];
        if (action is not null)
        {
            fields.Add(new("action", action));
        }

        var submitted = await browser.PostAsync(path, new FormUrlEncodedContent(fields));

        Assert.Equal(HttpStatusCode.OK, submitted.StatusCode);
        Assert.Contains("value=\"verify\"", await submitted.Content.ReadAsStringAsync());
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
        Assert.Empty(await App.WithDbAsync(db => db.CallbackDeliveries.Where(d => d.RequestId == link.Uuid).ToListAsync()));
    }

    [Fact]
    public async Task AFormTheServerCannotReadIsRefusedWithAPageAndChangesNothing()
    {
        var (_, link, path) = await ReceivedAsync();

        // The browser that opened the page, with its cookie and the form's token, sends bodies that are no readable form.
        var browser = App.Client();
        var (_, _, form) = await OpenAsync(browser, path);
        var token = $"{form!.Value.Key}={Uri.EscapeDataString(form.Value.Value)}";
        HttpContent Body(string text, string type = "application/x-www-form-urlencoded") =>
            new StringContent(text) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type) } };
        HttpContent[] unreadable =
        [
            Body("x", "multipart/form-data"),
            Body("--x\r\n\r\n", "multipart/form-data; boundary=x"),
            Body($"{token}&action=%00"),
            Body($"{token}&action=verify&{string.Join('&', Enumerable.Range(0, 1100).Select(i => $"f{i}=1"))}"),
            Body($"{token}&action=verify&{new string('k', 3000)}=1"),
        ];
        foreach (var content in unreadable)
        {
            var response = await browser.PostAsync(path, content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Please try again", await response.Content.ReadAsStringAsync());
        }

        // As a browser may: the server refuses the body before it is uploaded.
        browser.DefaultRequestHeaders.ExpectContinue = true;
        var large = await browser.PostAsync(path, Body($"{token}&action=verify&pad={new string('p', 70_000)}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal("text/html", large.Content.Headers.ContentType!.MediaType);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());

        Assert.Equal(HttpStatusCode.OK, (await PressAsync(browser, path)).StatusCode);
        Assert.Equal("verified", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task TwentyConcurrentVerifyPostsVerifyOnce()
    {
        var (_, link, path) = await ReceivedAsync("""{"redirect": "https://app.example.com/in"}""");
        var browser = App.Client();
        var (_, html, form) = await OpenAsync(browser, path);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            browser.PostAsync(path, new FormUrlEncodedContent([form!.Value, DeviceField(html), new("action", "verify")]))));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.SeeOther));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.SeeOther), r => Assert.Equal(HttpStatusCode.Gone, r.StatusCode));
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal("verified", stored.Status.Name());
        var token = System.Web.HttpUtility.ParseQueryString(responses.Single(r => r.StatusCode == HttpStatusCode.SeeOther).Headers.Location!.Query)["otp_token"]!;
        Assert.Equal(Passline.Instances.Secrets.Hash(token), stored.ExchangeTokenHash);
    }

    [Fact]
    public async Task VerifyAndDeclineRacingEndInOneStateOnly()
    {
        var (_, link, path) = await ReceivedAsync();
        var browser = App.Client();
        var (_, html, form) = await OpenAsync(browser, path);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            browser.PostAsync(path, new FormUrlEncodedContent([form!.Value, DeviceField(html), new("action", i % 2 == 0 ? "verify" : "decline")]))));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Contains(stored.Status.Name(), new[] { "verified", "failed" });
        Assert.Equal(stored.Status.Name() == "verified", stored.VerifiedAt is not null);
    }

    [Fact]
    public async Task ExpiredLinkPageSendsTheExpiredMessageOnce()
    {
        var (instance, link, path) = await ReceivedAsync("""{"expires": 60, "message": {"expired": "Too late for {name}."}}""");
        App.Time.Advance(TimeSpan.FromSeconds(61));

        var first = await App.Client().GetAsync(path);
        var second = await App.Client().GetAsync(path);
        using var head = new HttpRequestMessage(HttpMethod.Head, path);
        await App.Client().SendAsync(head);

        Assert.Equal(HttpStatusCode.Gone, first.StatusCode);
        Assert.Contains("This link has expired", await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Gone, second.StatusCode);
        var messages = await SimulatorOutboxAsync(instance, count: 2);
        Assert.Equal("Too late for Acme.", messages[1]);
        Assert.Equal(2, await App.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.RequestId == link.Uuid)));
        Assert.Equal("expired", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task UnknownTokenShowsAClearPage()
    {
        var response = await App.Client().GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("This link is not valid", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("https://app.example.com/done", "https://app.example.com/done?otp_uuid=U&otp_token=T")]
    [InlineData("https://app.example.com/done?a=1", "https://app.example.com/done?a=1&otp_uuid=U&otp_token=T")]
    [InlineData("https://app.example.com/done?", "https://app.example.com/done?otp_uuid=U&otp_token=T")]
    [InlineData("https://app.example.com/#/spa", "https://app.example.com/?otp_uuid=U&otp_token=T#/spa")]
    public void RedirectKeepsTheApplicationsQueryAndFragment(string redirect, string expected)
    {
        var uuid = Guid.NewGuid();
        Assert.Equal(expected.Replace("U", uuid.ToString(), StringComparison.Ordinal),
            Passline.Links.VerificationPage.RedirectUrl(redirect, uuid, "T"));
    }
}
