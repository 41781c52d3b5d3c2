using System.Globalization;
using System.Text.Json;

namespace Passline.Api;

/// <summary>
/// Reads typed fields from a JSON request object and collects one validation message per
/// offending field, keyed by its dotted path (<c>message.success</c>), for a 422 (SPEC 2.1).
/// A JSON <c>null</c> counts as absent, so clients may send every optional field; so does a string that is empty or only
/// spaces, as a Laravel server such as Hypersender's reads it by default (its middleware trims strings and turns ""
/// into null): a client that sends an unset setting as <c>""</c> gets the default there, and here.
/// </summary>
public sealed class FieldReader
{
    private readonly Dictionary<string, string[]> errors = new(StringComparer.Ordinal);

    public bool HasErrors => errors.Count > 0;

    public ApiError ToError() => ApiError.Invalid(errors);

    public void Fail(string field, string message) => errors.TryAdd(field, [message]);

    /// <summary>The value of the first of <paramref name="names"/> present in <paramref name="obj"/>, and which name it was.</summary>
    public static (JsonElement Value, string Name)? Find(JsonElement obj, params string[] names)
    {
        foreach (var name in names)
        {
            if (obj.TryGetProperty(name, out var value) && !IsAbsent(value))
            {
                return (value, name);
            }
        }

        return null;
    }

    /// <summary>
    /// An integer from <paramref name="min"/> to <paramref name="max"/>: a JSON number with no fraction (<c>1800</c>,
    /// <c>1800.0</c>, <c>1.8e3</c>: what a client computing it as a float sends) or a string of digits.
    /// </summary>
    public int? Integer(JsonElement obj, string name, string path, int min, int max)
    {
        if (!obj.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            return null;
        }

        long number = 0;
        var ok = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out number) || WholeNumber(value, out number),
            JsonValueKind.String => long.TryParse(TextOf(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number),
            _ => false,
        };
        if (ok && number >= min && number <= max)
        {
            return (int)number;
        }

        Fail(path, $"The {path} must be an integer between {min} and {max}.");
        return null;
    }

    /// <summary>
    /// A string of <paramref name="minLength"/> to <paramref name="maxLength"/> characters without control
    /// characters (NUL cannot even be stored in PostgreSQL); <paramref name="multiline"/> lets line breaks and tabs through.
    /// </summary>
    public string? String(JsonElement obj, string name, string path, int minLength, int maxLength, bool multiline = false)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Read once, then a blank text is absent as IsAbsent says: strings are most of a body's fields.
        var text = TextOf(value);
        if (text is not null && string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text is not null)
        {
            var length = CountCharacters(text);
            if (length >= minLength && length <= maxLength)
            {
                if (!HasControlCharacters(text, multiline))
                {
                    return text;
                }

                Fail(path, $"The {path} must not contain control characters.");
                return null;
            }
        }

        Fail(path, $"The {path} must be a string of {minLength} to {maxLength} characters.");
        return null;
    }

    private static bool HasControlCharacters(string text, bool multiline)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
            {
                return true;
            }
        }

        return false;
    }

    public bool? Boolean(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1:
                return n == 1;
            case JsonValueKind.String when TextOf(value) is "1" or "0" or "true" or "false":
                return TextOf(value) is "1" or "true";
            default:
                Fail(path, $"The {path} field must be true or false.");
                return null;
        }
    }

    /// <summary>
    /// A nested object, or null when absent. An empty array counts as absent too: PHP encodes an empty array as
    /// <c>[]</c>, and Hypersender's own Laravel SDK sends <c>"message": []</c> for "the default messages".
    /// Anything else is an error.
    /// </summary>
    public JsonElement? Object(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || IsAbsent(value)
            || (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            return value;
        }

        Fail(path, $"The {path} must be an object.");
        return null;
    }

    /// <summary>Whether a field's value means "not given": <c>null</c>, or a string that is empty or only white space.</summary>
    public static bool IsAbsent(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && TextOf(value) is { } text && string.IsNullOrWhiteSpace(text));

    private static bool WholeNumber(JsonElement value, out long number)
    {
        number = 0;
        if (value.TryGetDouble(out var d) && Math.Abs(d) < 1e15 && d == Math.Floor(d))
        {
            number = (long)d;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The string value, or null when the element is not a string or is not valid text
    /// (an escaped lone surrogate such as <c>"\ud800"</c> parses as JSON but is no string).
    /// </summary>
    public static string? TextOf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Length as a person counts it: Unicode scalar values, so an emoji is one character.</summary>
    private static int CountCharacters(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
