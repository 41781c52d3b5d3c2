using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Instances;
using Passline.Pages;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Links;

/// <summary>
/// <c>/v/{token}</c>, the page the WhatsApp reply links to (SPEC 4.1, 4.2). GET and HEAD only show: link scanners and
/// previewers open URLs and must not use up or approve a link. Only the POST, protected against cross-site request
/// forgery, verifies or declines.
/// </summary>
public static class VerificationPage
{
    public static IEndpointRouteBuilder MapVerificationPage(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/v/{token}", [HttpMethods.Get, HttpMethods.Head], Show).WithName("VerificationPage").ExcludeFromDescription();
        app.MapPost("/v/{token}", Submit).WithName("VerificationSubmit").ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    public static async Task<IResult> Show(string token, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, IAntiforgery antiforgery, RateLimits limits)
    {
        if (await limits.CheckPageAsync(context) is { } wait)
        {
            return Page.TooManyRequests(context, wait);
        }

        var request = await FindAsync(db, token, context.RequestAborted);
        if (request is null)
        {
            return Unknown(context);
        }

        var now = time.GetUtcNow();
        if (request.Status == OtpStatus.Pending && now < request.ExpiresAt)
        {
            var tokens = antiforgery.GetAndStoreTokens(context);
            return Confirm(context, request, tokens);
        }

        if (request.Status is OtpStatus.Pending or OtpStatus.Expired && HttpMethods.IsGet(context.Request.Method))
        {
            // The one thing a GET does (SPEC 4.1): an expired link sends the expired message, once per request.
            await requests.RunAsync(async lifecycle =>
            {
                await lifecycle.ExpireAsync(request.Id);
                await lifecycle.NotifyExpiredOnceAsync(request, request.ChatId!);
            }, context.RequestAborted);
        }

        return Ended(context, request, now);
    }

    public static async Task<IResult> Submit(string token, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, IAntiforgery antiforgery, RateLimits limits)
    {
        if (await limits.CheckPageAsync(context) is { } wait)
        {
            return Page.TooManyRequests(context, wait);
        }

        if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
        {
            return Page.Render(context, "Please try again",
                $"""{Page.Badge("alert", "warn")}<h1>Please try again</h1><p>This form has expired or did not come from this page. Open the link from WhatsApp again.</p>""",
                StatusCodes.Status400BadRequest);
        }

        var request = await FindAsync(db, token, context.RequestAborted);
        if (request is null)
        {
            return Unknown(context);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var now = time.GetUtcNow();
        var hash = Secrets.Hash(token);
        if (form["action"] == "decline")
        {
            var declined = await requests.RunAsync(lifecycle => lifecycle.DeclineAsync(request.Id, hash), context.RequestAborted);
            return declined is { Status: OtpStatus.Failed }
                ? Page.Render(context, "Sign-in refused", $"""
                    {Page.Badge("shield", "ok")}
                    <h1>Thanks, the sign-in was refused</h1>
                    <p>Nobody was signed in to {Page.Encode(request.Name)} with your number. You can close this page.</p>
                    """)
                : Ended(context, declined ?? await ReloadAsync(db, request), now);
        }

        // The page showed where approving signs in (SPEC 4.1). If another browser opened link_url since, the person
        // approved something else than what happens now: show the page again instead.
        if (form.TryGetValue("device", out var shown) && shown != DeviceBinding.Fingerprint(request.DeviceBindingHash))
        {
            return Confirm(context, request, antiforgery.GetAndStoreTokens(context), changed: true);
        }

        var seen = request.DeviceBindingHash;
        var handOver = request.Redirect is not null && seen is not null && !DeviceBinding.Holds(context.Request, request);
        var exchangeToken = handOver ? null : Secrets.NewUrlToken();
        var verified = await requests.RunAsync(
            lifecycle => lifecycle.VerifyAsync(request.Id, hash, seen, exchangeToken is null ? null : Secrets.Hash(exchangeToken)), context.RequestAborted);
        if (verified is null)
        {
            var current = await ReloadAsync(db, request);
            return current.Status == OtpStatus.Pending && now < current.ExpiresAt && current.VerificationTokenHash is { } tokenHash && tokenHash.AsSpan().SequenceEqual(hash)
                ? Confirm(context, current, antiforgery.GetAndStoreTokens(context), changed: true)
                : Ended(context, current, now);
        }

        if (handOver)
        {
            // The browser that opened link_url receives the redirect through its live status (LinkPage).
            return Page.Render(context, "Verified", $"""
                {Page.Badge("check", "ok")}
                <h1>Verified</h1>
                <p>You can go back to your other device: {Page.Encode(verified.DeviceDescription ?? "the browser where you started")} continues the sign-in to {Page.Encode(verified.Name)}.</p>
                <p>You can close this page.</p>
                """);
        }

        if (verified.Redirect is { } redirect)
        {
            return Page.Redirect(context, RedirectUrl(redirect, verified.Id, exchangeToken!));
        }

        return Page.Render(context, "Verified", $"""
            {Page.Badge("check", "ok")}
            <h1>Verified</h1>
            <p>You are signed in to {Page.Encode(verified.Name)}. You can close this page.</p>
            """);
    }

    /// <summary><c>redirect?otp_uuid=...&amp;otp_token=...</c>, keeping the redirect's own query (SPEC 4.2).</summary>
    public static string RedirectUrl(string redirect, Guid uuid, string exchangeToken)
    {
        var fragment = redirect.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? redirect[hash..] : "";
        var url = fragment.Length > 0 ? redirect[..^fragment.Length] : redirect;
        var separator = url.Contains('?', StringComparison.Ordinal) ? (url.EndsWith('?') || url.EndsWith('&') ? "" : "&") : "?";
        return $"{url}{separator}otp_uuid={uuid}&otp_token={Uri.EscapeDataString(exchangeToken)}{fragment}";
    }

    private static async Task<OtpRequest?> FindAsync(PasslineDb db, string token, CancellationToken cancellationToken)
    {
        if (token.Length is < 20 or > 100)
        {
            return null;
        }

        var hash = Secrets.Hash(token);
        return await db.OtpRequests.AsNoTracking().FirstOrDefaultAsync(r => r.VerificationTokenHash == hash, cancellationToken);
    }

    private static Task<OtpRequest> ReloadAsync(PasslineDb db, OtpRequest request) =>
        db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == request.Id);

    private static IResult Confirm(HttpContext context, OtpRequest request, AntiforgeryTokenSet tokens, bool changed = false)
    {
        var who = request.Phone ?? request.ChatId ?? "";
        var requested = request.CreatedAt.ToString("d MMM yyyy, HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        var formTargets = request.Redirect is { } redirect && Instances.InstanceAdmin.Origin(redirect) is { } origin ? new[] { origin } : [];
        var notice = changed
            ? """<div class="notice warn" id="changed">""" + Page.Icon("alert") + "<p>The sign-in changed while this page was open. Check the details again before you decide.</p></div>"
            : "";
        return Page.Render(context, $"Confirm sign-in to {request.Name}", $"""
            <h1>Sign in to {Page.Encode(request.Name)}?</h1>
            <p>Someone asked to sign in to {Page.Encode(request.Name)} with your WhatsApp number. Confirm only if it was you.</p>
            {notice}
            <dl>
              <dt>WhatsApp</dt><dd>{Page.Encode(who)}</dd>
              <dt>Requested</dt><dd>{Page.Encode(requested)}</dd>
              {DeviceRow(context, request)}
            </dl>
            {DeviceWarning(context, request)}
            <form method="post">
              <input type="hidden" name="{Page.Encode(tokens.FormFieldName)}" value="{Page.Encode(tokens.RequestToken!)}">
              <input type="hidden" name="device" value="{DeviceBinding.Fingerprint(request.DeviceBindingHash)}">
              <button class="primary" type="submit" name="action" value="verify">Verify</button>
              <button type="submit" name="action" value="decline">This wasn't me</button>
            </form>
            """, changed ? StatusCodes.Status409Conflict : StatusCodes.Status200OK, formTargets: formTargets);
    }

    /// <summary>
    /// Where approving signs in (SPEC 4.1): this device when this browser opened link_url (or nobody did and the redirect
    /// comes here); another device, named by its browser and OS, when another browser opened it.
    /// </summary>
    private static string DeviceRow(HttpContext context, OtpRequest request)
    {
        if (request.DeviceBindingHash is null)
        {
            return request.Redirect is null ? "" : """<dt>Signs in</dt><dd id="device">This device</dd>""";
        }

        if (DeviceBinding.Holds(context.Request, request))
        {
            return """<dt>Signs in</dt><dd id="device">This device</dd>""";
        }

        var opened = request.LinkOpenedAt?.ToString("HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        return $"""<dt>Signs in</dt><dd id="device">Another device<small>{Page.Encode(request.DeviceDescription ?? "Unknown browser")}{(opened is null ? "" : ", sign-in page opened " + opened)}</small></dd>""";
    }

    private static string DeviceWarning(HttpContext context, OtpRequest request) =>
        request.DeviceBindingHash is not null && !DeviceBinding.Holds(context.Request, request)
            ? """<div class="notice warn">""" + Page.Icon("alert") + $"<p>Approving signs in <strong>another device</strong> ({Page.Encode(request.DeviceDescription ?? "Unknown browser")}). Continue only if you started this sign-in there yourself, for example by scanning a QR code on your computer.</p></div>"
            : "";

    private static IResult Ended(HttpContext context, OtpRequest request, DateTimeOffset now)
    {
        var (title, text) = request.Status switch
        {
            OtpStatus.Verified => ("This link has already been used", "It can confirm a sign-in only once. If that was not you, contact " + request.Name + "."),
            OtpStatus.Failed when request.FailedReason == FailedReasons.Declined => ("This sign-in was refused", "You told us it was not you. Nobody was signed in."),
            OtpStatus.Failed => ("This sign-in was cancelled", "Start again from " + request.Name + " if you still want to sign in."),
            _ when request.Status == OtpStatus.Expired || now >= request.ExpiresAt => ("This link has expired", "Start again from " + request.Name + " to get a new one."),
            _ => ("This link is no longer valid", "A newer link was sent to your WhatsApp: use that one."),
        };
        return Page.Render(context, title, $"""
            {Page.Badge("clock", "warn")}
            <h1>{Page.Encode(title)}</h1>
            <p>{Page.Encode(text)}</p>
            """, StatusCodes.Status410Gone);
    }

    private static IResult Unknown(HttpContext context) => Page.Render(context, "Link not valid", $"""
        {Page.Badge("link", "muted")}
        <h1>This link is not valid</h1>
        <p>It may have been replaced by a newer one, or copied incompletely. Use the latest link you received on WhatsApp.</p>
        """, StatusCodes.Status404NotFound);
}
