using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Localization;
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
    public const int MaxText = 4096;

    public static IEndpointRouteBuilder MapSimulatedPhone(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/simulator/{instance}").ExcludeFromDescription();
        group.MapGet("", Show).WithName("SimulatedPhone").AnswerHead().AsPage();
        group.MapPost("", Send).WithName("SimulatedPhoneSend").DisableAntiforgery().AsPage();
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
        return Page.Render<PhonePage>(Language(context), new
        {
            Instance = found,
            Phone = phone,
            Tokens = tokens,
            Draft = draft,
            Messages = await ChatAsync(db, found, phone, context.RequestAborted),
        });
    }

    public static async Task<IResult> Send(string instance, HttpContext context, PasslineDb db, Writes writes, IOptions<SimulatorOptions> simulator,
        IDataProtectionProvider protection, IAntiforgery antiforgery, InboundProcessor processor, PublicUrls urls, TimeProvider time, IStringLocalizer<Texts> texts)
    {
        if (await FindAsync(db, instance, simulator.Value, context.RequestAborted) is not { } found)
        {
            return NotAvailable(context);
        }

        if (await Page.RefusedFormAsync(context, antiforgery) is { } refused)
        {
            var language = Language(context);
            return Page.Render<MessagePage>(language, Languages.In(language, () => new
            {
                Heading = texts["Please try again"].Value,
                Text = texts["This form has expired or did not come from the simulated phone."].Value,
                Link = PhonePath(context, found),
                LinkText = texts["Open the phone again"].Value,
            }), refused);
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
            await processor.ProcessAsync(found, message, urls.Base(context.Request), context.RequestAborted);
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
        return Page.Render<ChatView>(Language(context), new { Messages = await ChatAsync(db, found, PhoneOf(context, protection), context.RequestAborted) });
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

    /// <summary>One message of the chat: the person's own (<paramref name="Mine"/>) or Passline's reply.</summary>
    public sealed record ChatMessage(string Text, DateTimeOffset At, bool Mine);

    private static async Task<List<ChatMessage>> ChatAsync(PasslineDb db, Instance instance, string phone, CancellationToken cancellationToken)
    {
        var chatId = phone + "@c.us";
        var sent = await db.SimulatedPhoneMessages.AsNoTracking()
            .Where(m => m.InstanceId == instance.Id && m.ChatId == chatId)
            .OrderByDescending(m => m.SentAt).ThenByDescending(m => m.Id).Take(50)
            .Select(m => new ChatMessage(m.Text, m.SentAt, true))
            .ToListAsync(cancellationToken);
        var received = await db.OutboundMessages.AsNoTracking()
            .Where(m => m.InstanceId == instance.Id && m.ChatId == chatId && m.Status == OutboundStatuses.Sent)
            .OrderByDescending(m => m.CreatedAt).Take(50)
            .Select(m => new ChatMessage(m.Text, m.SentAt!.Value, false))
            .ToListAsync(cancellationToken);

        // A reply is never older than the message it answers: at the same instant, the user's message goes first.
        return [.. sent.Concat(received).OrderBy(m => m.At).ThenBy(m => m.Mine ? 0 : 1)];
    }

    /// <summary>The text cut into plain parts and http(s) links, for the chat to make the links tappable.</summary>
    public static IEnumerable<(string Text, bool IsLink)> Segments(string text)
    {
        var last = 0;
        foreach (Match match in UrlPattern().Matches(text))
        {
            if (match.Index > last)
            {
                yield return (text[last..match.Index], false);
            }

            yield return (match.Value, true);
            last = match.Index + match.Length;
        }

        if (last < text.Length)
        {
            yield return (text[last..], false);
        }
    }

    /// <summary>The simulated phone follows the browser's language.</summary>
    private static string Language(HttpContext context) => Languages.FromAcceptLanguage(context.Request) ?? Languages.Default;

    /// <summary><c>+1 555 234 5678</c> for North American numbers, else <c>+</c> and the digits.</summary>
    public static string FormatPhone(string digits) =>
        digits.Length == 11 && digits[0] == '1' ? $"+1 {digits[1..4]} {digits[4..7]} {digits[7..]}" : "+" + digits;

    private static IResult NotAvailable(HttpContext context)
    {
        var language = Language(context);
        var texts = context.RequestServices.GetRequiredService<IStringLocalizer<Texts>>();
        return Page.Render<MessagePage>(language, Languages.In(language, () => new
        {
            Heading = texts["No simulated phone here"].Value,
            Text = texts["The simulated phone works only for instances on the simulator provider, while {0} is on (the Development default)."].Value,
            Code = "Passline:Simulator:Enabled",
            BadgeIcon = "phone",
            Tone = "muted",
        }), StatusCodes.Status404NotFound);
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex UrlPattern();
}
