using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Links;
using Passline.Pages;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Demo;

/// <summary>
/// <c>/demo</c>: a pretend application, "Acme Notes", that logs people in with WhatsApp through Passline (SPEC 4.4), on
/// the first simulator instance. It plays an application's backend, but in-process, because it cannot know a token:
/// it asks for a link through the same validation and code as <c>generate-link</c>, sends the browser to
/// <c>link_url</c>, and on the way back redeems the one-time token through the same code as <c>POST /exchange</c>.
/// Only while the simulator is enabled.
/// </summary>
public static class DemoApp
{
    public const string AppName = "Acme Notes";
    private const string SessionCookie = "passline-demo";
    private const string StateCookie = "passline-demo-state";

    public static IEndpointRouteBuilder MapDemo(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/demo").ExcludeFromDescription().AddEndpointFilter(RequireSimulator);
        group.MapGet("", Home).WithName("Demo");
        group.MapPost("/login", Login).WithName("DemoLogin").DisableAntiforgery();
        group.MapGet("/signed-in", SignedIn).WithName("DemoSignedIn");
        group.MapPost("/logout", Logout).WithName("DemoLogout").DisableAntiforgery();
        return app;
    }

    private sealed record Session(string Phone, string ChatId, DateTimeOffset VerifiedAt);

    public static IResult Home(HttpContext context, IDataProtectionProvider protection, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var csrf = $"""<input type="hidden" name="{Page.Encode(tokens.FormFieldName)}" value="{Page.Encode(tokens.RequestToken!)}">""";
        if (Read<Session>(context, protection, SessionCookie) is { } session)
        {
            return Page.Render(context, $"{AppName}: logged in", $"""
                {Brand()}
                {Page.Badge("check", "ok")}
                <h1 id="logged-in">Logged in as {Page.Encode(SimulatedPhone.FormatPhone(session.Phone.TrimStart('+')))}</h1>
                <p>{AppName} asked Passline who verified, and Passline answered with the WhatsApp number that sent the code and pressed Verify. No password was involved.</p>
                <dl>
                  <dt>Phone</dt><dd>{Page.Encode(session.Phone)}</dd>
                  <dt>WhatsApp</dt><dd>{Page.Encode(session.ChatId)}</dd>
                  <dt>Verified</dt><dd>{Page.Encode(session.VerifiedAt.ToString("d MMM yyyy, HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))}</dd>
                </dl>
                <form method="post" action="demo/logout">{csrf}<button type="submit" id="logout">Log out</button></form>
                <p class="muted center"><small>Build this into your app: <a href="docs">API reference</a></small></p>
                """);
        }

        return Page.Render(context, $"{AppName}: log in", $"""
            {Brand()}
            <h1>Welcome back</h1>
            <p>{AppName} is a pretend application. Log in the way your users would: with WhatsApp, no password.</p>
            <form method="post" action="demo/login">{csrf}<button class="primary" type="submit" id="login">{Page.Icon("chat")} Log in with WhatsApp</button></form>
            <ol class="steps">
              <li>{AppName} asks Passline for a WhatsApp link and shows it.</li>
              <li>You send the pre-filled message from the simulated phone.</li>
              <li>Passline replies with a link; open it and press <strong>Verify</strong>.</li>
              <li>{AppName} exchanges the token it gets back and knows your number.</li>
            </ol>
            <p class="muted center"><small>Build this into your app: <a href="docs">API reference</a></small></p>
            """);
    }

