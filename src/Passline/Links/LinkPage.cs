using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Channels;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Outbox;
using Passline.Pages;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;
using QRCoder;

namespace Passline.Links;

/// <summary>
/// <c>/l/{uuid}</c>, the page behind <c>link_url</c> (SPEC 4.3). It binds the request to the browser that opens it,
/// counts the click, sends phones straight to WhatsApp and shows desktops the QR code of <c>whatsapp_link</c> with a
/// live status (server-sent events, polling as fallback) that performs the redirect of SPEC 4.2 when the request is
/// verified on the phone.
/// </summary>
public static class LinkPage
{
    /// <summary>How long one event stream lasts at most; the browser then reconnects on its own.</summary>
    public static readonly TimeSpan StreamLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How often a stream looks at the database when nothing in this process woke it (changes made by other nodes).</summary>
    public static readonly TimeSpan StreamPoll = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapLinkPage(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/l/{uuid}", [HttpMethods.Get, HttpMethods.Head], Show).WithName("LinkPage").ExcludeFromDescription();
        app.MapGet("/l/{uuid}/status", Status).WithName("LinkStatus").ExcludeFromDescription();
        app.MapGet("/l/{uuid}/events", Events).WithName("LinkEvents").ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> Show(
        string uuid, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, PublicUrls urls, IOptions<SimulatorOptions> simulator, RateLimits limits,
        Monitoring.PasslineMetrics metrics)
    {
        if (await limits.CheckPageAsync(context) is { } wait)
        {
            return Page.TooManyRequests(context, wait);
        }

        var found = await FindAsync(db, uuid, context.RequestAborted);
        if (found is not var (request, instance))
        {
            return Unknown(context);
        }

        var now = time.GetUtcNow();
        var open = LinkStatus.IsOpen(request, now);
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var holder = DeviceBinding.Holds(context.Request, request);
        if (HttpMethods.IsGet(context.Request.Method))
        {
            // The two things a GET of this page may change (SPEC 4.3): the device binding and the click count. The first
            // browser keeps the binding: a later one (a forwarded link, an attacker's tab) sees the page, never the redirect.
            var binding = open && request.DeviceBindingHash is null ? DeviceBinding.Issue(context, request, now) : null;
            var bound = await requests.RunAsync(lifecycle => lifecycle.OpenLinkAsync(request.Id, binding, DeviceBinding.Describe(userAgent)), context.RequestAborted);
            metrics.LinkClicked(request.InstanceId);
            holder |= bound;
        }

        var data = LinkRequestData.From(request, instance, urls.Base(context.Request));
        if (open && DeviceBinding.IsPhone(userAgent))
        {
            return Page.Redirect(context, data.WhatsappLink, StatusCodes.Status302Found);
        }

        var status = CanHandOver(request, now, holder) ? LinkStatus.RedirectTo(request, null) : LinkStatus.Of(request, now, holder);
        if (status.Final)
        {
            return Page.Render(context, status.Title, $"""
                {Page.Badge(BadgeIcon(status.State), BadgeTone(status.State))}
                <h1>{Page.Encode(status.Title)}</h1>
                <p>{Page.Encode(status.Text)}</p>
                """, StatusCodes.Status410Gone);
        }

        var messageText = WhatsAppLink.MessageText(MessageTemplates.Fill(request.PromptMessage ?? MessageTemplates.Prompt, request.Name, request.Code), request.Code);
        var phoneLink = simulator.Value.Enabled && instance.Provider == Providers.Simulator
            ? $"""<a class="button" id="simulated-phone" href="{Page.Encode($"{context.Request.PathBase}/simulator/{instance.Id}?text={Uri.EscapeDataString(messageText)}")}">{Page.Icon("phone")} Open the simulated phone</a>"""
            : "";
        return Page.Render(context, $"Sign in to {request.Name}", $"""
            <div class="brand"><span class="logo">{Page.Icon("chat")}</span><span>Sign in to {Page.Encode(request.Name)}<small>with WhatsApp, no password</small></span></div>
            <div class="split">
              <figure class="qr" id="qr">
                <img src="{QrDataUri(data.WhatsappLink)}" width="250" height="250" alt="QR code that opens WhatsApp with the sign-in message">
                <p>Scan with your phone's camera</p>
              </figure>
              <div>
                <h1>Scan to sign in</h1>
                <ol class="steps">
                  <li>Scan the code with your phone, or open WhatsApp here.</li>
                  <li>Send the message as it is, with the code <code>{Page.Encode(request.Code)}</code>.</li>
                  <li>Open the link we reply with and press <strong>Verify</strong>.</li>
                </ol>
                <div class="actions">
                  <a class="button primary" id="whatsapp-link" href="{Page.Encode(data.WhatsappLink)}">{Page.Icon("chat")} Open WhatsApp</a>
                  {phoneLink}
                </div>
                <div class="status" id="status" role="status" aria-live="polite" data-state="{status.State}">
                  <span class="dot" aria-hidden="true"></span>
                  <div><strong id="status-title">{Page.Encode(status.Title)}</strong><p id="status-text">{Page.Encode(status.Text)}</p></div>
                </div>
                <p class="muted center"><small>This page updates by itself. It expires at {Page.Encode(request.ExpiresAt.ToString("HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture))}.</small></p>
              </div>
            </div>
            """, wide: true, script: LiveStatusScript(request.Id));
    }

    /// <summary>The live status as JSON, for browsers without server-sent events (the polling fallback).</summary>
    public static async Task<IResult> Status(string uuid, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!Guid.TryParse(uuid, out var id) || await CurrentAsync(db, requests, time, id, DeviceBinding.Read(context.Request, id), context.RequestAborted) is not { } status)
        {
            return ApiError.NotFound("Link request not found.");
        }

        return TypedResults.Ok(status);
    }

