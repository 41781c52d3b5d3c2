using System.Net;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Links;

/// <summary>SPEC 4: every page sends no-store, no-referrer, DENY and a strict Content-Security-Policy, whatever its outcome.</summary>
public sealed class PageHeadersTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Fact]
    public async Task EveryPageSendsTheSecurityHeaders()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code, "Hypersender"));
        var verification = VerificationPath((await SimulatorOutboxAsync(instance)).Single());
        var browser = App.Client();
        browser.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36");

        string[] pages = [$"/l/{link.Uuid}", $"/l/{Guid.NewGuid()}", verification, "/v/unknown-token-unknown-token-unknown", "/demo", $"/simulator/{instance.Id}", $"/simulator/{Guid.NewGuid()}"];
        foreach (var path in pages)
        {
            var response = await browser.GetAsync(path);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            var html = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("src=\"http", html); // no external asset
        }

        var status = await browser.GetAsync($"/l/{link.Uuid}/status");
        Assert.Equal("no-store", status.Headers.CacheControl!.ToString());
        var phone = App.Client();
        phone.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36");
        var redirect = await phone.GetAsync($"/l/{link.Uuid}");
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal("no-referrer", redirect.Headers.GetValues("Referrer-Policy").Single());
    }
}
