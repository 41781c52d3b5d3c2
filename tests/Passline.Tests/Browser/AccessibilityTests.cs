using System.Net;
using System.Text.Json.Nodes;
using OpenQA.Selenium;
using Passline.Links;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using DemoInstance = Passline.Tests.Demo.DemoInstance;

namespace Passline.Tests.Browser;

/// <summary>
/// The pages for everyone (WCAG 2.1 AA): axe-core finds no serious or critical violation on any page, at phone and
/// desktop sizes, light and dark; the whole flow works with the keyboard alone; the pages speak the user's language,
/// right to left in Arabic.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(AppFixture fixture) : IClassFixture<AppFixture>, IAsyncLifetime
{
    private PasslineApp App => fixture.App;
    private LoopbackServer application = null!;

    public async Task InitializeAsync() => application = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await application.DisposeAsync();

    private string AppOrigin => application.BaseAddress.GetLeftPart(UriPartial.Authority);

    private async Task<(TestInstance Instance, JsonObject Link)> LinkAsync(string? language = null)
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", redirectOrigins: [AppOrigin]);
        var body = new JsonObject { ["redirect"] = $"{AppOrigin}/done" };
        if (language is not null)
        {
            body["language"] = language;
        }

        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (instance, json["data"]!.AsObject());
    }

    private static Uri LinkUrl(JsonObject link) => new(link["link_url"]!.GetValue<string>());

    /// <summary>The user sends the pre-filled message of <paramref name="link"/>; returns the verification page's URL.</summary>
    private async Task<Uri> VerificationUrlAsync(TestInstance instance, JsonObject link, string from = "201063178738")
    {
        var text = Uri.UnescapeDataString(link["whatsapp_link"]!.GetValue<string>().Split("?text=")[1].Replace('+', ' '));
        Assert.Equal("matched", await SimulatorSendAsync(instance, text, from));
        return new Uri(App.BaseAddress, VerificationPath((await SimulatorOutboxAsync(instance, from + "@c.us")).Single()));
    }

    [Fact]
    public async Task EveryPageHasNoSeriousOrCriticalAccessibilityViolation()
    {
        await DemoInstance.EnsureAsync(App);
        using var desktop = Browser.Start();

        // The demo, its link page, the simulated phone before and after the reply, the verification page, logged in.
        desktop.Go(new Uri(App.BaseAddress, "/demo"));
        desktop.AssertAccessible("the demo");
        desktop.Find("#login").Click();
        desktop.WaitUntil(() => desktop.FindAll("#qr img").Count == 1, "the link page");
        desktop.AssertAccessible("the link page");
        desktop.Find("#simulated-phone").Click();
        desktop.WaitUntil(() => desktop.FindAll("#compose").Count == 1, "the simulated phone");
        desktop.AssertAccessible("the simulated phone");
        desktop.Find("#send").Click();
        desktop.WaitUntil(() => desktop.FindAll(".bubble.in a").Count == 1, "Passline's reply with the link");
        desktop.AssertAccessible("the simulated phone with the chat");
        desktop.Find(".bubble.in a").Click();
        desktop.WaitUntil(() => desktop.FindAll("button[value=verify]").Count == 1, "the verification page");
        desktop.AssertAccessible("the verification page, this device");
        desktop.Find("button[value=verify]").Click();
        desktop.WaitUntil(() => desktop.FindAll("#logged-in").Count == 1, "the demo, logged in");
        desktop.AssertAccessible("the demo, logged in");

        // Another device's sign-in, with its warning; refused; the link page that follows it.
        var (instance, link) = await LinkAsync();
        desktop.Go(LinkUrl(link));
        var verification = await VerificationUrlAsync(instance, link);
        desktop.WaitUntil(() => desktop.Find("#status").GetAttribute("data-state") == "received", "the link page to show the message");
        desktop.AssertAccessible("the link page, message received");
        using var phone = Browser.Start(Browser.IPhone);
        phone.Go(verification);
        Assert.StartsWith("Another device", phone.Text("#device"));
        phone.AssertAccessible("the verification page, another device");
        phone.Find("button[value=decline]").Click();
        phone.WaitUntil(() => phone.FindAll(".badge.ok").Count == 1, "the refusal");
        phone.AssertAccessible("the refusal");
        desktop.WaitUntil(() => desktop.Find("#status").GetAttribute("data-state") == "declined", "the link page to show the refusal");
        desktop.AssertAccessible("the link page, refused");
        phone.Go(verification);
        phone.AssertAccessible("a used verification link");

        // Links that are not valid, and the dashboard with its figures.
        desktop.Go(new Uri(App.BaseAddress, "/v/unknown-token-unknown-token-unknown"));
        desktop.AssertAccessible("an unknown verification link");
        desktop.Go(new Uri(App.BaseAddress, $"/l/{Guid.NewGuid()}"));
        desktop.AssertAccessible("an unknown link page");
        desktop.Go(new Uri(App.BaseAddress, "/dashboard"));
        desktop.AssertAccessible("the dashboard");
        desktop.Find("#instance").SendKeys(instance.Id.ToString());
        desktop.Find("#token").SendKeys(instance.Token);
        desktop.Find("#login button").Click();
        desktop.WaitUntil(() => desktop.Find("#figures").Displayed, "the dashboard's figures");
        desktop.AssertAccessible("the dashboard with figures");
    }

    [Fact]
    public async Task TheWholeDemoFlowWorksWithTheKeyboardOnly()
    {
        await DemoInstance.EnsureAsync(App);
        using var browser = Browser.Start();
        browser.Go(new Uri(App.BaseAddress, "/demo"));

        browser.TabTo("#login");
        browser.Press(Keys.Enter);
        browser.WaitUntil(() => browser.FindAll("#qr img").Count == 1, "the link page");
        Assert.Equal("status", browser.Find("#status").GetAttribute("role"));
        Assert.Equal("polite", browser.Find("#status").GetAttribute("aria-live"));

        browser.TabTo("#simulated-phone");
        browser.Press(Keys.Enter);
        browser.WaitUntil(() => browser.FindAll("#compose").Count == 1, "the simulated phone");
        browser.TabTo("#text");
        browser.Press(Keys.Enter); // Enter sends, as in WhatsApp
        browser.WaitUntil(() => browser.FindAll(".bubble.in a").Count == 1, "Passline's reply with the link");

        browser.TabTo(".bubble.in a");
        browser.Press(Keys.Enter);
        browser.WaitUntil(() => browser.FindAll("button[value=verify]").Count == 1, "the verification page");
        browser.TabTo("button[value=verify]");
        browser.Screenshot("keyboard-1-verify-focused");
        browser.Press(Keys.Enter);
        browser.WaitUntil(() => browser.FindAll("#logged-in").Count == 1, "the demo, logged in");

        browser.TabTo("#logout");
        browser.Press(Keys.Enter);
        browser.WaitUntil(() => browser.FindAll("#login").Count == 1, "the demo, logged out");
    }

    [Fact]
    public async Task VerificationAndLinkPagesInArabicRightToLeft()
    {
        // The request's language decides, whatever the browsers ask for.
        var (instance, link) = await LinkAsync(language: "ar");
        using var desktop = Browser.Start();
        desktop.Go(LinkUrl(link));
        AssertLanguage(desktop, "ar", "rtl");
        Assert.Equal("امسح الرمز لتسجيل الدخول", desktop.Text("h1"));
        Assert.Equal("rtl", desktop.Script("return getComputedStyle(document.body).direction;"));
        Assert.Equal("في انتظار رسالتك على واتساب", desktop.Text("#status-title"));
        desktop.WaitUntil(() => !desktop.Text(".muted time").Contains("UTC", StringComparison.Ordinal), "the expiry in the browser's time zone");
        desktop.Screenshot("language-ar-1-link-page");

        var verification = await VerificationUrlAsync(instance, link);
        desktop.WaitUntil(() => desktop.Text("#status-title") == "وصلت الرسالة", "the live status, in Arabic");
        desktop.Screenshot("language-ar-2-link-page-received");

        using var phone = Browser.Start(Browser.IPhone);
        phone.Go(verification);
        AssertLanguage(phone, "ar", "rtl");
        Assert.Equal("هل تريد تسجيل الدخول إلى Acme؟", phone.Text("h1"));
        Assert.StartsWith("جهاز آخر", phone.Text("#device"));
        Assert.Equal("تأكيد", phone.Text("button[value=verify]"));
        Assert.Equal("لست أنا", phone.Text("button[value=decline]"));
        Assert.Equal("+201063178738", phone.Text("dd span[dir=ltr]"));
        phone.WaitUntil(() => !phone.Text("dd time").Contains("UTC", StringComparison.Ordinal), "the request time in the browser's time zone");
        phone.AssertAccessible("the Arabic verification page");
        phone.Screenshot("language-ar-3-verification-page");
        phone.Find("button[value=verify]").Click();
        phone.WaitUntil(() => phone.Find("h1").Text == "تم التحقق", "the Arabic confirmation");
        desktop.WaitUntil(() => desktop.Url.StartsWith($"{AppOrigin}/done?", StringComparison.Ordinal), "the redirect");
    }

    [Fact]
    public async Task VerificationAndLinkPagesInTheBrowsersPortuguese()
    {
        // No language on the request: the browser's Accept-Language decides.
        var (instance, link) = await LinkAsync();
        using var desktop = Browser.Start(language: "pt-BR");
        desktop.Go(LinkUrl(link));
        AssertLanguage(desktop, "pt-BR", "ltr");
        Assert.Equal("Escaneie para entrar", desktop.Text("h1"));
        Assert.Equal("Abrir o WhatsApp", desktop.Text("#whatsapp-link"));
        desktop.Screenshot("language-pt-1-link-page");

        var verification = await VerificationUrlAsync(instance, link);
        using var phone = Browser.Start(Browser.IPhone, language: "pt-BR");
        phone.Go(verification);
        AssertLanguage(phone, "pt-BR", "ltr");
        Assert.Equal("Entrar em Acme?", phone.Text("h1"));
        Assert.Equal("Confirmar", phone.Text("button[value=verify]"));
        phone.WaitUntil(() => !phone.Text("dd time").Contains("UTC", StringComparison.Ordinal), "the request time in the browser's time zone");
        phone.AssertAccessible("the Portuguese verification page");
        phone.Screenshot("language-pt-2-verification-page");

        // The WhatsApp messages follow the instance (English here): the code and the suffix never change.
        Assert.StartsWith($"{MessageTemplates.For("en").Prompt.Replace("{name}", "Acme", StringComparison.Ordinal)} [", Uri.UnescapeDataString(link["whatsapp_link"]!.GetValue<string>().Split("?text=")[1].Replace('+', ' ')));
    }

    private static void AssertLanguage(Browser browser, string language, string direction)
    {
        Assert.Equal(language, browser.Find("html").GetAttribute("lang"));
        Assert.Equal(direction, browser.Find("html").GetAttribute("dir"));
    }
}