    /// <summary>
    /// The live status as server-sent events: one <c>status</c> event now and one at each change. The stream ends when
    /// the request ends, after <see cref="StreamLifetime"/>, when the browser leaves or when the server stops.
    /// </summary>
    public static async Task<IResult> Events(string uuid, HttpContext context, IServiceScopeFactory scopes, OutboxSignal signal, TimeProvider time,
        IHostApplicationLifetime lifetime)
    {
        if (!Guid.TryParse(uuid, out var id))
        {
            return ApiError.NotFound("Link request not found.");
        }

        var binding = DeviceBinding.Read(context.Request, id);
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (!await scope.ServiceProvider.GetRequiredService<PasslineDb>().OtpRequests.AnyAsync(r => r.Id == id && r.OtpType == OtpTypes.Link, context.RequestAborted))
            {
                return ApiError.NotFound("Link request not found.");
            }
        }

        context.Response.Headers.CacheControl = "no-store";
        var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        context.Response.RegisterForDispose(stop);
        return TypedResults.ServerSentEvents(Stream(id, binding, scopes, signal, time, stop.Token));
    }

    private static async IAsyncEnumerable<SseItem<LinkStatus>> Stream(
        Guid id, byte[]? binding, IServiceScopeFactory scopes, OutboxSignal signal, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + StreamLifetime;
        string? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before looking, so that a change committed while we look is not missed.
            var notified = signal.Next();
            LinkStatus? status;
            await using (var scope = scopes.CreateAsyncScope())
            {
                status = await CurrentAsync(scope.ServiceProvider.GetRequiredService<PasslineDb>(), scope.ServiceProvider.GetRequiredService<RequestWork>(), time, id, binding, cancellationToken);
            }

            if (status is null)
            {
                yield break;
            }

            if (status.State != last)
            {
                last = status.State;
                yield return new SseItem<LinkStatus>(status, "status") { ReconnectionInterval = TimeSpan.FromSeconds(3) };
            }

            if (status.Final || time.GetUtcNow() >= deadline)
            {
                yield break;
            }

            var cancelled = false;
            try
            {
                await OutboxSignal.WaitAsync(notified, StreamPoll, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
            }

            if (cancelled)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// The request's status for a browser holding <paramref name="binding"/> (or none). When the request was verified in
    /// another browser and this one holds the binding, this is where it receives the redirect, with a fresh one-time
    /// exchange token (SPEC 4.2).
    /// </summary>
    public static async Task<LinkStatus?> CurrentAsync(PasslineDb db, RequestWork requests, TimeProvider time, Guid id, byte[]? binding, CancellationToken cancellationToken)
    {
        var request = await db.OtpRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.OtpType == OtpTypes.Link, cancellationToken);
        if (request is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var holder = binding is not null && request.DeviceBindingHash is { } bound && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(bound, binding);
        if (CanHandOver(request, now, holder))
        {
            var token = Secrets.NewUrlToken();
            if (await requests.RunAsync(lifecycle => lifecycle.HandOverAsync(request.Id, binding!, Secrets.Hash(token)), cancellationToken))
            {
                return LinkStatus.RedirectTo(request, VerificationPage.RedirectUrl(request.Redirect!, request.Id, token));
            }

            request = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == id, cancellationToken);
        }

        return LinkStatus.Of(request, now, holder);
    }

    /// <summary>Whether this browser is owed the redirect of a request verified elsewhere, and may still have it.</summary>
    private static bool CanHandOver(OtpRequest request, DateTimeOffset now, bool holder) =>
        holder && request.Status == OtpStatus.Verified && request.Redirect is not null && request.ExchangeTokenHash is null
        && request.VerifiedAt > now - RequestLifecycle.ExchangeLifetime;

    private static async Task<(OtpRequest, Instance)?> FindAsync(PasslineDb db, string uuid, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(uuid, out var id))
        {
            return null;
        }

        var found = await db.OtpRequests.AsNoTracking()
            .Where(r => r.Id == id && r.OtpType == OtpTypes.Link)
            .Join(db.Instances.AsNoTracking(), r => r.InstanceId, i => i.Id, (r, i) => new { Request = r, Instance = i })
            .FirstOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.Request, found.Instance);
    }

    /// <summary>The QR code as a PNG data URI: an inline image, no external asset (the page's CSP allows <c>data:</c> images).</summary>
    public static string QrDataUri(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(8, drawQuietZones: true);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }

    private static string BadgeIcon(string state) => state switch
    {
        LinkStatus.Verified => "check",
        LinkStatus.Declined => "shield",
        LinkStatus.Expired => "clock",
        _ => "x",
    };

    private static string BadgeTone(string state) => state switch
    {
        LinkStatus.Verified => "ok",
        LinkStatus.Expired => "warn",
        _ => "danger",
    };

    private static IResult Unknown(HttpContext context) => Page.Render(context, "Link not valid", $"""
        {Page.Badge("link", "muted")}
        <h1>This sign-in link is not valid</h1>
        <p>It may have been copied incompletely. Go back to the application and start the sign-in again.</p>
        """, StatusCodes.Status404NotFound);

    /// <summary>
    /// Follows the status over server-sent events; after repeated errors (a proxy that buffers, no EventSource) it polls
    /// the JSON status instead. A redirect in the status is where the sign-in continues.
    /// </summary>
    private static string LiveStatusScript(Guid id) => $$"""
        (function () {
          var box = document.getElementById('status'), title = document.getElementById('status-title'), text = document.getElementById('status-text');
          var base = '{{id}}', done = false, failures = 0, source = null;
          function show(s) {
            if (done) return;
            box.dataset.state = s.state; title.textContent = s.title; text.textContent = s.text;
            if (s.redirect) { done = true; window.location.replace(s.redirect); return; }
            if (s.final) { done = true; document.getElementById('qr').hidden = true; if (source) source.close(); }
          }
          function poll() {
            if (done) return;
            fetch(base + '/status', { cache: 'no-store', credentials: 'same-origin' })
              .then(function (r) { return r.json(); })
              .then(function (s) { show(s); setTimeout(poll, 2000); })
              .catch(function () { setTimeout(poll, 5000); });
          }
          if (!('EventSource' in window)) { poll(); return; }
          source = new EventSource(base + '/events');
          source.addEventListener('status', function (e) { failures = 0; show(JSON.parse(e.data)); });
          source.onerror = function () { if (!done && ++failures >= 3) { source.close(); poll(); } };
        })();
        """;
}
