using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Channels;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Localization;
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
        app.MapMethods("/l/{uuid}", [HttpMethods.Get, HttpMethods.Head], Show).WithName("LinkPage").ExcludeFromDescription().AsPage();
        app.MapGet("/l/{uuid}/status", Status).WithName("LinkStatus").ExcludeFromDescription();
        app.MapGet("/l/{uuid}/events", Events).WithName("LinkEvents").ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> Show(
        string uuid, HttpContext context, PasslineDb db, InstanceCache instances, RequestWork requests, TimeProvider time, PublicUrls urls,
        IOptions<SimulatorOptions> simulator, RateLimits limits, Monitoring.PasslineMetrics metrics, IStringLocalizer<Texts> texts)
    {
        if (await limits.CheckPageAsync(context) is { } wait)
        {
            return Page.TooManyRequests(context, wait);
        }

        var found = await FindAsync(db, instances, uuid, context.RequestAborted);
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
            var bound = await requests.RunStatementAsync(lifecycle => lifecycle.OpenLinkAsync(request.Id, binding, DeviceBinding.Describe(userAgent)), context.RequestAborted);
            metrics.LinkClicked(request.InstanceId);
            holder |= bound;

            // The bound browser back on the page after a verification elsewhere is taken on at once, as the live status
            // would take it: without JavaScript, reloading the page is the way back.
            if (CanHandOver(request, now, holder) && DeviceBinding.Read(context.Request, request.Id) is { } mine)
            {
                if (await HandOverAsync(requests, request, mine, context.RequestAborted) is { } url)
                {
                    return Page.Redirect(context, url);
                }

                request = await ReadAsync(db, request.Id, context.RequestAborted) ?? request;
            }
        }

        var data = LinkRequestData.From(request, instance, urls.Base(context.Request));
        if (open && DeviceBinding.IsPhone(userAgent))
        {
            return Page.Redirect(context, data.WhatsappLink, StatusCodes.Status302Found);
        }

        var language = Languages.ForPage(context.Request, request.Language) ?? Languages.Normalize(instance.Language) ?? Languages.Default;
        var status = Languages.In(language, () => CanHandOver(request, now, holder) ? LinkStatus.RedirectTo(request, null, texts) : LinkStatus.Of(request, now, holder, texts));
        if (status.Final)
        {
            return Page.Render<MessagePage>(language, new
            {
                Heading = status.Title,
                status.Text,
                BadgeIcon = BadgeIcon(status.State),
                Tone = BadgeTone(status.State),
            }, StatusCodes.Status410Gone);
        }

        var messageText = WhatsAppLink.MessageText(MessageTemplates.Fill(request.PromptMessage ?? MessageTemplates.Prompt, request.Name, request.Code), request.Code);
        return Page.Render<LinkPageView>(language, new
        {
            request.Name,
            request.Code,
            RequestId = request.Id,
            Language = language,
            data.WhatsappLink,
            QrCode = QrDataUri(data.WhatsappLink),
            SimulatedPhone = simulator.Value.Enabled && instance.Provider == Providers.Simulator
                ? $"{context.Request.PathBase}/simulator/{instance.Id}?text={Uri.EscapeDataString(messageText)}"
                : null,
            Status = status,
            request.ExpiresAt,
        });
    }

    /// <summary>The live status as JSON, for browsers without server-sent events (the polling fallback).</summary>
    public static async Task<IResult> Status(
        string uuid, string? lang, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, RateLimits limits, IStringLocalizer<Texts> texts)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (await limits.CheckStatusAsync(context) is { } limited)
        {
            return limited;
        }

        if (!Guid.TryParse(uuid, out var id)
            || await CurrentAsync(db, requests, time, id, DeviceBinding.Read(context.Request, id), StatusLanguage(context, lang), texts, context.RequestAborted) is not { } status)
        {
            return ApiError.NotFound("Link request not found.");
        }

        return TypedResults.Ok(status);
    }

    /// <summary>
    /// The live status as server-sent events: one <c>status</c> event now and one at each change. The stream ends when
    /// the request ends, after <see cref="StreamLifetime"/>, when the browser leaves or when the server stops.
    /// </summary>
    public static async Task<IResult> Events(string uuid, string? lang, HttpContext context, IServiceScopeFactory scopes, RequestChanges changes, TimeProvider time,
        IHostApplicationLifetime lifetime, OpenStreams streams, RateLimits limits, IStringLocalizer<Texts> texts)
    {
        if (!Guid.TryParse(uuid, out var id))
        {
            return ApiError.NotFound("Link request not found.");
        }

        // Opening a stream reads the request as a poll does, and counts as one.
        if (await limits.CheckStatusAsync(context) is { } limited)
        {
            return limited;
        }

        // Held until the response ends. A browser's EventSource does not retry a 429; the page then polls the status.
        if (streams.TryOpen(RateLimits.Client(context)) is not { } slot)
        {
            return ApiError.TooManyRequests("Too many live-status streams open from this address.", StreamPoll);
        }

        context.Response.RegisterForDispose(slot);

        var binding = DeviceBinding.Read(context.Request, id);
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (await ReadAsync(scope.ServiceProvider.GetRequiredService<PasslineDb>(), id, context.RequestAborted) is null)
            {
                return ApiError.NotFound("Link request not found.");
            }
        }

        context.Response.Headers.CacheControl = "no-store";
        var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        context.Response.RegisterForDispose(stop);
        return TypedResults.ServerSentEvents(Stream(id, binding, StatusLanguage(context, lang), texts, scopes, changes, time, stop.Token));
    }

    private static async IAsyncEnumerable<SseItem<LinkStatus>> Stream(
        Guid id, byte[]? binding, string? language, IStringLocalizer texts, IServiceScopeFactory scopes, RequestChanges changes, TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + StreamLifetime;
        string? last = null;
        var notified = Task.CompletedTask;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Taken before looking, so that a change committed while we look is not missed. Only this request's
                // transitions wake it; changes made by other nodes are seen at the next poll.
                notified = changes.Next(id);
                LinkStatus? status;
                await using (var scope = scopes.CreateAsyncScope())
                {
                    status = await CurrentAsync(scope.ServiceProvider.GetRequiredService<PasslineDb>(), scope.ServiceProvider.GetRequiredService<RequestWork>(), time, id,
                        binding, language, texts, cancellationToken);
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

                if (status.Final || time.GetUtcNow() >= deadline || !await WaitAsync(notified, time, cancellationToken))
                {
                    yield break;
                }
            }
        }
        finally
        {
            changes.Forget(id, notified);
        }
    }

    /// <summary>Waits for the request's next change or the next poll; false when the stream is to stop.</summary>
    private static async Task<bool> WaitAsync(Task notified, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await OutboxSignal.WaitAsync(notified, StreamPoll, time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The request's status for a browser holding <paramref name="binding"/> (or none). When the request was verified in
    /// another browser and this one holds the binding, this is where it receives the redirect, with a fresh one-time
    /// exchange token (SPEC 4.2).
    /// </summary>
    /// <param name="language">The language the page chose; null to follow the request's own, else English.</param>
    public static async Task<LinkStatus?> CurrentAsync(
        PasslineDb db, RequestWork requests, TimeProvider time, Guid id, byte[]? binding, string? language, IStringLocalizer texts, CancellationToken cancellationToken)
    {
        var request = await ReadAsync(db, id, cancellationToken);
        if (request is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var holder = binding is not null && request.DeviceBindingHash is { } bound && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(bound, binding);
        if (CanHandOver(request, now, holder))
        {
            if (await HandOverAsync(requests, request, binding!, cancellationToken) is { } url)
            {
                return Languages.In(language ?? request.Language ?? Languages.Default, () => LinkStatus.RedirectTo(request, url, texts));
            }

            request = (await ReadAsync(db, id, cancellationToken))!;
        }

        return Languages.In(language ?? request.Language ?? Languages.Default, () => LinkStatus.Of(request, now, holder, texts));
    }

    /// <summary>
    /// The link request <paramref name="id"/>, or null. In SQL through <see cref="RowReads"/>, not EF Core's query
    /// pipeline: every open page's stream reads it at each change and each poll.
    /// </summary>
    private static Task<OtpRequest?> ReadAsync(PasslineDb db, Guid id, CancellationToken cancellationToken) =>
        db.ReadFirstAsync<OtpRequest>($"SELECT * FROM otp_requests WHERE id = @id AND otp_type = '{OtpTypes.Link}'",
            [db.Parameter<OtpRequest>(nameof(OtpRequest.Id), "id", id)], cancellationToken);

    /// <summary>The live status speaks the page's language, which the page passes on (<c>?lang=</c>), else the browser's.</summary>
    private static string? StatusLanguage(HttpContext context, string? lang) => Languages.Normalize(lang) ?? Languages.FromAcceptLanguage(context.Request);

    /// <summary>
    /// The redirect of SPEC 4.2 with a fresh one-time exchange token, for the browser holding <paramref name="binding"/>;
    /// null when another call (a second tab) took the request's one token first.
    /// </summary>
    private static async Task<string?> HandOverAsync(RequestWork requests, OtpRequest request, byte[] binding, CancellationToken cancellationToken)
    {
        var token = Secrets.NewUrlToken();
        return await requests.RunStatementAsync(lifecycle => lifecycle.HandOverAsync(request.Id, binding, Secrets.Hash(token)), cancellationToken)
            ? VerificationPage.RedirectUrl(request.Redirect!, request.Id, token)
            : null;
    }

    /// <summary>Whether this browser is owed the redirect of a request verified elsewhere, and may still have it.</summary>
    private static bool CanHandOver(OtpRequest request, DateTimeOffset now, bool holder) =>
        holder && request.Status == OtpStatus.Verified && request.Redirect is not null && request.ExchangeTokenHash is null
        && request.VerifiedAt > now - RequestLifecycle.ExchangeLifetime;

    /// <summary>The link request <paramref name="uuid"/> and its instance (read lately, or now: <see cref="InstanceCache"/>).</summary>
    private static async Task<(OtpRequest, Instance)?> FindAsync(PasslineDb db, InstanceCache instances, string uuid, CancellationToken cancellationToken) =>
        Guid.TryParse(uuid, out var id)
            && await ReadAsync(db, id, cancellationToken) is { } request
            && await instances.FindAsync(db, request.InstanceId, cancellationToken) is { } instance
            ? (request, instance)
            : null;

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

    private static IResult Unknown(HttpContext context)
    {
        var language = Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;
        var texts = context.RequestServices.GetRequiredService<IStringLocalizer<Texts>>();
        return Page.Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["This sign-in link is not valid"].Value,
            Text = texts["It may have been copied incompletely. Go back to the application and start the sign-in again."].Value,
            BadgeIcon = "link",
            Tone = "muted",
        }), StatusCodes.Status404NotFound);
    }
}
