using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Passline.Links;
using Passline.Requests;

namespace Passline.Tests.Infrastructure;

/// <summary>The steps of the link flow as an application, a phone and a browser take them.</summary>
public static partial class LinkFlow
{
    public sealed record Created(Guid Uuid, string Code);

    /// <summary>generate-link as an application's backend calls it; the body as JSON text, so tests can send any shape.</summary>
    public static async Task<Created> GenerateAsync(TestInstance instance, string body = "{}")
    {
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new Created(Guid.Parse(json["data"]!["uuid"]!.GetValue<string>()), json["data"]!["code"]!.GetValue<string>());
    }

    /// <summary>The user sends <paramref name="text"/> from <paramref name="from"/> on the simulator.</summary>
    public static async Task<string> SimulatorSendAsync(TestInstance instance, string text, string from = "201063178738", string? id = null)
    {
        var body = new JsonObject { ["from"] = from, ["text"] = text, ["id"] = id }.ToJsonString();
        var (response, json) = await instance.Client().PostJsonAsync($"/simulator/{instance.Id}/inbound", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return json["data"]!["outcome"]!.GetValue<string>();
    }

    /// <summary>Waits until the simulator's outbox for <paramref name="chatId"/> holds <paramref name="count"/> messages.</summary>
    public static async Task<List<string>> SimulatorOutboxAsync(TestInstance instance, string chatId = "201063178738@c.us", int count = 1)
    {
        List<string> texts = [];
        await Eventually.TrueAsync(async () =>
        {
            var messages = await instance.Client().GetFromJsonAsync<JsonArray>($"/simulator/{instance.Id}/outbox?chat_id={Uri.EscapeDataString(chatId)}");
            texts = [.. messages!.Select(m => m!["text"]!.GetValue<string>())];
            return texts.Count >= count;
        }, $"{count} message(s) to {chatId}");
        return texts;
    }

    public static string VerificationPath(string text)
    {
        var match = VerificationLink().Match(text);
        Assert.True(match.Success, $"no verification link in: {text}");
        return new Uri(match.Value).AbsolutePath;
    }

    /// <summary>Opens the verification page; returns it, its text (HTML-decoded) and the form's anti-forgery field.</summary>
    public static async Task<(HttpResponseMessage Response, string Html, KeyValuePair<string, string>? Form)> OpenAsync(HttpClient browser, string path)
    {
        var response = await browser.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        var field = AntiforgeryField().Match(html);
        return (response, WebUtility.HtmlDecode(html), field.Success ? new(field.Groups[1].Value, WebUtility.HtmlDecode(field.Groups[2].Value)) : null);
    }

    /// <summary>Opens the page and presses a button (<c>verify</c> or <c>decline</c>) in the same browser.</summary>
    public static async Task<HttpResponseMessage> PressAsync(HttpClient browser, string path, string action = "verify")
    {
        var (_, html, form) = await OpenAsync(browser, path);
        Assert.NotNull(form);
        return await browser.PostAsync(path, new FormUrlEncodedContent([form.Value, DeviceField(html), new("action", action)]));
    }

    /// <summary>The verification form's <c>device</c> field: which device binding the page showed (SPEC 4.1).</summary>
    public static KeyValuePair<string, string> DeviceField(string html)
    {
        var field = DeviceValue().Match(html);
        Assert.True(field.Success, "no device field in the verification form");
        return new("device", field.Groups[1].Value);
    }

    public static Task<OtpRequest> RequestAsync(PasslineApp app, Guid uuid) =>
        app.WithDbAsync(db => db.OtpRequests.AsNoTracking().SingleAsync(r => r.Id == uuid));

    [GeneratedRegex(@"https?://[^\s]+/v/[A-Za-z0-9_-]+")]
    private static partial Regex VerificationLink();

    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]+)"\s*/?>""")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("""name="device" value="([^"]+)""")]
    private static partial Regex DeviceValue();
}
