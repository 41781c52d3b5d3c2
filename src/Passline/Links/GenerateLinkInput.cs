using System.Text.Json;
using Passline.Api;
using Passline.Callbacks;
using Passline.Channels;
using Passline.Instances;
using Passline.Localization;
using Passline.Requests;

namespace Passline.Links;

/// <summary>The body of <c>POST /generate-link</c>, validated field by field per SPEC 2.2.</summary>
public sealed record GenerateLinkInput(
    int Expires,
    string Name,
    string? ChatId,
    string Prompt,
    string Success,
    string Failed,
    string Expired,
    string? CallbackSuccess,
    string? CallbackFailed,
    string? Redirect,
    string? Language)
{
    public const int DefaultExpires = 1800;

    public static (GenerateLinkInput? Input, ApiError? Error) Read(
        JsonElement body, Instance instance, bool allowPrivateNetworks, IReadOnlySet<System.Net.IPAddress>? ownAddresses = null)
    {
        var fields = new FieldReader();
        var expires = fields.Integer(body, "expires", "expires", 60, 86400) ?? DefaultExpires;
        var name = fields.String(body, "name", "name", 1, 100) ?? instance.Name;

        string? chatId = null;
        // A PHP caller of Hypersender's SDK must pass a string: an empty one means "no binding".
        if (FieldReader.Find(body, "chatId", "chat_id") is var (chatValue, chatField))
        {
            chatId = FieldReader.TextOf(chatValue) is { } text ? Requests.ChatId.Normalize(text) : null;
            if (chatId is null)
            {
                fields.Fail(chatField, $"The {chatField} must be a WhatsApp user's chat id or phone number, such as 201063178738@c.us or +20 106 317 8738.");
            }
            else if (Providers.Unreachable(instance, chatId, chatField) is { } unreachable)
            {
                // No message from the Cloud API ever comes from an @lid: the request could never be completed.
                fields.Fail(chatField, unreachable);
            }
        }

        var language = ReadLanguage(fields, body);
        string? prompt = null, success = null, failed = null, expired = null;
        if (fields.Object(body, "message", "message") is { } message)
        {
            prompt = fields.String(message, "prompt", "message.prompt", 1, 500);
            if (prompt is not null && prompt.AsSpan().IndexOfAny('[', ']') >= 0)
            {
                fields.Fail("message.prompt", "The message.prompt must not contain [ or ].");
            }

            success = fields.String(message, "success", "message.success", 1, 1000, multiline: true);
            if (success is not null && !success.Contains("{link}", StringComparison.Ordinal))
            {
                fields.Fail("message.success", "The message.success must contain {link}.");
            }

            failed = fields.String(message, "failed", "message.failed", 1, 1000, multiline: true);
            expired = fields.String(message, "expired", "message.expired", 1, 1000, multiline: true);
        }

        var (callbackSuccess, callbackFailed) = Callbacks(fields, body, allowPrivateNetworks, ownAddresses);

        var redirect = fields.String(body, "redirect", "redirect", 1, NetworkGuard.MaxUrlLength);
        if (redirect is not null)
        {
            var origin = InstanceAdmin.Origin(redirect);
            if (origin is null)
            {
                fields.Fail("redirect", "The redirect must be an absolute http or https URL.");
            }
            else if (!instance.RedirectOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
            {
                fields.Fail("redirect", $"The redirect origin {origin} is not among this instance's allowed redirect origins.");
            }
        }

        if (fields.HasErrors)
        {
            return (null, fields.ToError());
        }

        var defaults = MessageTemplates.For(language ?? instance.Language);
        return (new GenerateLinkInput(
            expires, name, chatId,
            prompt ?? defaults.Prompt, success ?? defaults.Success,
            failed ?? defaults.Failed, expired ?? defaults.Expired,
            callbackSuccess, callbackFailed, redirect, language), null);
    }

    /// <summary>
    /// The optional <c>language</c> (SPEC 2.2), as the supported tag it names (<c>pt-br</c> and <c>pt</c> are <c>pt-BR</c>,
    /// <c>es-MX</c> is <c>es</c>); anything else is refused with 422, naming the supported ones.
    /// </summary>
    public static string? ReadLanguage(FieldReader fields, JsonElement body)
    {
        var tag = fields.String(body, "language", "language", 1, 35);
        if (tag is null)
        {
            return null;
        }

        var language = Languages.Normalize(tag);
        if (language is null)
        {
            fields.Fail("language", $"The language must be one of the supported languages: {string.Join(", ", Languages.Supported)}.");
        }

        return language;
    }

    /// <summary><c>callback.success</c> and <c>callback.failed</c> (SPEC 2.2, 7); also read by <c>request-code</c>.</summary>
    public static (string? Success, string? Failed) Callbacks(
        FieldReader fields, JsonElement body, bool allowPrivateNetworks, IReadOnlySet<System.Net.IPAddress>? ownAddresses = null) =>
        fields.Object(body, "callback", "callback") is { } callback
            ? (CallbackUrl(fields, callback, "success", allowPrivateNetworks, ownAddresses), CallbackUrl(fields, callback, "failed", allowPrivateNetworks, ownAddresses))
            : (null, null);

    private static string? CallbackUrl(
        FieldReader fields, JsonElement callback, string name, bool allowPrivateNetworks, IReadOnlySet<System.Net.IPAddress>? ownAddresses)
    {
        var path = "callback." + name;
        var url = fields.String(callback, name, path, 1, NetworkGuard.MaxUrlLength);
        if (url is not null && NetworkGuard.CheckUrl(url, allowPrivateNetworks, ownAddresses) is { } problem)
        {
            fields.Fail(path, $"The {path} {problem}");
            return null;
        }

        return url;
    }
}
