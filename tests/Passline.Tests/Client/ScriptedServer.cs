using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Passline.Tests.Client;

/// <summary>
/// A real HTTP server on loopback (Kestrel, a free port) that answers every request with the test's script and
/// records what it received, so the client is tested over the wire rather than against a mocked handler.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<ReceivedRequest> received = new();

    private ScriptedServer(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    public static async Task<ScriptedServer> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new ScriptedServer(builder.Build());

        server.app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            server.received.Enqueue(new ReceivedRequest(
                context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
                context.Request.Headers.Authorization.ToString(), context.Request.ContentType, body));
            await answer(context);
        });

        await server.app.StartAsync();
        server.BaseAddress = new Uri(server.app.Urls.First());
        return server;
    }

    /// <summary>Answers with a status and a JSON body written as given.</summary>
    public static Func<HttpContext, Task> Json(int status, string json, Action<HttpResponse>? headers = null) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        headers?.Invoke(context.Response);
        return context.Response.WriteAsync(json);
    };

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

public sealed record ReceivedRequest(
    string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Query, string Authorization, string? ContentType, string Body);
