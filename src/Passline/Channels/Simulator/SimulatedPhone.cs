using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Inbound;
using Passline.Instances;
using Passline.Outbox;
using Passline.Pages;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels.Simulator;

/// <summary>
/// <c>/simulator/{instance}</c>: a simulated phone for a simulator instance (SPEC 4.4). It shows the message the link
/// page pre-filled, sends it through the same inbound processing as a provider's webhook, and shows the chat with
/// Passline's replies, whose verification link the person taps.
/// <para>
/// Each browser gets a phone number of its own (a random +1 555 number, kept in a data-protected cookie); the page sends
/// and reads only that number's chat, and its form is protected against cross-site request forgery. So the page cannot
/// be used to read another chat's links or to send as another number. Only while the simulator is enabled, and only
/// for simulator instances.
/// </para>
/// </summary>
public static partial class SimulatedPhone
{
    private const string PhoneCookie = "passline-phone";
    private const int MaxText = 4096;

    public static IEndpointRouteBuilder MapSimulatedPhone(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/simulator/{instance}").ExcludeFromDescription();
        group.MapGet("", Show).WithName("SimulatedPhone");
        group.MapPost("", Send).WithName("SimulatedPhoneSend").DisableAntiforgery();
        group.MapGet("/chat", Chat).WithName("SimulatedPhoneChat");
        return app;
    }

    public static async Task<IResult> Show(string instance, string? text, HttpContext context, PasslineDb db, IOptions<SimulatorOptions> simulator,
        IDataProtectionProvider protection, IAntiforgery antiforgery)
    {
        if (await FindAsync(db, instance, simulator.Value, context.RequestAborted) is not { } found)
        {
            return NotAvailable(context);
        }

        var phone = PhoneOf(context, protection);
        var tokens = antiforgery.GetAndStoreTokens(context);
        var draft = text is { Length: > 0 and <= MaxText } ? text : "";
        var chat = await ChatHtmlAsync(db, found, phone, context.RequestAborted);
        return Page.Render(context, $"Simulated phone: chat with {found.Name}", $"""
            <div class="phone">
              <header><span class="avatar">{Page.Encode(Initial(found.Name))}</span><div><strong>{Page.Encode(found.Name)}</strong><small>{Page.Encode(FormatPhone(found.Phone))} · business account</small></div></header>
              <div class="chat" id="chat" aria-live="polite">{chat}</div>
              <form class="compose" method="post" id="compose">
                <input type="hidden" name="{Page.Encode(tokens.FormFieldName)}" value="{Page.Encode(tokens.RequestToken!)}">
                <textarea name="text" id="text" rows="3" maxlength="{MaxText}" required aria-label="Message" placeholder="Message">{Page.Encode(draft)}</textarea>
                <button class="primary" type="submit" id="send" aria-label="Send">{Page.Icon("send")}</button>
              </form>
            </div>
            <p class="who">{Page.Icon("phone", "small")} Simulated phone · your number here is <strong id="my-number">{Page.Encode(FormatPhone(phone))}</strong></p>
            """, script: RefreshScript);
    }

    public static async Task<IResult> Send(string instance, HttpContext context, PasslineDb db, Writes writes, IOptions<SimulatorOptions> simulator,
        IDataProtectionProvider protection, IAntiforgery antiforgery, InboundProcessor processor, TimeProvider time)
    {
        if (await FindAsync(db, instance, simulator.Value, context.RequestAborted) is not { } found)
        {
            return NotAvailable(context);
        }

        if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
        {
            return Page.Render(context, "Please try again", $"""
                {Page.Badge("alert", "warn")}<h1>Please try again</h1>
                <p>This form has expired or did not come from the simulated phone. <a href="{Page.Encode(PhonePath(context, found))}">Open the phone again</a>.</p>
                """, StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var text = form["text"].ToString().Trim();
        if (text.Length is > 0 and <= MaxText)
        {
            var phone = PhoneOf(context, protection);
            var chatId = phone + "@c.us";
            await writes.RunAsync(work =>
            {
                work.Db.SimulatedPhoneMessages.Add(new SimulatedPhoneMessage { InstanceId = found.Id, ChatId = chatId, Text = text, SentAt = work.Now });
                return Task.CompletedTask;
            }, context.RequestAborted);

            // The same path as a provider's webhook: deduplication, limits, matching, the reply.
            var message = new IncomingMessage($"sim_{Guid.NewGuid():N}", chatId, ChatId.Phone(chatId), text, FromMe: false, IsGroup: false);
            await processor.ProcessAsync(found, message, context.Request, context.RequestAborted);
        }

        return Page.Redirect(context, PhonePath(context, found));
    }

    /// <summary>The chat as an HTML fragment, for the page to refresh itself while it waits for a reply.</summary>
    public static async Task<IResult> Chat(string instance, HttpContext context, PasslineDb db, IOptions<SimulatorOptions> simulator, IDataProtectionProvider protection)
    {
        if (await FindAsync(db, instance, simulator.Value, context.RequestAborted) is not { } found)
        {
            return NotAvailable(context);
        }

        Page.SecurityHeaders(context.Response, "default-src 'none'; frame-ancestors 'none'");
        return Results.Content(await ChatHtmlAsync(db, found, PhoneOf(context, protection), context.RequestAborted), "text/html; charset=utf-8");
    }

    private static async Task<Instance?> FindAsync(PasslineDb db, string instance, SimulatorOptions simulator, CancellationToken cancellationToken) =>
        simulator.Enabled && Guid.TryParse(instance, out var id)
            ? await db.Instances.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id && i.Provider == Providers.Simulator, cancellationToken)
            : null;

    private static string PhonePath(HttpContext context, Instance instance) => $"{context.Request.PathBase}/simulator/{instance.Id}";

    /// <summary>This browser's simulated number (digits), from its protected cookie; a new one the first time.</summary>
    private static string PhoneOf(HttpContext context, IDataProtectionProvider protection)
    {
        var protector = protection.CreateProtector("Passline.Simulator.Phone");
        if (context.Request.Cookies.TryGetValue(PhoneCookie, out var cookie))
        {
            try
            {
                var digits = protector.Unprotect(cookie);
                if (ChatId.PhoneDigits(digits) == digits)
                {
                    return digits;
                }
            }
            catch (CryptographicException)
            {
                // A cookie from another key ring or tampered with: this browser gets a new number.
            }
        }

        var phone = "1555" + RandomNumberGenerator.GetInt32(2_000_000, 10_000_000).ToString(CultureInfo.InvariantCulture);
        context.Response.Cookies.Append(PhoneCookie, protector.Protect(phone), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/simulator",
            MaxAge = TimeSpan.FromDays(30),
            IsEssential = true,
        });
        return phone;
    }

