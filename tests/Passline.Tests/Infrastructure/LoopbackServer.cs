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
    private readonly ConcurrentQueue<ReceivedRequest> abandoned = new();
    private readonly Lock holding = new();
    private int held;
    private int mostHeld;

    private LoopbackServer(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Decides the answer when no scripted one is queued.</summary>
    public Func<ReceivedRequest, Answer> Respond { get; set; } = _ => new Answer(200);

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    /// <summary>
    /// When set, what a request waits for before it is answered (a slow party): a request is held until the task it
    /// returns completes, or until its client gives up on it (<see cref="Abandoned"/>). Null or no task: answered at once.
    /// </summary>
    public Func<ReceivedRequest, Task?>? Hold { get; set; }

    /// <summary>Held requests whose client gave up (a timeout, a cancellation) before they were answered.</summary>
    public IReadOnlyList<ReceivedRequest> Abandoned => [.. abandoned];

    /// <summary>The most requests held at the same moment: two means a second came while the first was still open.</summary>
    public int MostHeldAtOnce
    {
        get
        {
            lock (holding)
            {
                return mostHeld;
            }
        }
    }

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
        if (Hold?.Invoke(request) is { } hold && !await HeldAsync(hold, context.RequestAborted))
        {
            abandoned.Enqueue(request);
            return;
        }

        var answer = script.TryDequeue(out var scripted) ? scripted : Respond(request);
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body);
    }

    /// <summary>Waits for <paramref name="hold"/>; false when the client gave up first.</summary>
    private async Task<bool> HeldAsync(Task hold, CancellationToken aborted)
    {
        lock (holding)
        {
            mostHeld = Math.Max(mostHeld, ++held);
        }

        try
        {
            await hold.WaitAsync(aborted);
            return true;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            lock (holding)
            {
                held--;
            }
        }
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
