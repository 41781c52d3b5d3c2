using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Passline.Client;

namespace Passline.Tests.Client;

/// <summary><c>AddPasslineClient</c>: the client from <c>IHttpClientFactory</c>, with the standard resilience handler.</summary>
public sealed class PasslineClientRegistrationTests
{
    private static ServiceProvider Services(Action<PasslineClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPasslineClient(configure);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task RegisteredClientRetriesAReadButNeverAPostAfterAServerError()
    {
        var attempts = new Dictionary<string, int>();
        await using var server = await ScriptedServer.StartAsync(context =>
        {
            lock (attempts)
            {
                attempts[context.Request.Method] = attempts.GetValueOrDefault(context.Request.Method) + 1;
                var first = attempts[context.Request.Method] == 1;
                return first
                    ? ScriptedServer.Json(503, """{"success": false, "message": "Try again."}""")(context)
                    : ScriptedServer.Json(200, """{"success": true, "message": "ok", "data": {"links_generated": 3}}""")(context);
            }
        });
        var instance = Guid.NewGuid();
        await using var provider = Services(o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.Instance = instance;
            o.ApiToken = "pl_test";
        });
        var passline = provider.GetRequiredService<PasslineClient>();

        var stats = await passline.GetStatsAsync();
        Assert.Equal(3, stats.GetProperty("links_generated").GetInt32());

        // A POST whose answer was lost may have taken effect (a redeemed token answers 410 the second time): not retried.
        var refused = await Assert.ThrowsAsync<PasslineApiException>(() => passline.ExchangeAsync("otp-token"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        Assert.Equal(["GET", "GET", "POST"], server.Received.Select(r => r.Method));
        Assert.All(server.Received, r => Assert.Equal("Bearer pl_test", r.Authorization));
        Assert.All(server.Received, r => Assert.StartsWith($"/api/otp/v2/{instance}/", r.PathAndQuery, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingSettingsAreReportedWhenTheClientIsFirstNeeded()
    {
        await using var provider = Services(o => o.BaseAddress = new Uri("https://passline.example.com"));

        var error = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<PasslineClient>);
        Assert.Contains("Passline:Instance", error.Message, StringComparison.Ordinal);
        Assert.Contains("Passline:ApiToken", error.Message, StringComparison.Ordinal);

        // The client needs no webhook secret; the callback verifier cannot do without one.
        await using var withoutSecret = Services(o =>
        {
            o.BaseAddress = new Uri("https://passline.example.com");
            o.Instance = Guid.NewGuid();
            o.ApiToken = "pl_test";
        });
        Assert.NotNull(withoutSecret.GetRequiredService<PasslineClient>());
        Assert.Contains("WebhookSecret", Assert.Throws<InvalidOperationException>(withoutSecret.GetRequiredService<CallbackVerifier>).Message, StringComparison.Ordinal);
    }
}
