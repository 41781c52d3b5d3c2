using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels.Simulator;
using Passline.Instances;
using Passline.Links;
using Passline.Localization;
using Passline.Pages;
using Passline.RateLimiting;
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
        var group = app.MapGroup("/demo").ExcludeFromDescription().AddEndpointFilter(RequireSimulator).AsPage();
        group.MapGet("", Home).WithName("Demo").AnswerHead();
        group.MapPost("/login", Login).WithName("DemoLogin").DisableAntiforgery();
        // No HEAD: the way back redeems its one-time token.
        group.MapGet("/signed-in", SignedIn).WithName("DemoSignedIn");
        group.MapPost("/logout", Logout).WithName("DemoLogout").DisableAntiforgery();
        return app;
    }

    /// <summary>Who is logged in to the demo, as the exchange told it.</summary>
    public sealed record Session(string Phone, string ChatId, DateTimeOffset VerifiedAt);

    public static IResult Home(HttpContext context, IDataProtectionProvider protection, IAntiforgery antiforgery) =>
        context.Request.Path.Value is { Length: > 1 } path && path.EndsWith('/')
            // The page's links are relative to /demo: from /demo/ they would lead to /demo/demo/...
            ? Results.Redirect($"{context.Request.PathBase}/demo", permanent: true)
            : Page.Render<DemoPage>(Language(context), new
            {
                Session = Read<Session>(context, protection, SessionCookie),
                Tokens = antiforgery.GetAndStoreTokens(context),
            });

    public static async Task<IResult> Login(HttpContext context, IAntiforgery antiforgery, PasslineDb db, TimeProvider time, PublicUrls urls,
        IOptions<CallbackOptions> callbacks, IDataProtectionProvider protection, LinkRequestWriter writer, RateLimits limits,
        Monitoring.PasslineMetrics metrics, ILogger<DemoAppLog> logger, IStringLocalizer<Texts> texts)
    {
        var language = Language(context);
        if (await Page.RefusedFormAsync(context, antiforgery) is { } refused)
        {
            return Page.Render<MessagePage>(language, Languages.In(language, () => new
            {
                Heading = texts["Please try again"].Value,
                Text = texts["This form has expired."].Value,
                Link = "../demo",
                LinkText = texts["Back to {0}", AppName].Value,
            }), refused);
        }

        var instance = await DemoInstanceAsync(db, context.RequestAborted);
        if (instance is null)
        {
            return Page.Render<MessagePage>(language, Languages.In(language, () => new
            {
                Heading = texts["No simulator instance"].Value,
                Text = texts["The demo needs an instance on the simulator provider. Create one with {0}, then try again."].Value,
                Code = "passline instance create --name Demo --phone 15550001234 --provider simulator",
            }), StatusCodes.Status503ServiceUnavailable);
        }

        var publicBase = urls.Base(context.Request);
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["name"] = AppName,
            ["redirect"] = $"{publicBase}/demo/signed-in",

            // As an application would: its user's language, for the WhatsApp messages and the pages of this sign-in.
            ["language"] = language,
        });

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

        // Unbound: no per-chat limit refuses it.
        var (request, _) = await LinkApi.CreateAsync(writer, limits, time, instance, input, metrics, logger, context.RequestAborted);

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
            ? await requests.RunStatementAsync(lifecycle => lifecycle.ExchangeAsync(instance.Id, otp_token), context.RequestAborted)
            : null;
        if (request is null)
        {
            return Page.Render<DemoFailed>(Language(context), statusCode: StatusCodes.Status400BadRequest);
        }

        context.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/demo" });
        Write(context, protection, SessionCookie, new Session(request.Phone ?? "", request.ChatId ?? "", request.VerifiedAt ?? time.GetUtcNow()), TimeSpan.FromHours(8));
        return Page.Redirect(context, $"{context.Request.PathBase}/demo");
    }

    public static async Task<IResult> Logout(HttpContext context, IAntiforgery antiforgery)
    {
        if (await Page.RefusedFormAsync(context, antiforgery) is null)
        {
            context.Response.Cookies.Delete(SessionCookie, new CookieOptions { Path = "/demo" });
        }

        return Page.Redirect(context, $"{context.Request.PathBase}/demo");
    }

    /// <summary>The first simulator instance: the one Passline creates on first start in Development.</summary>
    private static Task<Instance?> DemoInstanceAsync(PasslineDb db, CancellationToken cancellationToken) =>
        db.Instances.AsNoTracking().Where(i => i.Provider == Providers.Simulator).OrderBy(i => i.CreatedAt).ThenBy(i => i.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>The demo follows the browser's language, as an application would.</summary>
    private static string Language(HttpContext context) => Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;

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
            : ValueTask.FromResult<object?>(DemoOff(invocation.HttpContext));

    private static IResult DemoOff(HttpContext context)
    {
        var language = Language(context);
        var texts = context.RequestServices.GetRequiredService<IStringLocalizer<Texts>>();
        return Page.Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["The demo is off"].Value,
            Text = texts["The demo works only while {0} is on (the Development default)."].Value,
            Code = "Passline:Simulator:Enabled",
            BadgeIcon = "alert",
            Tone = "muted",
        }), StatusCodes.Status404NotFound);
    }
}

/// <summary>The demo's log category.</summary>
public sealed class DemoAppLog;
