using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Passline.Localization;

/// <summary>
/// The languages Passline speaks on its pages and in its default WhatsApp messages (SPEC 2.2 <c>language</c>), and how
/// one is chosen: the request's own <c>language</c>, else the browser's <c>Accept-Language</c> (pages), else the
/// instance's default.
/// </summary>
public static class Languages
{
    public const string Default = "en";

    /// <summary>The supported BCP 47 tags, as stored and as the resource files are named.</summary>
    public static readonly string[] Supported = ["en", "ar", "pt-BR", "es", "id", "hi", "tr", "fr", "de", "ru"];

    private static readonly Dictionary<string, CultureInfo> Cultures =
        Supported.ToDictionary(tag => tag, CultureInfo.GetCultureInfo, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The supported tag <paramref name="tag"/> stands for (any case; a regional variant such as <c>es-MX</c> or
    /// <c>ar-EG</c> falls back to its language, <c>pt</c> and <c>pt-PT</c> to <c>pt-BR</c>), or null.
    /// </summary>
    public static string? Normalize(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag) || tag.Length > 35)
        {
            return null;
        }

        tag = tag.Trim().Replace('_', '-');
        if (Cultures.TryGetValue(tag, out var exact))
        {
            return exact.Name;
        }

        var language = tag.Split('-')[0];
        return language.ToLowerInvariant() switch
        {
            "pt" => "pt-BR",
            var primary when primary.Length is 2 or 3 && Cultures.TryGetValue(primary, out var culture) => culture.Name,
            _ => null,
        };
    }

    /// <summary>The best supported language of an <c>Accept-Language</c> header, by its quality values, or null.</summary>
    public static string? FromAcceptLanguage(HttpRequest request)
    {
        var header = request.Headers.AcceptLanguage;
        if (header.Count == 0 || !StringWithQualityHeaderValue.TryParseList(header, out var values))
        {
            return null;
        }

        return values
            .Where(v => v.Quality is null or > 0)
            .OrderByDescending(v => v.Quality ?? 1)
            .Select(v => Normalize(v.Value.Value))
            .FirstOrDefault(tag => tag is not null);
    }

    /// <summary>
    /// The page's language: the request's own, then the browser's (SPEC 2.2); null when neither is given or supported, for
    /// the caller to fall back to the instance's default (looked up only then).
    /// </summary>
    public static string? ForPage(HttpRequest request, string? requestLanguage) => Normalize(requestLanguage) ?? FromAcceptLanguage(request);

    public static CultureInfo Culture(string tag) => Cultures.TryGetValue(tag, out var culture) ? culture : Cultures[Default];

    /// <summary>Whether the language is written right to left (<c>dir="rtl"</c>).</summary>
    public static bool IsRightToLeft(string tag) => tag.StartsWith("ar", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs <paramref name="work"/> with <paramref name="tag"/> as the current (UI) culture, for text looked up outside a page.</summary>
    public static T In<T>(string tag, Func<T> work)
    {
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = Culture(tag);
        try
        {
            return work();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture);
        }
    }
}
