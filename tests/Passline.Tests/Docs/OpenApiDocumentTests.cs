using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Docs;

/// <summary>
/// <c>docs/openapi.json</c> is the document the code serves at <c>/openapi/v1.json</c>, committed so that it can be read
/// and diffed without running Passline. <c>scripts/update-openapi</c> rewrites it (this test with
/// <c>PASSLINE_UPDATE_OPENAPI=1</c>).
/// </summary>
public sealed class OpenApiDocumentTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task CommittedOpenApiDocumentIsTheOneTheCodeServes()
    {
        var response = await fixture.App.Client().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = Normalise(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
        var path = Repository.PathOf("docs", "openapi.json");

        if (Environment.GetEnvironmentVariable("PASSLINE_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served.ToJsonString(Indented) + "\n");
        }

        Assert.True(File.Exists(path), "docs/openapi.json is missing: run scripts/update-openapi.");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(served, committed),
            "docs/openapi.json differs from the document the code serves at /openapi/v1.json: run scripts/update-openapi and commit the result.");
    }

    /// <summary>Without <c>servers</c>: it names the address this test server happened to listen on.</summary>
    private static JsonObject Normalise(JsonObject document)
    {
        document.Remove("servers");
        return document;
    }
}
