using System.Collections.Concurrent;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Passline.Localization;

namespace Passline.Requests;

/// <summary>The WhatsApp texts of a request and their placeholders (SPEC 2.2), with their defaults in each language.</summary>
public static class MessageTemplates
{
    public const string Prompt = "Give me link to login at {name}";
    public const string Success = "Here is your login link: {link}";
    public const string Failed = "Login failed, please try again later.";
    public const string Expired = "The link has been expired, please try another one.";

    /// <summary>The request-code message; <c>{minutes}</c> is the code's lifetime.</summary>
    public const string Code = "{code} is your {name} verification code. It expires in {minutes} minutes. Do not share it with anyone.";

    /// <summary>The request-code message of a code that lives one minute: <see cref="Code"/>'s singular.</summary>
    public const string CodeOneMinute = "{code} is your {name} verification code. It expires in 1 minute. Do not share it with anyone.";

    private static readonly IStringLocalizer Localizer =
        new ResourceManagerStringLocalizerFactory(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance).Create(typeof(Messages));

    private static readonly ConcurrentDictionary<string, DefaultMessages> Defaults = new(StringComparer.Ordinal);

    /// <summary>The default messages in <paramref name="language"/> (a supported tag; English otherwise).</summary>
    public static DefaultMessages For(string? language) =>
        Defaults.GetOrAdd(Languages.Normalize(language) ?? Languages.Default, tag => Languages.In(tag, () => new DefaultMessages(
            Localizer[nameof(Prompt)], Localizer[nameof(Success)], Localizer[nameof(Failed)], Localizer[nameof(Expired)], Localizer[nameof(Code)],
            Localizer[nameof(CodeOneMinute)])));

    /// <summary>
    /// The default request-code message in <paramref name="language"/> for a code that lives <paramref name="minutes"/>:
    /// "1 minute" in the singular, and the language's own form of the word for the number where it has one.
    /// </summary>
    public static string CodeTemplate(string? language, int minutes)
    {
        var tag = Languages.Normalize(language) ?? Languages.Default;
        return minutes == 1 ? For(tag).CodeOneMinute : Languages.In(tag, () => Plurals.Form(Localizer, typeof(Messages), nameof(Code), minutes));
    }

    public static string Fill(string template, string name, string code, string? link = null)
    {
        var text = template.Replace("{name}", name, StringComparison.Ordinal).Replace("{code}", code, StringComparison.Ordinal);
        return link is null ? text : text.Replace("{link}", link, StringComparison.Ordinal);
    }
}

/// <summary>The default texts of one language. The prompt never contains brackets: the code follows it in brackets.</summary>
public sealed record DefaultMessages(string Prompt, string Success, string Failed, string Expired, string Code, string CodeOneMinute);