    public static async Task<IResult> Login(HttpContext context, IAntiforgery antiforgery, PasslineDb db, TimeProvider time, PublicUrls urls,
        IOptions<CallbackOptions> callbacks, IDataProtectionProvider protection, LinkRequestWriter writer, Monitoring.PasslineMetrics metrics,
        ILogger<DemoAppLog> logger)
    {
        if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
        {
            return Page.Render(context, "Please try again", $"""
                {Page.Badge("alert", "warn")}<h1>Please try again</h1><p>This form has expired. <a href="../demo">Back to {AppName}</a>.</p>
                """, StatusCodes.Status400BadRequest);
        }

        var instance = await DemoInstanceAsync(db, context.RequestAborted);
        if (instance is null)
        {
            return Page.Render(context, "No demo instance", $"""
                {Page.Badge("alert", "warn")}
                <h1>No simulator instance</h1>
                <p>The demo needs an instance on the simulator provider. Create one with
                <code>passline instance create --name Demo --phone 15550001234 --provider simulator</code>, then try again.</p>
                """, StatusCodes.Status503ServiceUnavailable);
        }

        var publicBase = urls.Base(context.Request);
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["name"] = AppName, ["redirect"] = $"{publicBase}/demo/signed-in" });

        // The demo's way back is Passline's own origin: allowed for this in-process call only, never stored.
        if (InstanceAdmin.Origin(publicBase) is { } own && !instance.RedirectOrigins.Contains(own, StringComparer.OrdinalIgnoreCase))
        {
            instance.RedirectOrigins.Add(own);
        }

        var (input, invalid) = GenerateLinkInput.Read(body, instance, callbacks.Value.AllowPrivateNetworks);
        if (input is null)
        {
            throw new InvalidOperationException($"The demo's link request was refused: {invalid!.Message}");
        }

        var request = await LinkApi.CreateAsync(writer, time, instance, input, metrics, logger, context.RequestAborted);

        // Like OAuth's state: the way back is accepted only in the browser that started this sign-in.
        Write(context, protection, StateCookie, request.Id, TimeSpan.FromSeconds(input.Expires));
        return Page.Redirect(context, LinkRequestData.From(request, instance, publicBase).LinkUrl);
    }

    /// <summary>Where Passline sends the browser after Verify: <c>?otp_uuid=...&amp;otp_token=...</c> (SPEC 4.2).</summary>
    public static async Task<IResult> SignedIn(HttpContext context, string? otp_uuid, string? otp_token, PasslineDb db, RequestWork requests, TimeProvider time,
        IDataProtectionProvider protection)
    {
        var started = Read<Guid?>(context, protection, StateCookie);
        var instance = await DemoInstanceAsync(db, context.RequestAborted);
        var request = instance is not null && otp_token is { Length: > 0 and <= 200 } && Guid.TryParse(otp_uuid, out var uuid) && uuid == started
            ? await requests.RunAsync(lifecycle => lifecycle.ExchangeAsync(instance.Id, otp_token), context.RequestAborted)
            : null;
        if (request is null)
        {
            return Page.Render(context, "Sign-in failed", $"""
                {Brand()}
                {Page.Badge("x", "danger")}
                <h1>That did not work</h1>
                <p>The sign-in could not be confirmed: it was started in another browser, or its token was already used or has expired.</p>
                <a class="button primary" href="../demo">Back to {AppName}</a>
                """, StatusCodes.Status400BadRequest);
        }

        context.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/demo" });
        Write(context, protection, SessionCookie, new Session(request.Phone ?? "", request.ChatId ?? "", request.VerifiedAt ?? time.GetUtcNow()), TimeSpan.FromHours(8));
        return Page.Redirect(context, $"{context.Request.PathBase}/demo");
    }

    public static async Task<IResult> Logout(HttpContext context, IAntiforgery antiforgery)
    {
        if (context.Request.HasFormContentType && await antiforgery.IsRequestValidAsync(context))
        {
            context.Response.Cookies.Delete(SessionCookie, new CookieOptions { Path = "/demo" });
        }

        return Page.Redirect(context, $"{context.Request.PathBase}/demo");
    }

    /// <summary>The first simulator instance: the one Passline creates on first start in Development.</summary>
    private static Task<Instance?> DemoInstanceAsync(PasslineDb db, CancellationToken cancellationToken) =>
        db.Instances.AsNoTracking().Where(i => i.Provider == Providers.Simulator).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).FirstOrDefaultAsync(cancellationToken);

    private static string Brand() => $"""
        <div class="brand"><span class="logo">{Page.Icon("lock")}</span><span>{AppName}<small>a demo application</small></span></div>
        """;

    private static void Write<T>(HttpContext context, IDataProtectionProvider protection, string cookie, T value, TimeSpan lifetime) =>
        context.Response.Cookies.Append(cookie, protection.CreateProtector("Passline.Demo", cookie).Protect(JsonSerializer.Serialize(value)), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/demo",
            MaxAge = lifetime,
            IsEssential = true,
        });

    private static T? Read<T>(HttpContext context, IDataProtectionProvider protection, string cookie)
    {
        if (!context.Request.Cookies.TryGetValue(cookie, out var value))
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(protection.CreateProtector("Passline.Demo", cookie).Unprotect(value));
        }
        catch (Exception e) when (e is CryptographicException or JsonException)
        {
            return default;
        }
    }

    private static ValueTask<object?> RequireSimulator(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        invocation.HttpContext.RequestServices.GetRequiredService<IOptions<SimulatorOptions>>().Value.Enabled
            ? next(invocation)
            : ValueTask.FromResult<object?>(Page.Render(invocation.HttpContext, "Not available", $"""
                {Page.Badge("alert", "muted")}
                <h1>The demo is off</h1>
                <p>The demo works only while <code>Passline:Simulator:Enabled</code> is on (the Development default).</p>
                """, StatusCodes.Status404NotFound));
}

/// <summary>The demo's log category.</summary>
public sealed class DemoAppLog;
