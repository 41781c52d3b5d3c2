using System.Net;
using Microsoft.EntityFrameworkCore;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Api;

/// <summary>SPEC 6's limits, counted in the database so that they hold across nodes.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    private PasslineApp App(params (string Key, string Value)[] settings) =>
        new(database, settings.ToDictionary(s => s.Key, s => (string?)s.Value));

    [Theory]
    [InlineData("generate-link")]
    [InlineData("request-code")]
    public async Task FivePerBoundChatPerTenMinutes(string endpoint)
    {
        await using var app = App();
        var instance = await app.CreateInstanceAsync();
        var client = instance.Client();
        Task<HttpResponseMessage> Post(string chat) => client.PostAsync(instance.Api(endpoint), Json.Body($$"""{"chatId": "{{chat}}"}"""));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Post("201063178738")).StatusCode);
            app.Time.Advance(TimeSpan.FromSeconds(30));
        }

        var limited = await Post("+20 106 317 8738");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(450), limited.Headers.RetryAfter!.Delta);
        Assert.Contains("Too many requests for this chat", (await limited.ReadObjectAsync())["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Post("201063178739")).StatusCode);

        app.Time.Advance(TimeSpan.FromSeconds(450));
        Assert.Equal(HttpStatusCode.OK, (await Post("201063178738")).StatusCode);
    }

    /// <summary>
    /// Calls for one chat that arrive together are counted one after another, whichever endpoint and whichever node
    /// takes them: the limit is not a read that all of them pass before any has stored its request.
    /// </summary>
    [Theory]
    [InlineData("generate-link", 1)]
    [InlineData("request-code", 1)]
    [InlineData("both", 1)]
    [InlineData("both", 2)]
    public async Task ConcurrentCallsForOneChatAdmitExactlyFive(string endpoints, int nodes)
    {
        var apps = new List<PasslineApp>();
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                apps.Add(App());
                apps[i].Time.AdjustTime(apps[0].Time.GetUtcNow());
            }

            var instance = await apps[0].CreateInstanceAsync();
            var clients = apps.ConvertAll(app => app.Client(instance.Token));
            var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            {
                var endpoint = endpoints == "both" ? (i % 2 == 0 ? "generate-link" : "request-code") : endpoints;
                return clients[i % nodes].PostAsync(instance.Api(endpoint), Json.Body("""{"chatId": "201063178738"}"""));
            }));

            Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            var limited = responses.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
            Assert.All(limited, r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
            Assert.All(limited, r => Assert.Equal(TimeSpan.FromMinutes(10), r.Headers.RetryAfter!.Delta));

            var (stored, codes) = await apps[0].WithDbAsync(async db => (
                await db.OtpRequests.CountAsync(r => r.InstanceId == instance.Id && r.BoundChatId == "201063178738@c.us"),
                await db.OutboundMessages.CountAsync(m => m.InstanceId == instance.Id && m.Kind == OutboundKinds.Code)));
            Assert.Equal(5, stored);
            Assert.Equal(await CountOkAsync(responses, "code"), codes);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static async Task<int> CountOkAsync(IEnumerable<HttpResponseMessage> responses, string otpType)
    {
        var count = 0;
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            count += (await response.ReadObjectAsync())["data"]!["otp_type"]!.GetValue<string>() == otpType ? 1 : 0;
        }

        return count;
    }

    [Fact]
    public async Task UnboundLinksAreNotLimitedPerChat()
    {
        await using var app = App();
        var instance = await app.CreateInstanceAsync();

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await instance.Client().PostAsync(instance.Api("generate-link"), null)).StatusCode);
        }
    }

    [Fact]
    public async Task PerInstanceRateIsOffByDefaultAndHoldsAcrossNodesWhenSet()
    {
        await using var first = App(("Passline:RateLimits:PerInstancePerMinute", "4"));
        await using var second = App(("Passline:RateLimits:PerInstancePerMinute", "4"));
        var instance = await first.CreateInstanceAsync();
        second.Time.AdjustTime(first.Time.GetUtcNow());
        var clients = new[] { first.Client(instance.Token), second.Client(instance.Token) };

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await clients[i % 2].PostAsync(instance.Api("generate-link"), null)).StatusCode);
        }

        var limited = await clients[0].PostAsync(instance.Api("generate-link"), null);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await clients[1].PostAsync(instance.Api("request-code"), Json.Body("""{"chatId": "201063178738"}"""))).StatusCode);

        first.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await clients[0].PostAsync(instance.Api("generate-link"), null)).StatusCode);
    }

    [Fact]
    public async Task PagesAllowThirtyRequestsPerMinutePerIpAcrossNodes()
    {
        await using var first = App(("Passline:RateLimits:PagesPerIpPerMinute", "30"));
        await using var second = App(("Passline:RateLimits:PagesPerIpPerMinute", "30"));
        second.Time.AdjustTime(first.Time.GetUtcNow());

        for (var i = 0; i < 30; i++)
        {
            var app = i % 2 == 0 ? first : second;
            Assert.Equal(HttpStatusCode.NotFound, (await app.Client().GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode);
        }

        var limited = await first.Client().GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("no-store", limited.Headers.CacheControl!.ToString());

        first.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.NotFound, (await first.Client().GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode);
    }

    [Fact]
    public async Task OpeningLiveStatusStreamsCountsAgainstTheStatusLimit()
    {
        await using var app = App(("Passline:RateLimits:StatusPerIpPerMinute", "2"), ("Passline:RateLimits:StreamsPerIp", "100"));
        var instance = await app.CreateInstanceAsync();
        var link = await LinkFlow.GenerateAsync(instance);
        var client = app.Client();
        async Task<HttpStatusCode> OpenAndLeaveAsync()
        {
            using var stream = await OpenStreamAsync(client, link);
            return stream.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await OpenAndLeaveAsync());
        Assert.Equal(HttpStatusCode.OK, await OpenAndLeaveAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, await OpenAndLeaveAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync($"/l/{link.Uuid}/status")).StatusCode);
    }

    [Fact]
    public async Task InboundLimitAtZeroIsOff()
    {
        await using var app = App(("Passline:RateLimits:InboundPerChatPerMinute", "0"));
        var instance = await app.CreateInstanceAsync();
        const string chat = "201444444444";
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal("no_code", await LinkFlow.SimulatorSendAsync(instance, "hello " + i, from: chat));
        }

        var link = await LinkFlow.GenerateAsync(instance);
        Assert.Equal("matched", await LinkFlow.SimulatorSendAsync(instance, Webhooks.Message(link.Code), from: chat));
    }

    /// <summary>The page over the limit says how long to wait in the browser's language, the word in the number's form.</summary>
    [Theory]
    [InlineData("en", 1, "Please wait 1 second and try again.")]
    [InlineData("en", 5, "Please wait 5 seconds and try again.")]
    [InlineData("de", 1, "Bitte warten Sie 1 Sekunde und versuchen Sie es dann erneut.")]
    [InlineData("ar", 1, "يُرجى الانتظار ثانية واحدة ثم المحاولة مرة أخرى.")]
    [InlineData("ar", 2, "يُرجى الانتظار ثانيتين ثم المحاولة مرة أخرى.")]
    [InlineData("ar", 5, "يُرجى الانتظار 5 ثوانٍ ثم المحاولة مرة أخرى.")]
    [InlineData("ar", 30, "يُرجى الانتظار 30 ثانية ثم المحاولة مرة أخرى.")]
    public async Task ThePageOverTheLimitSaysHowLongToWaitInTheBrowsersLanguage(string language, int seconds, string text)
    {
        await using var app = App(("Passline:RateLimits:PagesPerIpPerMinute", "1"));
        app.Time.SetUtcNow(new DateTimeOffset(2025, 12, 29, 18, 0, 0, TimeSpan.Zero).AddSeconds(-seconds));
        var client = app.Client();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode);

        var limited = await client.GetAsync("/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(seconds), limited.Headers.RetryAfter!.Delta);
        Assert.Contains($"<p>{text}</p>", WebUtility.HtmlDecode(await limited.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    /// <summary>
    /// The link page's live status is limited per address too: its JSON form by the minute (the page polls it every 2 s),
    /// its event streams by how many are open at once.
    /// </summary>
    [Fact]
    public async Task LiveStatusIsLimitedPerAddressByTheMinuteAndByTheStreamsOpen()
    {
        await using var app = App(("Passline:RateLimits:StatusPerIpPerMinute", "3"), ("Passline:RateLimits:StreamsPerIp", "2"));
        var instance = await app.CreateInstanceAsync();
        var link = await LinkFlow.GenerateAsync(instance);
        var client = app.Client();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/l/{link.Uuid}/status")).StatusCode);
        }

        var polled = await client.GetAsync($"/l/{link.Uuid}/status");
        Assert.Equal(HttpStatusCode.TooManyRequests, polled.StatusCode);
        Assert.NotNull(polled.Headers.RetryAfter);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/l/{link.Uuid}/status")).StatusCode);

        Task<HttpResponseMessage> StreamAsync() => OpenStreamAsync(client, link);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        using var first = await StreamAsync();
        using (var second = await StreamAsync())
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
            using var third = await StreamAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Contains("Too many live-status streams open from this address.", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A stream the browser left gives its place back (each try in a minute of its own: opening counts as a poll).
        await Eventually.TrueAsync(async () =>
        {
            app.Time.Advance(TimeSpan.FromMinutes(1));
            using var again = await StreamAsync();
            return again.StatusCode == HttpStatusCode.OK;
        }, "a stream's place given back");
    }

    /// <summary>Opens the link page's live-status stream and returns once its headers arrive (the stream stays open).</summary>
    private static Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, LinkFlow.Created link) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/l/{link.Uuid}/events"), HttpCompletionOption.ResponseHeadersRead);
}