    private static async Task<string> ChatHtmlAsync(PasslineDb db, Instance instance, string phone, CancellationToken cancellationToken)
    {
        var chatId = phone + "@c.us";
        var sent = await db.SimulatedPhoneMessages.AsNoTracking()
            .Where(m => m.InstanceId == instance.Id && m.ChatId == chatId)
            .OrderByDescending(m => m.SentAt).ThenByDescending(m => m.Id).Take(50)
            .Select(m => new { m.Text, At = m.SentAt, Mine = true })
            .ToListAsync(cancellationToken);
        var received = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.InstanceId == instance.Id && m.ChatId == chatId && m.Status == OutboundStatuses.Sent)
            .OrderByDescending(m => m.SentAt).Take(50)
            .Select(m => new { m.Text, At = m.SentAt!.Value, Mine = false })
            .ToListAsync(cancellationToken);

        // A reply is never older than the message it answers: at the same instant, the user's message goes first.
        var messages = sent.Concat(received).OrderBy(m => m.At).ThenBy(m => m.Mine ? 0 : 1).ToList();
        if (messages.Count == 0)
        {
            return """<p class="empty">Messages you send here go to Passline as if sent from WhatsApp.</p>""";
        }

        var html = new StringBuilder();
        foreach (var message in messages)
        {
            var time = message.At.ToString("HH:mm", CultureInfo.InvariantCulture);
            html.Append(CultureInfo.InvariantCulture, $"""<div class="bubble {(message.Mine ? "out" : "in")}">{Linkify(message.Text)}<time>{time}</time></div>""");
        }

        return html.ToString();
    }

    /// <summary>Text with its http(s) links made tappable, everything HTML-escaped.</summary>
    public static string Linkify(string text)
    {
        var html = new StringBuilder();
        var last = 0;
        foreach (Match match in UrlPattern().Matches(text))
        {
            html.Append(Page.Encode(text[last..match.Index]));
            html.Append(CultureInfo.InvariantCulture, $"""<a href="{Page.Encode(match.Value)}" rel="noreferrer">{Page.Encode(match.Value)}</a>""");
            last = match.Index + match.Length;
        }

        return html.Append(Page.Encode(text[last..])).ToString();
    }

    /// <summary><c>+1 555 234 5678</c> for North American numbers, else <c>+</c> and the digits.</summary>
    public static string FormatPhone(string digits) =>
        digits.Length == 11 && digits[0] == '1' ? $"+1 {digits[1..4]} {digits[4..7]} {digits[7..]}" : "+" + digits;

    private static string Initial(string name) => name.Length > 0 ? name[..1].ToUpperInvariant() : "?";

    private static IResult NotAvailable(HttpContext context) => Page.Render(context, "Not available", $"""
        {Page.Badge("phone", "muted")}
        <h1>No simulated phone here</h1>
        <p>The simulated phone works only for instances on the simulator provider, while <code>Passline:Simulator:Enabled</code> is on (the Development default).</p>
        """, StatusCodes.Status404NotFound);

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex UrlPattern();

    /// <summary>Keeps the chat current while the page is open: Passline's reply arrives a moment after sending.</summary>
    private const string RefreshScript = """
        (function () {
          var chat = document.getElementById('chat'), started = Date.now(), last = chat.innerHTML;
          chat.scrollTop = chat.scrollHeight;
          function refresh() {
            if (Date.now() - started > 10 * 60 * 1000) return;
            fetch(window.location.pathname.replace(/\/$/, '') + '/chat', { cache: 'no-store', credentials: 'same-origin' })
              .then(function (r) { return r.ok ? r.text() : last; })
              .then(function (html) { if (html !== last) { last = html; chat.innerHTML = html; chat.scrollTop = chat.scrollHeight; } })
              .finally(function () { setTimeout(refresh, 1000); });
          }
          setTimeout(refresh, 500);
          var text = document.getElementById('text');
          text.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); document.getElementById('compose').requestSubmit(); } });
        })();
        """;
}
