using Passline;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels;
using Passline.Codes;
using Passline.Demo;
using Passline.Inbound;
using Passline.Instances;
using Passline.Links;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Pages;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

if (PasslineCommandLine.Handles(args))
{
    return await PasslineCommandLine.InvokeAsync(args);
}

var builder = WebApplication.CreateBuilder(PasslineCommandLine.Options(args is ["serve", .. var serveArgs] ? serveArgs : args));
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.Services.AddSingleton(TimeProvider.System);
builder.AddStorage();
builder.Services.AddOutbox();
builder.AddApi();
builder.AddInstances();
builder.AddRateLimiting();
builder.AddRequests();
builder.AddLinks();
builder.AddInbound();
builder.AddChannels();
builder.AddCallbacks();
builder.AddMonitoring();
builder.AddPages();
builder.AddDemo();

var app = builder.Build();

app.UseApiErrors();
app.MapPages();
app.MapMonitoring();
app.MapLinks();
app.MapCodeApi();
app.MapChannels();
app.MapDemo();
app.MapApiDocs();

await app.RunAsync();
return 0;
