using Passline;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels;
using Passline.Codes;
using Passline.Demo;
using Passline.Hosting;
using Passline.Inbound;
using Passline.Instances;
using Passline.Links;
using Passline.Monitoring;
using Passline.Outbox;
using Passline.Pages;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Retention;
using Passline.Storage;

if (PasslineCommandLine.Handles(args))
{
    return await PasslineCommandLine.InvokeAsync(args);
}

var configuration = args is ["serve", .. var serveArgs] ? serveArgs : args;
if (PasslineCommandLine.ServeArgumentsProblem(configuration) is { } problem)
{
    Console.Error.WriteLine($"error: {problem}");
    return 1;
}

// A configuration mistake (a missing Passline:Secrets:Key, a port-less management URL, a number that is not one, a
// database that cannot be reached, a port already taken) deserves its message, not a stack trace.
try
{
    var builder = WebApplication.CreateBuilder(PasslineCommandLine.Options(configuration));
    builder.AddListeners();
    builder.AddProxyHeaders();
    builder.AddIdleTrim();

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
    builder.AddRetention();
    builder.AddPages();
    builder.AddDemo();

    var app = builder.Build();
    ConfigurationException.ValidateSettings(app.Services);

    app.UseRequestHost();
    app.UseProxyHeaders();
    app.UseManagementListener();
    app.UseApiErrors();
    app.MapPages();
    app.MapMonitoring();
    app.MapLinks();
    app.MapCodeApi();
    app.MapChannels();
    app.MapDemo();
    app.MapApiDocs();

    await DatabaseStartup.PrepareAsync(app.Services, migrate: false, CancellationToken.None);
    var startFailure = app.Services.GetRequiredService<StartFailure>();
    await app.RunAsync();
    startFailure.ThrowIfFailed();
    return 0;
}
catch (Exception e) when (ConfigurationException.MessageOf(e) is { } message)
{
    Console.Error.WriteLine($"error: {message}");
    return 1;
}
