using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Passline.Api;

/// <summary>JSON conventions of the API: snake_case names, timestamps as <c>2025-12-29T18:14:55+00:00</c>.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;

        // "+20..." and "user's" as they are, not "\u002B20..." and "user\u0027s": the answers and callbacks are JSON
        // read by programs and people, never pasted into an HTML page, which is what the default escaping guards.
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.DictionaryKeyPolicy = null;
        options.Converters.Add(new TimestampConverter());
        return options;
    }

    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'+00:00'";

    /// <summary>UTC, second precision, explicit offset (SPEC 2).</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private sealed class TimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);

        /// <summary>Formatted straight into the answer's UTF-8, without a string in between.</summary>
        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
        {
            Span<byte> utf8 = stackalloc byte[32];
            value.UtcDateTime.TryFormat(utf8, out var written, TimestampFormat, CultureInfo.InvariantCulture);
            writer.WriteStringValue(utf8[..written]);
        }
    }
}
