using System.Net;
using Passline.Tests.Demo;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Pages;

/// <summary>The pages a person or an uptime monitor opens answer HEAD as they answer GET, without the body.</summary>
public sealed class HeadTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/docs/")]
    [InlineData("/demo")]
    [InlineData("/simulator/{demo}")]
    public async Task HeadAnswersWithTheHeadersOfGetAndNoBody(string path)
    {
        path = path.Replace("{demo}", (await DemoInstance.EnsureAsync(App)).Id.ToString(), StringComparison.Ordinal);
        var get = await App.Client().GetAsync(path);
        using var request = new HttpRequestMessage(HttpMethod.Head, path);
        var head = await App.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Headers.GetValues("Content-Security-Policy").Single().Split("'nonce-")[0], head.Headers.GetValues("Content-Security-Policy").Single().Split("'nonce-")[0]);
        Assert.NotEmpty(await get.Content.ReadAsByteArrayAsync());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }
}
