using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Passline.Client;

namespace Passline.Sample;

/// <summary>
/// A web application that signs its users in with Passline: <c>/login</c> asks Passline for a link and sends the
/// browser to its link page; after Verify, Passline sends the browser to <c>/login/done</c> with a one-time token that
/// the backend exchanges for the verified phone number; Passline's signed callback arrives at <c>/passline/callback</c>.
/// </summary>
public static class SampleApp
{
    private const string PendingLoginCookie = "sample-passline-login";

    public static Task Main(string[] args) => Build(args).RunAsync();

    /// <summary>The application, configured but not started; <paramref name="configure"/> lets a test change its services.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Passline:BaseAddress, Passline:Instance, Passline:ApiToken, Passline:WebhookSecret (appsettings.json, environment, ...).
        builder.Services.AddPasslineClient();
        builder.Services.AddSingleton<ReceivedCallbacks>();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o => o.LoginPath = "/");
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseAuthentication();

        app.MapGet("/", (HttpContext context) =>
        {
            var user = context.User.Identity?.IsAuthenticated == true ? context.User.FindFirstValue(ClaimTypes.MobilePhone) : null;
            var body = user is null
                ? "<p>You are not signed in.</p><p><a href=\"/login\">Sign in with WhatsApp</a></p>"
                : $"<p>Signed in as {WebUtility.HtmlEncode(user)}.</p><form method=\"post\" action=\"/logout\"><button>Sign out</button></form>";
            return Results.Content($"<!doctype html><title>Passline sample</title><h1>Passline sample</h1>{body}", "text/html; charset=utf-8");
        });

        app.MapGet("/login", async (HttpContext context, PasslineClient passline) =>
        {
            var origin = $"{context.Request.Scheme}://{context.Request.Host}";
            var link = await passline.GenerateLinkAsync(new GenerateLinkRequest
            {
                Name = "Passline sample",
                Redirect = $"{origin}/login/done",
                Callback = new LinkCallbacks { Success = $"{origin}/passline/callback", Failed = $"{origin}/passline/callback" },
            }, context.RequestAborted);

            // The browser that comes back with the token must be the one that started this login: a token alone would let
            // someone sign a victim's browser into the attacker's account.
            context.Response.Cookies.Append(PendingLoginCookie, link.Uuid.ToString(), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                MaxAge = TimeSpan.FromHours(1),
            });

            // link_url shows a QR code on a desktop and opens WhatsApp on a phone.
            return Results.Redirect(link.LinkUrl);
        });

        app.MapGet("/login/done", async (HttpContext context, PasslineClient passline, Guid otp_uuid, string otp_token) =>
        {
            if (context.Request.Cookies[PendingLoginCookie] != otp_uuid.ToString())
            {
                return Results.BadRequest("This login was started in another browser.");
            }

            VerifiedIdentity identity;
            try
            {
                identity = await passline.ExchangeAsync(otp_token, context.RequestAborted);
            }
            catch (PasslineApiException e) when (e.StatusCode is HttpStatusCode.Gone or HttpStatusCode.NotFound)
            {
                return Results.BadRequest("This login link was already used or has expired.");
            }

            if (identity.Uuid != otp_uuid)
            {
                return Results.BadRequest("The token belongs to another login.");
            }

            context.Response.Cookies.Delete(PendingLoginCookie);
            var claims = new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, identity.ChatId), new Claim(ClaimTypes.MobilePhone, identity.Phone ?? identity.ChatId)],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(new ClaimsPrincipal(claims));
            return Results.Redirect("/");
        });

        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync();
            return Results.Redirect("/");
        }).DisableAntiforgery();

        // Passline POSTs here when a login ends (verified, failed or expired), signed with the instance's secret.
        app.MapPasslineCallback("/passline/callback", (callback, context) =>
        {
            context.RequestServices.GetRequiredService<ReceivedCallbacks>().Add(callback);
            return Task.CompletedTask;
        });

        return app;
    }
}

/// <summary>
/// The callbacks this process received, each delivery once (by <c>webhook-id</c>). A real application would record
/// them in its database, for example to audit logins or to end a login the user abandoned.
/// </summary>
public sealed class ReceivedCallbacks
{
    private readonly ConcurrentDictionary<string, PasslineCallback> received = new();

    public void Add(PasslineCallback callback) => received.TryAdd(callback.WebhookId, callback);

    public IReadOnlyCollection<PasslineCallback> All => [.. received.Values];
}
