using Passline;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Links;
using Passline.Monitoring;
using Passline.Storage;

if (PasslineCommandLine.Handles(args))
{
    return await PasslineCommandLine.InvokeAsync(args);
}

var builder = WebApplication.CreateBuilder(args is ["serve", .. var serveArgs] ? serveArgs : args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonBody.MaxBytes);

var development = builder.Environment.IsDevelopment();
builder.Services.AddOptions<CallbackOptions>().Configure(o => o.AllowPrivateNetworks = development).BindConfiguration("Passline:Callbacks");
builder.Services.AddOptions<SimulatorOptions>().Configure(o => o.Enabled = development).BindConfiguration("Passline:Simulator");

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
builder.Services.AddSingleton<PublicUrls>();
builder.Services.AddPasslineStorage(builder.Configuration);
builder.Services.AddHostedService<DemoInstance>();
builder.Services.AddPasslineHealth();

var app = builder.Build();

app.UseApiErrors();
app.MapPasslineHealth();
app.MapLinkApi();

await app.RunAsync();
return 0;
