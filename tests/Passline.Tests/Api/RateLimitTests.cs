using System.Net;
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
}
