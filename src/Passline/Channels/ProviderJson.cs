using System.Text.Json;
using Passline.Api;

namespace Passline.Channels;

/// <summary>
/// Reads the JSON a provider sends (its webhooks, its answers): a missing or mistyped value is null, never an exception,
/// and text loses its NUL characters. PostgreSQL cannot store them, and a payload's ids and senders are stored: one NUL
/// would fail every delivery of that webhook.
/// </summary>
public static class ProviderJson
{
    public static JsonElement? Property(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var value) ? value : null;

    public static string? Text(JsonElement? obj, string name) =>
        Property(obj, name) is { } value ? Text(value) : null;

    public static string? Text(JsonElement value) => FieldReader.TextOf(value)?.Replace("\0", "", StringComparison.Ordinal);
}
