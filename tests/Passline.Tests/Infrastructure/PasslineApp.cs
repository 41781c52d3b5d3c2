using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Passline.Instances;
using Passline.Storage;

namespace Passline.Tests.Infrastructure;

/// <summary>
/// Passline on real Kestrel (loopback, a free port) over a real database, with time under the test's control.
/// Several apps may share one <see cref="TestDatabase"/>: that is a restart, or a second node.
/// </summary>
public sealed class PasslineApp : WebApplicationFactory<Program>
{
    /// <summary>The moment of the SPEC 2.2 example's created_at.</summary>
    public static readonly DateTimeOffset Start = new(2025, 12, 29, 17, 44, 55, TimeSpan.Zero);

    private readonly TestDatabase database;
    private readonly Dictionary<string, string?> settings;

    private readonly Action<IServiceCollection>? services;

    private readonly string environment;

    public PasslineApp(
        TestDatabase database, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Testing")
    {
        this.environment = environment;
        this.services = services;
        this.database = database;
        this.settings = new Dictionary<string, string?>(database.Settings)
        {
            ["Passline:Simulator:Enabled"] = "true",
            ["Passline:Callbacks:AllowPrivateNetworks"] = "false",
            ["Urls"] = "http://127.0.0.1:0",

            // Static files with the caching headers of a published build (a build's own manifest would send no-cache).
            ["EnableStaticAssetsDevelopmentCaching"] = "true",

            // Every test browses from 127.0.0.1; the page limit has tests of its own.
            ["Passline:RateLimits:PagesPerIpPerMinute"] = "100000",
            ["Passline:RateLimits:StatusPerIpPerMinute"] = "100000",
            ["Passline:RateLimits:StreamsPerIp"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            this.settings[key] = value;
        }

        // Kestrel on the configured Urls (loopback, a free port), plus Passline:Management:Urls when a test sets it.
        UseKestrel();
        StartServer();
        BaseAddress = new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    /// <summary>Where this app listens: <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri BaseAddress { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(collection =>
        {
            collection.AddSingleton<TimeProvider>(Time);
            services?.Invoke(collection);
        });
    }

    /// <summary>
    /// Moves the clock on in <paramref name="step"/>s until <paramref name="condition"/> holds: background workers wait on
    /// this clock, and a jump made while a worker is between two waits would otherwise go unnoticed by it.
    /// </summary>
    public async Task AdvanceUntilAsync(Func<Task<bool>> condition, TimeSpan step, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Advanced the clock to {Time.GetUtcNow():u} waiting for {what}.");
            }

            Time.Advance(step);
            await Task.Delay(20);
        }
    }

    public Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, string what) =>
        AdvanceUntilAsync(() => Task.FromResult(condition()), step, what);

    public HttpClient Client(string? token = null)
    {
        // A plain client over real HTTP, like a browser or an application backend: keeps cookies, does not follow redirects.
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task<T> WithDbAsync<T>(Func<PasslineDb, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<PasslineDb>());
    }

    /// <summary>A fresh instance of the test's own, with a token.</summary>
    public Task<TestInstance> CreateInstanceAsync(
        string name = "Hypersender", string phone = "201553730661", string provider = Providers.Simulator,
        IReadOnlyList<string>? redirectOrigins = null, Action<ProviderSettings>? settings = null, string language = "en") =>
        WithDbAsync(async db =>
        {
            var instance = new Instance
            {
                Name = name,
                Phone = phone,
                Provider = provider,
                WebhookSecret = "",
                RedirectOrigins = [.. redirectOrigins ?? []],
                Language = language,
            };
            settings?.Invoke(instance.Settings);
            var created = await InstanceAdmin.CreateAsync(db, Time, instance, CancellationToken.None);
            return new TestInstance(created.Instance.Id, created.Token, this);
        });
}

public sealed record TestInstance(Guid Id, string Token, PasslineApp App)
{
    public string Api(string path) => $"/api/otp/v2/{Id}/{path}";

    public HttpClient Client() => App.Client(Token);
}
