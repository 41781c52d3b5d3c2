using Passline;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels;
using Passline.Channels.CloudApi;
using Passline.Channels.Simulator;
using Passline.Channels.Waha;
using Passline.Codes;
using Passline.Demo;
using Passline.Hosting;
using Passline.Inbound;
using Passline.Instances;
using Passline.Links;
using Passline.Monitoring;
using Passline.Storage;

if (PasslineCommandLine.Handles(args))
{
    return await PasslineCommandLine.InvokeAsync(args);
}

var builder = WebApplication.CreateBuilder(PasslineCommandLine.Options(args is ["serve", .. var serveArgs] ? serveArgs : args));
builder.AddListeners();
builder.AddProxyHeaders();

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonBody.MaxBytes);

var development = builder.Environment.IsDevelopment();
builder.Services.AddOptions<CallbackOptions>().Configure(o => o.AllowPrivateNetworks = development).BindConfiguration("Passline:Callbacks");
builder.Services.AddOptions<SimulatorOptions>().Configure(o => o.Enabled = development).BindConfiguration("Passline:Simulator");

builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section);
builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
builder.Services.AddScoped<RateLimits>();

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
builder.Services.AddSingleton<PublicUrls>();
builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<TokenCache>();
builder.Services.AddPasslineStorage(builder.Configuration);
builder.Services.AddPasslineDataProtection();
builder.Services.AddAntiforgery(o =>
{
    o.Cookie.Name = "passline-csrf";
    o.SuppressXFrameOptionsHeader = true; // pages send DENY themselves
});
builder.Services.AddHostedService<DemoInstance>();
builder.Services.AddPasslineHealth();
PasslineMetrics.AddPasslineMetrics(builder.Services);

builder.Services.AddScoped<LinkLifecycle>();
builder.Services.AddSingleton<LinkRequestWriter>();
builder.Services.AddHostedService(services => services.GetRequiredService<LinkRequestWriter>());
builder.Services.AddScoped<InboundProcessor>();
builder.Services.AddSingleton<OutboxSignal>();
builder.Services.AddSingleton<ChannelSender>();
builder.Services.AddHttpClient(ChannelSender.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));
builder.Services.AddHostedService<OutboundWorker>();
builder.Services.AddSingleton<CallbackResolver>();
builder.Services.AddSingleton<HostAddresses>();
builder.Services.AddSingleton<GuardedConnect>();
builder.Services.AddHttpClient(CallbackWorker.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
    .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false, // the guard must see the receiver's address, not a proxy's
        UseCookies = false,
        ConnectCallback = services.GetRequiredService<GuardedConnect>().ConnectAsync,
    });
builder.Services.AddHostedService<CallbackWorker>();
builder.Services.AddHostedService<ExpirySweeper>();
builder.Services.AddApiDocs();

var app = builder.Build();

app.UseProxyHeaders();
app.UseManagementListener();
app.UseApiErrors();
app.MapPasslineHealth();
app.MapPrometheusScrapingEndpoint("/metrics");
app.MapLinkApi();
app.MapCodeApi();
app.MapStatsApi();
app.MapDashboard();
app.MapVerificationPage();
app.MapLinkPage();
app.MapSimulatedPhone();
app.MapDemo();
app.MapApiDocs();
app.MapSimulator();
app.MapWahaWebhook();
app.MapCloudApiWebhook();

try
{
    await app.RunAsync();
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    // A configuration mistake (a missing Passline:Secrets:Key, say) deserves its message, not a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

return 0;
