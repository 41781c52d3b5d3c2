using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Passline.Api;
using Passline.Instances;
using Passline.Localization;
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
        app.MapMethods("/v/{token}", [HttpMethods.Get, HttpMethods.Head], Show).WithName("VerificationPage").ExcludeFromDescription().AsPage();
        app.MapPost("/v/{token}", Submit).WithName("VerificationSubmit").ExcludeFromDescription().DisableAntiforgery().AsPage();
        return app;
    }

    public static async Task<IResult> Show(string token, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, IAntiforgery antiforgery, RateLimits limits, IStringLocalizer<Texts> texts)
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

        var language = await LanguageAsync(context, db, request);
        var now = time.GetUtcNow();
        if (request.Status == OtpStatus.Pending && now < request.ExpiresAt)
        {
            var tokens = antiforgery.GetAndStoreTokens(context);
            return Confirm(context, language, request, tokens);
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

        return Ended(language, request, now, texts);
    }

    public static async Task<IResult> Submit(string token, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, IAntiforgery antiforgery, RateLimits limits, IStringLocalizer<Texts> texts)
    {
        if (await limits.CheckPageAsync(context) is { } wait)
        {
            return Page.TooManyRequests(context, wait);
        }

        if (await Page.RefusedFormAsync(context, antiforgery) is { } refused)
        {
            var browserLanguage = Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;
            return Page.Render<MessagePage>(browserLanguage, Languages.In(browserLanguage, () => new
            {
                Heading = texts["Please try again"].Value,
                Text = texts["This form has expired or did not come from this page. Open the link from WhatsApp again."].Value,
            }), refused);
        }

        var request = await FindAsync(db, token, context.RequestAborted);
        if (request is null)
        {
            return Unknown(context);
        }

        var language = await LanguageAsync(context, db, request);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var now = time.GetUtcNow();
        var hash = Secrets.Hash(token);
        if (form["action"] == "decline")
        {
            var declined = await requests.RunAsync(lifecycle => lifecycle.DeclineAsync(request.Id, hash), context.RequestAborted);
            return declined is { Status: OtpStatus.Failed }
                ? Page.Render<MessagePage>(language, Languages.In(language, () => new
                {
                    Heading = texts["Thanks, the sign-in was refused"].Value,
                    Text = texts["Nobody was signed in to {0} with your number. You can close this page.", request.Name].Value,
                    BadgeIcon = "shield",
                    Tone = "ok",
                }))
                : Ended(language, declined ?? await ReloadAsync(db, request), now, texts);
        }

        // Only the Verify button approves: a form sent without either button (a script's submit(), a tool that fills and
        // sends forms) has approved nothing, and gets the page again.
        if (form["action"] != "verify")
        {
            return Confirm(context, language, request, antiforgery.GetAndStoreTokens(context));
        }

        // The page showed where approving signs in (SPEC 4.1), and its form says which binding that was. If another browser
        // opened link_url since, or the form does not say (it is not the page's), the person approved something else than
        // what happens now: show the page again instead.
        if (!form.TryGetValue("device", out var shown) || shown != DeviceBinding.Fingerprint(request.DeviceBindingHash))
        {
            return Confirm(context, language, request, antiforgery.GetAndStoreTokens(context), changed: true);
        }

        var handOver = request.Redirect is not null && request.DeviceBindingHash is not null && !DeviceBinding.Holds(context.Request, request);
        var exchangeToken = handOver ? null : Secrets.NewUrlToken();
        var verified = await requests.RunEndAsync(
            lifecycle => lifecycle.VerifyAsync(request, hash, exchangeToken is null ? null : Secrets.Hash(exchangeToken)), context.RequestAborted);
        if (verified is null)
        {
            var current = await ReloadAsync(db, request);
            return current.Status == OtpStatus.Pending && now < current.ExpiresAt && current.VerificationTokenHash is { } tokenHash && tokenHash.AsSpan().SequenceEqual(hash)
                ? Confirm(context, language, current, antiforgery.GetAndStoreTokens(context), changed: true)
                : Ended(language, current, now, texts);
        }

        if (handOver)
        {
            // The browser that opened link_url receives the redirect through its live status (LinkPage).
            return Page.Render<MessagePage>(language, Languages.In(language, () => new
            {
                Heading = texts["Verified"].Value,
                Text = texts["You can go back to your other device: {0} continues the sign-in to {1}. You can close this page.",
                    DeviceBinding.Localized(verified.DeviceDescription, texts) ?? texts["the browser where you started"], verified.Name].Value,
                BadgeIcon = "check",
                Tone = "ok",
            }));
        }

        if (verified.Redirect is { } redirect)
        {
            return Page.Redirect(context, RedirectUrl(redirect, verified.Id, exchangeToken!));
        }

        return Page.Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["Verified"].Value,
            Text = texts["You are signed in to {0}. You can close this page.", verified.Name].Value,
            BadgeIcon = "check",
            Tone = "ok",
        }));
    }

    /// <summary><c>redirect?otp_uuid=...&amp;otp_token=...</c>, keeping the redirect's own query (SPEC 4.2).</summary>
    public static string RedirectUrl(string redirect, Guid uuid, string exchangeToken)
    {
        // A Location header holds ASCII only: a redirect written with other characters (https://app.example.com/ü) goes
        // percent-encoded, as a browser would send it, not as a failed answer after the user pressed Verify.
        if (redirect.AsSpan().ContainsAnyExceptInRange(' ', '~') && Uri.TryCreate(redirect, UriKind.Absolute, out var uri))
        {
            redirect = uri.AbsoluteUri;
        }

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

        return await db.ReadFirstAsync<OtpRequest>("SELECT * FROM otp_requests WHERE verification_token_hash = @hash",
            [db.Parameter<OtpRequest>(nameof(OtpRequest.VerificationTokenHash), "hash", Secrets.Hash(token))], cancellationToken);
    }

    private static async Task<OtpRequest> ReloadAsync(PasslineDb db, OtpRequest request) =>
        (await db.ReadFirstAsync<OtpRequest>("SELECT * FROM otp_requests WHERE id = @id",
            [db.Parameter<OtpRequest>(nameof(OtpRequest.Id), "id", request.Id)], CancellationToken.None))!;

    /// <summary>The request's language, else the browser's, else the instance's (SPEC 2.2); the instance is read only then.</summary>
    private static async Task<string> LanguageAsync(HttpContext context, PasslineDb db, OtpRequest request) =>
        Languages.ForPage(context.Request, request.Language)
        ?? (await context.RequestServices.GetRequiredService<Instances.InstanceCache>().FindAsync(db, request.InstanceId, context.RequestAborted))?.Language
        ?? Languages.Default;

    private static IResult Confirm(HttpContext context, string language, OtpRequest request, AntiforgeryTokenSet tokens, bool changed = false)
    {
        var formTargets = request.Redirect is { } redirect && Instances.InstanceAdmin.Origin(redirect) is { } origin ? new[] { origin } : [];
        return Page.Render<ConfirmPage>(language, new
        {
            Request = request,
            Tokens = tokens,
            Device = Shown(context, request),
            Changed = changed,
            FormTargets = formTargets,
        }, changed ? StatusCodes.Status409Conflict : StatusCodes.Status200OK);
    }

    /// <summary>
    /// Where approving signs in (SPEC 4.1): this device when this browser opened link_url (or nobody did and the redirect
    /// comes here); another device, named by its browser and OS, when another browser opened it.
    /// </summary>
    private static ConfirmPage.DeviceShown Shown(HttpContext context, OtpRequest request) =>
        request.DeviceBindingHash is null
            ? request.Redirect is null ? ConfirmPage.DeviceShown.None : ConfirmPage.DeviceShown.ThisDevice
            : DeviceBinding.Holds(context.Request, request) ? ConfirmPage.DeviceShown.ThisDevice : ConfirmPage.DeviceShown.AnotherDevice;

    private static IResult Ended(string language, OtpRequest request, DateTimeOffset now, IStringLocalizer<Texts> texts) =>
        Page.Render<MessagePage>(language, Languages.In(language, () =>
        {
            var (title, text) = request.Status switch
            {
                OtpStatus.Verified => (texts["This link has already been used"], texts["It can confirm a sign-in only once. If that was not you, contact {0}.", request.Name]),
                OtpStatus.Failed when request.FailedReason == FailedReasons.Declined => (texts["This sign-in was refused"], texts["You told us it was not you. Nobody was signed in."]),
                OtpStatus.Failed => (texts["This sign-in was cancelled"], texts["Start again from {0} if you still want to sign in.", request.Name]),
                _ when request.Status == OtpStatus.Expired || now >= request.ExpiresAt => (texts["This link has expired"], texts["Start again from {0} to get a new one.", request.Name]),
                _ => (texts["This link is no longer valid"], texts["A newer link was sent to your WhatsApp: use that one."]),
            };
            return new { Heading = title.Value, Text = text.Value, BadgeIcon = "clock", Tone = "warn" };
        }), StatusCodes.Status410Gone);

    private static IResult Unknown(HttpContext context)
    {
        var language = Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;
        var texts = context.RequestServices.GetRequiredService<IStringLocalizer<Texts>>();
        return Page.Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["This link is not valid"].Value,
            Text = texts["It may have been replaced by a newer one, or copied incompletely. Use the latest link you received on WhatsApp."].Value,
            BadgeIcon = "link",
            Tone = "muted",
        }), StatusCodes.Status404NotFound);
    }
}
