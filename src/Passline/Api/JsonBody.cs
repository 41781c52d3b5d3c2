using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Passline.Api;

/// <summary>
/// Reads an API request body as a JSON object, turning every way it can be wrong into the
/// SPEC 2.1 answer: 413 over the body limit (64 KiB, <see cref="BodyLimitOptions"/>), 415 not JSON, 400 not valid JSON
/// or not an object. Fields are then read with <see cref="FieldReader"/>, so that a wrong type is a 422 naming the field.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 32 };
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static async Task<(JsonElement Body, ApiError? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > 0 && !IsJson(request.ContentType))
        {
            return (default, ApiError.UnsupportedMediaType());
        }

        var (bytes, error) = await ReadBytesAsync(request, cancellationToken);
        if (error is not null)
        {
            return (default, error);
        }

        // Every field of generate-link is optional, so an empty POST (curl -X POST) means "all defaults".
        if (bytes!.Length == 0)
        {
            return (EmptyObject, null);
        }

        return IsJson(request.ContentType) ? ParseObject(bytes) : (default, ApiError.UnsupportedMediaType());
    }

    /// <summary>
    /// The body limit <paramref name="request"/> is under, as Kestrel enforces it: the server's, or the one its endpoint
    /// set for itself before reading (a provider's webhook). Null when there is none.
    /// </summary>
    public static long? Limit(HttpRequest request) => request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;

    /// <summary>
    /// The raw body, at most <see cref="Limit"/>: webhooks need the bytes as sent to check their signature. Read where
    /// Kestrel already holds it (its pipe) and copied once; a buffer of the largest size rented per call was a 128 KiB
    /// array, on the large object heap, and the shared pool kept up to one per thread and 32 per core of them
    /// (docs/performance.md).
    /// </summary>
    public static async Task<(byte[]? Bytes, ApiError? Error)> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = Limit(request);
        if (request.ContentLength > limit)
        {
            return (null, ApiError.TooLarge(limit));
        }

        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                if (buffer.Length > limit)
                {
                    reader.AdvanceTo(buffer.End);
                    return (null, ApiError.TooLarge(limit));
                }

                if (result.IsCompleted)
                {
                    var bytes = buffer.ToArray();
                    reader.AdvanceTo(buffer.End);
                    return (bytes, null);
                }

                // Nothing consumed, all of it examined: the next read returns once more of the body has arrived.
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiError.TooLarge(limit) : ApiError.BadRequest("The request body could not be read."));
        }
    }

    /// <summary>Parses UTF-8 JSON that must be an object: 400 otherwise.</summary>
    public static (JsonElement Body, ApiError? Error) ParseObject(byte[] bytes)
    {
        // JSON must be UTF-8 throughout, also in the parts (unknown keys) that no field reader looks at.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return (default, ApiError.BadRequest("The request body is not valid UTF-8."));
        }

        try
        {
            // A byte order mark, which files saved by some editors start with, is allowed before JSON (RFC 8259, 8.1).
            using var document = JsonDocument.Parse(bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0), ParseOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (default, ApiError.BadRequest("The request body must be a JSON object."));
            }

            // A key escaped as half a UTF-16 surrogate pair ("\ud800") is valid JSON but no text: looking up any key of
            // its object would throw. Only a body with a \u escape can have one.
            return bytes.AsSpan().IndexOf("\\u"u8) >= 0 && !KeysAreText(document.RootElement)
                ? (default, ApiError.BadRequest("The request body has a key that is not valid text."))
                : (document.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (default, ApiError.BadRequest("The request body is not valid JSON."));
        }
    }

    private static bool KeysAreText(JsonElement element)
    {
        try
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                return element.ValueKind != JsonValueKind.Array || element.EnumerateArray().All(KeysAreText);
            }

            foreach (var property in element.EnumerateObject())
            {
                _ = property.Name; // decodes the key, and throws if it is no text
                if (!KeysAreText(property.Value))
                {
                    return false;
                }
            }

            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}
