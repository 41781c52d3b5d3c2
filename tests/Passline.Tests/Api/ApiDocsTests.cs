using System.Net;
using System.Text.Json.Nodes;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Api;

/// <summary>The OpenAPI document and the reference page (SPEC 8 "Docs"); that the page loads nothing from elsewhere is checked in a browser.</summary>
public sealed class ApiDocsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private async Task<JsonObject> DocumentAsync()
    {
        var response = await App.Client().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadObjectAsync())!;
    }

    /// <summary>The schema a <c>$ref</c> (or a nullable <c>oneOf: [null, $ref]</c>) points to.</summary>
    private static JsonNode Resolve(JsonObject document, JsonNode schema)
    {
        var reference = schema["$ref"] ?? schema["oneOf"]?.AsArray().Select(s => s?["$ref"]).FirstOrDefault(r => r is not null);
        return reference is null ? schema : document["components"]!["schemas"]![reference.GetValue<string>().Split('/')[^1]]!;
    }

    [Fact]
    public async Task GenerateLinkIsDescribedWithItsRequestResponseAndErrors()
    {
        var document = await DocumentAsync();
        var operation = document["paths"]!["/api/otp/v2/{instance}/generate-link"]!["post"]!;

        var request = operation["requestBody"]!["content"]!["application/json"]!;
        var body = Resolve(document, request["schema"]!);
        var fields = body["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["expires", "name", "chatId", "message", "callback", "redirect", "language"], fields);
        Assert.Null(body["required"]);
        Assert.Equal(86400, body["properties"]!["expires"]!["maximum"]!.GetValue<int>());
        Assert.Equal("Give me link to login at {name}", request["example"]!["message"]!["prompt"]!.GetValue<string>());

        var ok = operation["responses"]!["200"]!["content"]!["application/json"]!;
        var data = Resolve(document, Resolve(document, ok["schema"]!)["properties"]!["data"]!);
        Assert.Contains("whatsapp_link", data["properties"]!.AsObject().Select(p => p.Key));
        Assert.Contains("link_url", data["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal("RDYFQUBX", ok["example"]!["data"]!["code"]!.GetValue<string>());

        foreach (var status in new[] { "400", "401", "403", "404", "413", "415", "422", "429" })
        {
            var error = operation["responses"]![status]!["content"]!["application/json"]!;
            Assert.Equal("#/components/schemas/ErrorBody", error["schema"]!["$ref"]!.GetValue<string>());
            Assert.False(error["example"]!["success"]!.GetValue<bool>());
        }

        Assert.Equal("Unauthenticated.", operation["responses"]!["401"]!["content"]!["application/json"]!["example"]!["message"]!.GetValue<string>());
        Assert.True(operation["security"]![0]!.AsObject().ContainsKey("bearer"));
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task EveryApiCallIsDocumentedAndThePagesAreNot()
    {
        var document = await DocumentAsync();
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();

        Assert.Contains("/api/otp/v2/{instance}/requests/{uuid}", paths);
        Assert.Contains("/api/otp/v2/{instance}/requests/{uuid}/cancel", paths);
        Assert.Contains("/simulator/{instance}/inbound", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/l/", StringComparison.Ordinal) || p.StartsWith("/v/", StringComparison.Ordinal) || p.StartsWith("/demo", StringComparison.Ordinal));

        var exchange = document["paths"]!["/api/otp/v2/{instance}/exchange"]!["post"]!;
        Assert.Equal("token", Resolve(document, exchange["requestBody"]!["content"]!["application/json"]!["schema"]!)["required"]![0]!.GetValue<string>());
        Assert.NotNull(exchange["responses"]!["410"]);
        Assert.Null(document["paths"]!["/webhooks/waha/{instance}"]!["post"]!["security"]);
    }

    [Fact]
    public async Task DocumentingTheBodiesChangesNoAnswer()
    {
        var instance = await App.CreateInstanceAsync();
        static StringContent Text() => new("expires=60", System.Text.Encoding.UTF8, "text/plain");

        var anonymous = await App.Client().PostAsync(instance.Api("generate-link"), Text());
        var wrongType = await instance.Client().PostAsync(instance.Api("generate-link"), Text());
        var empty = await instance.Client().PostAsync(instance.Api("generate-link"), null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode); // authentication comes first
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal("The request body must be JSON (Content-Type: application/json).", (await wrongType.ReadObjectAsync())["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
    }

    [Fact]
    public async Task ReferencePageIsServedFromThePackageUnderAStrictPolicy()
    {
        var client = App.Client();
        var page = await client.GetAsync("/docs/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Passline API reference", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("http://", html);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/docs/scalar.js")).StatusCode);
    }
}
