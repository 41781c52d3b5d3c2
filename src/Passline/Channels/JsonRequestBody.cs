using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Passline.Channels;

/// <summary>
/// A JSON request body serialised before it is sent, so that the request carries a <c>Content-Length</c> (SPEC 5):
/// some gateways and proxies refuse chunked bodies, which <c>JsonContent</c> would send.
/// </summary>
public static class JsonRequestBody
{
    public static ByteArrayContent Of(JsonNode body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}
