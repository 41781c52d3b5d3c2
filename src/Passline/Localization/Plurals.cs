using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Localization;

namespace Passline.Localization;

/// <summary>
/// Words that change with a number. A text's entry is its general form; a language whose words take other forms for some
/// numbers (Arabic's two and three to ten) adds entries named <c>{text}#{category}</c>, by the CLDR plural category of
/// whole numbers, in its own resource file only. A text that says "1" has an entry of its own in every language.
/// </summary>
public static class Plurals
{
    private static readonly ConcurrentDictionary<(Type, string), IReadOnlyDictionary<string, string>> Forms = new();

    /// <summary>
    /// The CLDR plural category of the whole number <paramref name="n"/> in <paramref name="language"/> (a supported tag),
    /// from the rules at unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html.
    /// </summary>
    public static string Category(string language, long n) => language switch
    {
        "ar" => n switch
        {
            0 => "zero",
            1 => "one",
            2 => "two",
            _ => (n % 100) switch { >= 3 and <= 10 => "few", >= 11 and <= 99 => "many", _ => "other" },
        },
        "ru" => (n % 10, n % 100) switch
        {
            (1, not 11) => "one",
            ( >= 2 and <= 4, < 12 or > 14) => "few",
            _ => "many",
        },
        "id" => "other",
        "fr" or "hi" or "pt-BR" => n is 0 or 1 ? "one" : "other",
        _ => n == 1 ? "one" : "other",
    };

    /// <summary>
    /// The form of the text <paramref name="name"/> of <paramref name="resources"/> for <paramref name="n"/>, in the current
    /// UI culture: the language's own entry for the number's category when it has one, else the text.
    /// </summary>
    public static string Form(IStringLocalizer localizer, Type resources, string name, long n)
    {
        var language = CultureInfo.CurrentUICulture.Name;
        var forms = Forms.GetOrAdd((resources, language), _ => localizer.GetAllStrings(includeParentCultures: false)
            .Where(s => s.Name.Contains('#', StringComparison.Ordinal))
            .ToDictionary(s => s.Name, s => s.Value, StringComparer.Ordinal));
        return forms.TryGetValue($"{name}#{Category(language, n)}", out var form) ? form : localizer[name];
    }
}
