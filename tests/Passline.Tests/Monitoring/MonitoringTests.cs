using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Monitoring;

/// <summary>Prometheus <c>/metrics</c> and <c>GET /stats</c> (SPEC 8) after flows a user would run.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MonitoringTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    /// <summary>
    /// Runs, on a fresh instance: one verified link (opened on its link page, verified 42 s after it was generated),
    /// one expired, one declined, one still pending, and one message with an unknown code.
    /// </summary>
    private async Task<TestInstance> RunFlowsAsync()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        var verified = await GenerateAsync(instance);
        await App.WithDbAsync(db => db.OtpRequests.Where(r => r.Id == verified.Uuid).ExecuteUpdateAsync(s => s.SetProperty(r => r.LinkOpenedAt, App.Time.GetUtcNow())));
        var expired = await GenerateAsync(instance, """{"expires": 60}""");
        var declined = await GenerateAsync(instance);
        await GenerateAsync(instance);

        App.Time.Advance(TimeSpan.FromSeconds(42));
        await SimulatorSendAsync(instance, Message(verified.Code), from: "201000000001");
        await PressAsync(App.Client(), VerificationPath((await SimulatorOutboxAsync(instance, "201000000001@c.us")).Single()));
        await SimulatorSendAsync(instance, Message(declined.Code), from: "201000000002");
        await PressAsync(App.Client(), VerificationPath((await SimulatorOutboxAsync(instance, "201000000002@c.us")).Single()), "decline");
        await SimulatorSendAsync(instance, Message("QQQQQQQQ"), from: "201000000003");
        App.Time.Advance(TimeSpan.FromSeconds(20));
        await App.AdvanceUntilAsync(async () => (await RequestAsync(App, expired.Uuid)).Status.Name() == "expired", TimeSpan.FromSeconds(5), "the sweeper");
        return instance;
    }

    [Fact]
    public async Task MetricsCountWhatHappened()
    {
        var instance = await RunFlowsAsync();
        var id = instance.Id.ToString();

        string text = "";
        double Value(string metric, params string[] labels)
        {
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
            return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }

        await Eventually.TrueAsync(async () =>
        {
            text = await App.Client().GetStringAsync("/metrics");
            // The unknown code's reply is delivered in the background: its count may come after the expiry's.
            return Value("passline_requests_ended_total", $"instance=\"{id}\"", "status=\"expired\"") == 1
                && Value("passline_deliveries_total", "channel=\"simulator\"", "outcome=\"delivered\"") >= 3;
        }, "the metrics to show the flows");

        Assert.Equal(4, Value("passline_requests_created_total", $"instance=\"{id}\"", "otp_type=\"link\""));
        Assert.Equal(2, Value("passline_messages_received_total", $"instance=\"{id}\"", "outcome=\"matched\""));
        Assert.Equal(1, Value("passline_messages_received_total", $"instance=\"{id}\"", "outcome=\"unknown_code\""));
        Assert.Equal(1, Value("passline_requests_ended_total", $"instance=\"{id}\"", "status=\"verified\""));
        Assert.Equal(1, Value("passline_requests_ended_total", $"instance=\"{id}\"", "status=\"failed\"", "reason=\"declined\""));
        Assert.Equal(1, Value("passline_verification_duration_seconds_count", $"instance=\"{id}\""));
        Assert.Equal(42, Value("passline_verification_duration_seconds_sum", $"instance=\"{id}\""));
        Assert.True(Value("passline_deliveries_total", "channel=\"simulator\"", "outcome=\"delivered\"") >= 3);
        Assert.Matches(new Regex("^http_server_request_duration_seconds_count\\{.*http_route=\"/api/otp/v2/\\{instance\\}/generate-link\"", RegexOptions.Multiline), text);
        Assert.Contains("dotnet_gc_collections_total", text);
        Assert.DoesNotContain(instance.Token, text);
    }

    [Fact]
    public async Task StatsGiveThePeriodsFigures()
    {
        var from = App.Time.GetUtcNow().AddMinutes(-1);
        var instance = await RunFlowsAsync();
        var to = App.Time.GetUtcNow().AddMinutes(1);

        var response = await instance.Client().GetAsync(instance.Api($"stats?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.ReadObjectAsync())["data"]!;

        Assert.Equal(4, data["links_generated"]!.GetValue<int>());
        Assert.Equal(1, data["link_clicks"]!.GetValue<int>());
        Assert.Equal(0.25, data["click_through_rate"]!.GetValue<double>());
        Assert.Equal(3, data["messages_received"]!.GetValue<int>());
        Assert.Equal(1, data["verified"]!.GetValue<int>());
        Assert.Equal(1, data["expired"]!.GetValue<int>());
        Assert.Equal(1, data["failed"]!.GetValue<int>());
        Assert.Equal(0.25, data["verification_success_rate"]!.GetValue<double>());
        Assert.Equal(0.25, data["expiration_rate"]!.GetValue<double>());
        Assert.Equal(1, data["failed_attempts"]!.GetValue<int>());
        Assert.Equal(42, data["mean_time_to_verification_seconds"]!.GetValue<double>());
        Assert.Equal(42, data["p95_time_to_verification_seconds"]!.GetValue<double>());
        var series = data["series"]!.AsArray();
        Assert.Equal(4, series.Sum(b => b!["generated"]!.GetValue<int>()));
        Assert.Equal(1, series.Sum(b => b!["pending"]!.GetValue<int>()));
    }

    [Fact]
    public async Task StatsOfAnEmptyPeriodHaveNoRates()
    {
        var instance = await App.CreateInstanceAsync();
        var data = (await (await instance.Client().GetAsync(instance.Api("stats?from=2020-01-01&to=2020-01-08"))).ReadObjectAsync())["data"]!;

        Assert.Equal(0, data["links_generated"]!.GetValue<int>());
        Assert.Null(data["click_through_rate"]);
        Assert.Null(data["mean_time_to_verification_seconds"]);
        Assert.Equal(7, data["series"]!.AsArray().Count);
    }

    [Fact]
    public async Task DashboardPageAsksTheStatsEndpointWithTheTokenItIsGiven()
    {
        var response = await App.Client().GetAsync("/dashboard");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = Regex.Match(csp, "script-src 'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains("connect-src 'self'", csp);

        // The script is a static file with a fingerprinted name, admitted by the page's nonce and cached for a year.
        var src = Regex.Match(html, $"""<script src="(/dashboard\.[a-z0-9]+\.js)" nonce="{Regex.Escape(nonce)}" """).Groups[1].Value;
        Assert.NotEmpty(src);
        var script = await App.Client().GetAsync(src);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("immutable", script.Headers.CacheControl!.ToString());
        var code = await script.Content.ReadAsStringAsync();
        Assert.Contains("/stats?from=", code);
        Assert.Contains("Authorization: 'Bearer ' + token", code);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2020-13-45", "to")]
    [InlineData("from=2021-01-02&to=2021-01-01", "from")]
    [InlineData("from=2020-01-01&to=2022-01-01", "from")]
    [InlineData("to=0001-01-03", "to")]
    [InlineData("from=1969-12-31T23:30:00Z&to=1970-01-02", "from")]
    [InlineData("from=9999-12-30&to=9999-12-31T23:30:00Z", "to")]
    [InlineData("to=1970-01-01", "from")]
    public async Task BadPeriodsAre422NamingTheField(string query, string field)
    {
        var instance = await App.CreateInstanceAsync();
        var response = await instance.Client().GetAsync(instance.Api($"stats?{query}"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([field], (await response.ReadObjectAsync())["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task PeriodsAtTheEdgesOfTheRangeAnswer()
    {
        var instance = await App.CreateInstanceAsync();
        foreach (var (query, from, to) in new[]
        {
            ("to=1970-01-03", "1970-01-01T00:00:00+00:00", "1970-01-03T00:00:00+00:00"),
            ("from=9999-12-24T00:30:00Z&to=9999-12-31", "9999-12-24T00:00:00+00:00", "9999-12-31T00:00:00+00:00"),
        })
        {
            var response = await instance.Client().GetAsync(instance.Api($"stats?{query}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var data = (await response.ReadObjectAsync())["data"]!;
            Assert.Equal(from, data["from"]!.GetValue<string>());
            Assert.Equal(to, data["to"]!.GetValue<string>());
        }
    }
}

/// <summary>
/// Meters are process-wide: every app's OpenTelemetry provider hears the same-named instruments of every other app in
/// the test process, and an app disposed meanwhile can take a shared metric stream with it. The metrics tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
