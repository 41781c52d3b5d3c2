using System.Text.Json;
using Passline.Api;
using Passline.Instances;
using Passline.Requests;

namespace Passline.Codes;

/// <summary>The body of <c>POST /request-code</c>, validated per SPEC 2.3.</summary>
public sealed record RequestCodeInput(string ChatId, int Length, string Alphabet, string Name, int Expires, string? CallbackSuccess, string? CallbackFailed, string? Language)
{
    private const string Digits = "0123456789";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public static (RequestCodeInput? Input, ApiError? Error) Read(JsonElement body, Instance instance, bool allowPrivateNetworks)
    {
        var fields = new FieldReader();
        var chatId = ReadChatId(fields, body, instance);
        var length = fields.Integer(body, "length", "length", 4, 10) ?? 6;
        var useNumber = fields.Boolean(body, "useNumber", "useNumber") ?? true;
        var useLetter = fields.Boolean(body, "useLetter", "useLetter") ?? false;
        var allCapital = fields.Boolean(body, "allCapital", "allCapital") ?? false;
        var name = fields.String(body, "name", "name", 1, 100) ?? instance.Name;
        var expires = fields.Integer(body, "expires", "expires", 60, 86400) ?? 1800;
        var language = Links.GenerateLinkInput.ReadLanguage(fields, body);

        // An extension: the callbacks of generate-link, so that an application learns when a code could not be delivered.
        var (callbackSuccess, callbackFailed) = Links.GenerateLinkInput.Callbacks(fields, body, allowPrivateNetworks);
        if (!useNumber && !useLetter)
        {
            fields.Fail("useNumber", "At least one of useNumber and useLetter must be true.");
        }

        if (fields.HasErrors)
        {
            return (null, fields.ToError());
        }

        var alphabet = (useNumber ? Digits : "") + (useLetter ? (allCapital ? Upper : Lower) : "");
        return (new RequestCodeInput(chatId!, length, alphabet, name, expires, callbackSuccess, callbackFailed, language), null);
    }

    /// <summary>
    /// The required <c>chatId</c> (or <c>chat_id</c>), normalised; a phone number or a WhatsApp user id, one that the
    /// <paramref name="sendingFrom"/> instance's provider can send to when a message goes to it.
    /// </summary>
    public static string? ReadChatId(FieldReader fields, JsonElement body, Instance? sendingFrom = null)
    {
        if (FieldReader.Find(body, "chatId", "chat_id") is not var (value, field))
        {
            fields.Fail("chatId", "The chatId field is required.");
            return null;
        }

        var chatId = FieldReader.TextOf(value) is { } text ? Requests.ChatId.Normalize(text) : null;
        if (chatId is null)
        {
            fields.Fail(field, $"The {field} must be a WhatsApp user's chat id or phone number, such as 201063178738@c.us or +20 106 317 8738.");
        }
        else if (sendingFrom is not null && Providers.Unreachable(sendingFrom, chatId, field) is { } unreachable)
        {
            fields.Fail(field, unreachable);
            return null;
        }

        return chatId;
    }
}
