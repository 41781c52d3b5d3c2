using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Api;

/// <summary>Bad input gets a clear 4xx JSON answer naming the problem: never a 5xx, never a stored request.</summary>
public sealed class MalformedInputTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Theory]
    [MemberData(nameof(Invalid422))]
    public async Task EachValidationRuleNamesItsField(string body, string field)
    {
        var instance = await App.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.False(json["success"]!.GetValue<bool>());
        Assert.Equal("The given data was invalid.", json["message"]!.GetValue<string>());
        Assert.Equal([field], json["errors"]!.AsObject().Select(e => e.Key));
        Assert.NotEmpty(json["errors"]![field]![0]!.GetValue<string>());
    }

    public static TheoryData<string, string> Invalid422 => new()
    {
        { """{"expires": 59}""", "expires" },
        { """{"expires": 86401}""", "expires" },
        { """{"expires": 1800.5}""", "expires" },
        { """{"expires": "1800.0"}""", "expires" },
        { """{"expires": 1e20}""", "expires" },
        { """{"expires": "soon"}""", "expires" },
        { """{"expires": true}""", "expires" },
        { """{"expires": [1800]}""", "expires" },
        { """{"expires": 1e400}""", "expires" },
        { """{"expires": 99999999999999999999999}""", "expires" },
        { """{"expires": -1800}""", "expires" },
        { $$"""{"name": "{{new string('n', 101)}}"}""", "name" },
        { """{"name": 42}""", "name" },
        { """{"name": {"first": "x"}}""", "name" },
        { """{"name": "\ud800"}""", "name" },
        { """{"name": "Acme\u0000"}""", "name" },
        { """{"name": "Acme\nShop"}""", "name" },
        { """{"message": {"failed": "Sorry\u0007"}}""", "message.failed" },
        { """{"chatId": "abc"}""", "chatId" },
        { """{"chatId": "12345"}""", "chatId" },
        { """{"chatId": "1234567890123456"}""", "chatId" },
        { """{"chatId": "120363025246125244@g.us"}""", "chatId" },
        { """{"chatId": 201063178738}""", "chatId" },
        { """{"chat_id": "status@broadcast"}""", "chat_id" },
        { """{"message": "hello"}""", "message" },
        { """{"message": {"prompt": "Code [here]"}}""", "message.prompt" },
        { """{"message": {"prompt": "Code ]"}}""", "message.prompt" },
        { $$$"""{"message": {"prompt": "{{{new string('p', 501)}}}"}}""", "message.prompt" },
        { """{"message": {"success": "no placeholder"}}""", "message.success" },
        { $$$"""{"message": {"success": "{link}{{{new string('s', 995)}}}"}}""", "message.success" },
        { """{"message": {"failed": 1}}""", "message.failed" },
        { $$$"""{"message": {"expired": "{{{new string('e', 1001)}}}"}}""", "message.expired" },
        { """{"callback": "https://x.example.com"}""", "callback" },
        { """{"callback": {"success": "http://x.example.com/cb"}}""", "callback.success" },
        { """{"callback": {"success": "/relative"}}""", "callback.success" },
        { """{"callback": {"success": "ftp://x.example.com/cb"}}""", "callback.success" },
        { """{"callback": {"failed": "https://127.0.0.1/cb"}}""", "callback.failed" },
        { """{"callback": {"failed": "https://10.0.0.1/cb"}}""", "callback.failed" },
        { """{"callback": {"failed": "https://169.254.169.254/latest/meta-data"}}""", "callback.failed" },
        { """{"callback": {"failed": "https://[::1]/cb"}}""", "callback.failed" },
        { """{"callback": {"failed": "https://localhost/cb"}}""", "callback.failed" },
        { """{"callback": {"failed": "https://192.168.1.1/cb"}}""", "callback.failed" },
        { """{"callback": {"success": "https://0.0.0.0/cb"}}""", "callback.success" },
        { $$$"""{"callback": {"success": "https://x.example.com/{{{new string('a', 2030)}}}"}}""", "callback.success" },
        { """{"redirect": "not a url"}""", "redirect" },
        { """{"redirect": "https://elsewhere.example.com/"}""", "redirect" },
        { """{"redirect": "javascript:alert(1)"}""", "redirect" },
    };

    [Fact]
    public async Task SeveralInvalidFieldsAreReportedTogether()
    {
        var instance = await App.CreateInstanceAsync();
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"),
            """{"expires": 5, "name": 42, "message": {"success": "x", "prompt": "[x]"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["expires", "message.prompt", "message.success", "name"], json["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Theory]
    [InlineData("""{"expires": null, "name": null, "chatId": null, "message": null, "callback": null, "redirect": null, "extra": {"a": [1, 2]}}""")]
    [InlineData("""{"expires": "", "name": "", "chatId": " ", "message": {"prompt": "", "success": "", "failed": " ", "expired": ""}, "callback": "", "redirect": ""}""")]
    [InlineData("""{"message": "", "callback": {"success": "", "failed": ""}, "language": ""}""")]
    public async Task NullAndEmptyOptionalFieldsMeanDefaultsAndUnknownFieldsAreIgnored(string body)
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == Guid.Parse(json["data"]!["uuid"]!.GetValue<string>())));
        Assert.Equal(("Acme", null, null, MessageTemplates.Success, null), (stored.Name, stored.ChatId, stored.Redirect, stored.SuccessMessage, stored.CallbackSuccess));
        Assert.Equal(TimeSpan.FromSeconds(1800), stored.ExpiresAt - stored.CreatedAt);
    }

    [Fact]
    public async Task WholeNumbersWrittenAsFloatsAreIntegers()
    {
        var instance = await App.CreateInstanceAsync();
        foreach (var (expires, seconds) in new[] { ("1800.0", 1800), ("1.2e3", 1200), ("600.000", 600) })
        {
            var (response, json) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), $$"""{"expires": {{expires}}}""");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == Guid.Parse(json["data"]!["uuid"]!.GetValue<string>())));
            Assert.Equal(TimeSpan.FromSeconds(seconds), stored.ExpiresAt - stored.CreatedAt);
        }
    }

    [Fact]
    public async Task ErrorsWriteTextAsItIs()
    {
        var instance = await App.CreateInstanceAsync();
        var response = await instance.Client().PostAsync(instance.Api("generate-link"), Json.Body("""{"chatId": "abc"}"""));

        // "+20 106 317 8738", not "\u002B20 106 317 8738", as docs/api.md shows it.
        Assert.Contains("such as 201063178738@c.us or +20 106 317 8738.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HundredsOfMalformedBodiesOnlyGet4xxJson()
    {
        var instance = await App.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var client = instance.Client();

        // As curl does: the server may refuse an oversized body before it is uploaded. Without it, a client still
        // sending a large body can see the connection close before it reads the 413.
        client.DefaultRequestHeaders.ExpectContinue = true;
        var cases = MalformedBodies().ToList();
        Assert.True(cases.Count >= 100, $"only {cases.Count} cases");

        foreach (var (description, content) in cases)
        {
            var response = await client.PostAsync(instance.Api("generate-link"), content);
            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"{description}: {status}");
            var json = await response.ReadObjectAsync();
            Assert.False(json["success"]!.GetValue<bool>(), description);
            Assert.False(string.IsNullOrEmpty(json["message"]?.GetValue<string>()), description);
        }

        Assert.Equal(0, await App.WithDbAsync(db => db.OtpRequests.CountAsync(r => r.InstanceId == instance.Id)));
    }

    [Fact]
    public async Task StatusCodesForBodyLevelProblems()
    {
        var instance = await App.CreateInstanceAsync();
        var client = instance.Client();
        client.DefaultRequestHeaders.ExpectContinue = true;
        async Task<HttpStatusCode> Post(HttpContent content) => (await client.PostAsync(instance.Api("generate-link"), content)).StatusCode;

        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("{\"expires\": ")));
        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("[]")));
        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("\"text\"")));

        // Half a surrogate pair is valid JSON in a key too, but no text: refused wherever the key is.
        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("""{"\ud800": 1}""")));
        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("""{"message": {"x\udc00": "y"}}""")));
        Assert.Equal(HttpStatusCode.BadRequest, await Post(Json.Body("""{"extra": [{"\ud83d": 1}]}""")));
        Assert.Equal(HttpStatusCode.OK, await Post(Json.Body("""{"name": "Caf\u00e9 \ud83d\ude00", "extra": {"\u00e9": [1]}}""")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await Post(Json.Body($$"""{"name": "{{new string('x', 70_000)}}"}""")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await Post(new StringContent("{}", Encoding.UTF8, "text/plain")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await Post(new FormUrlEncodedContent([new("expires", "60")])));
        Assert.Equal(HttpStatusCode.OK, await Post(new StringContent("{}", Encoding.UTF8, "application/json")));
        var withByteOrderMark = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. "{}"u8]);
        withByteOrderMark.Headers.ContentType = new("application/json");
        Assert.Equal(HttpStatusCode.OK, await Post(withByteOrderMark));
        Assert.Equal(HttpStatusCode.OK, await Post(new StringContent("{}", Encoding.UTF8, "application/vnd.api+json")));
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimitIs413()
    {
        var instance = await App.CreateInstanceAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"name": "{{new string('x', 100_000)}}"}""")));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, instance.Api("generate-link")) { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await instance.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task TheBodyLimitIsConfigurableAndNamedInThe413()
    {
        await using var app = new PasslineApp(fixture.Database, new Dictionary<string, string?> { ["Passline:Limits:RequestBodyBytes"] = "2048" });
        var instance = await app.CreateInstanceAsync();
        var client = instance.Client();
        client.DefaultRequestHeaders.ExpectContinue = true;

        var small = await client.PostAsync(instance.Api("generate-link"), Json.Body($$"""{"name": "{{new string('x', 100)}}"}"""));
        var large = await client.PostAsync(instance.Api("generate-link"), Json.Body($$"""{"name": "{{new string('x', 3000)}}"}"""));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal("The request body must not be larger than 2 KiB.", (await large.ReadObjectAsync())["message"]!.GetValue<string>());

        // The default, on the suite's app: 64 KiB.
        var defaultInstance = await App.CreateInstanceAsync();
        var defaultClient = defaultInstance.Client();
        defaultClient.DefaultRequestHeaders.ExpectContinue = true;
        var overDefault = await defaultClient.PostAsync(defaultInstance.Api("generate-link"), Json.Body($$"""{"name": "{{new string('x', 70_000)}}"}"""));
        Assert.Equal("The request body must not be larger than 64 KiB.", (await overDefault.ReadObjectAsync())["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownRouteAndWrongMethodAnswerJson()
    {
        var instance = await App.CreateInstanceAsync();
        var notFound = await instance.Client().GetAsync("/api/otp/v2/nothing-here");
        var wrongMethod = await instance.Client().GetAsync(instance.Api("generate-link"));

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.False((await notFound.ReadObjectAsync())["success"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.False((await wrongMethod.ReadObjectAsync())["success"]!.GetValue<bool>());
    }

    private static IEnumerable<(string, HttpContent)> MalformedBodies()
    {
        var valid = """{"expires": 1800, "name": "Acme", "chatId": "201063178738", "message": {"prompt": "Log in to {name}", "success": "Go: {link}"}, "callback": {"success": "https://cb.example.com/ok"}}""";

        // Every truncation of a valid body.
        for (var i = 1; i < valid.Length; i += 4)
        {
            yield return ($"truncated at {i}", Json.Body(valid[..i]));
        }

        // Wrong types for every field.
        string[] wrongValues = ["true", "false", "[]", "{}", "\"\"", "-1", "0", "1e309", "123456789012345678901234567890", "\"\\u0000\"", "[null]", "{\"a\":1}"];
        foreach (var field in new[] { "expires", "name", "chatId", "message", "callback", "redirect" })
        {
            foreach (var value in wrongValues)
            {
                if (IsAcceptable(field, value))
                {
                    continue;
                }

                yield return ($"{field}={value}", Json.Body($$"""{"{{field}}": {{value}}}"""));
            }
        }

        foreach (var field in new[] { "prompt", "success", "failed", "expired" })
        {
            foreach (var value in new[] { "1", "true", "[]", "{}" })
            {
                yield return ($"message.{field}={value}", Json.Body($$$"""{"message": {"{{{field}}}": {{{value}}}}}"""));
            }
        }

        // Deep nesting, beyond any sane depth.
        yield return ("deep array", Json.Body(new string('[', 10_000) + new string(']', 10_000)));
        yield return ("deep object", Json.Body(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)));
        yield return ("deep in message", Json.Body("{\"message\": " + new string('[', 500) + new string(']', 500) + "}"));

        // Not JSON at all, or not an object.
        foreach (var text in new[] { "null", "1", "\"str\"", "[1,2]", "true", "{", "}", "{'a': 1}", "{a: 1}", "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": 01}", "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": undefined}", "<xml/>", "expires=60", "{\"a\": \"\\x\"}", "{\"a\": \"unterminated}" })
        {
            yield return ($"text {text}", Json.Body(text));
        }

        // Invalid UTF-8.
        foreach (var bytes in new byte[][] { [0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], [0xFF, 0xFE, 0x7B, 0x7D], [0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D], [0xC0, 0xAF] })
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new("application/json");
            yield return ($"bytes {Convert.ToHexString(bytes)}", content);
        }

        // Wrong content types.
        foreach (var type in new[] { "text/plain", "text/html", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "image/png", "application/jsonp" })
        {
            yield return ($"content type {type}", new StringContent("{}", Encoding.UTF8, type.Split(';')[0]));
        }

        // Too large.
        yield return ("65 KiB", Json.Body($$"""{"name": "{{new string('x', 65 * 1024)}}"}"""));
        yield return ("1 MiB of whitespace", Json.Body("{" + new string(' ', 1024 * 1024) + "}"));
    }

    private static bool IsAcceptable(string field, string value) => (field, value) switch
    {
        (_, "[null]") or (_, "{\"a\":1}") when field is "message" or "callback" => value == "{\"a\":1}",
        ("message" or "callback", "{}" or "[]") => true,
        (_, "\"\"") => true, // an empty string means the field was not given
        _ => false,
    };
}
