using System.Net;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Pages;

/// <summary>A page that cannot be answered (the database out of reach) is still a page, not the API's JSON.</summary>
public sealed class PageFailureTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task APageWhoseDatabaseFailsAnswersWithAPageInTheBrowsersLanguage()
    {
        await using var app = new PasslineApp(database);
        var instance = await app.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"expires": 60}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        var path = VerificationPath((await SimulatorOutboxAsync(instance)).Single());

        // A node past expires_at where every queued WhatsApp message fails to be stored, as a database out of reach would:
        // the expired link's GET, which queues the expired message, cannot finish.
        var failing = new FailingCommands("outbound_messages", times: int.MaxValue);
        await using var node = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Workers:Enabled"] = "false" },
            services => services.AddSingleton<IInterceptor>(failing));
        node.Time.AdjustTime(app.Time.GetUtcNow() + TimeSpan.FromSeconds(61));
        var browser = node.Client();
        browser.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de-DE");

        var response = await browser.GetAsync(path);

        Assert.True(failing.Failed > 0);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoStore); // the exception handler adds no-cache
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("Bei uns ist etwas schiefgelaufen.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }
}
