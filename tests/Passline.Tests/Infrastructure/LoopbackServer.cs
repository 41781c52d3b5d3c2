using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Passline.Tests.Infrastructure;

/// <summary>What a loopback server received.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>An answer a loopback server gives.</summary>
public sealed record Answer(int Status, string Body = "{}", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A real HTTP server on loopback standing in for an external party (WAHA, Meta's Graph API, a callback receiver).
/// It records every request and answers with the next scripted answer, or with what <see cref="Respond"/> decides.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Answer> script = new();
    private readonly ConcurrentQueue<ReceivedRequest> received = new();

    private LoopbackServer(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Decides the answer when no scripted one is queued.</summary>
    public Func<ReceivedRequest, Answer> Respond { get; set; } = _ => new Answer(200);

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    public static async Task<LoopbackServer> StartAsync(string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var server = new LoopbackServer(builder.Build());
        server.app.Run(server.HandleAsync);
        await server.app.StartAsync();
        server.BaseAddress = new Uri(server.app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return server;
    }

    /// <summary>Queues answers for the next requests, in order.</summary>
    public void Then(params Answer[] answers)
    {
        foreach (var answer in answers)
        {
            script.Enqueue(answer);
        }
    }

    /// <summary>Waits (in real time: the server works in the background) until <paramref name="count"/> requests matched.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count = 1, Func<ReceivedRequest, bool>? where = null)
    {
        IReadOnlyList<ReceivedRequest> matching = [];
        await Eventually.TrueAsync(() =>
        {
            matching = [.. received.Where(where ?? (_ => true))];
            return Task.FromResult(matching.Count >= count);
        }, $"{count} request(s) to {BaseAddress}");
        return matching;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var request = new ReceivedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            await reader.ReadToEndAsync());
        received.Enqueue(request);

        var answer = script.TryDequeue(out var scripted) ? scripted : Respond(request);
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds: for work the app does in the background, never for timing.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {seconds} s for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
