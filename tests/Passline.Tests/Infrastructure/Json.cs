using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Passline.Tests.Infrastructure;

public static class Json
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Body(object value) => Body(JsonSerializer.Serialize(value));

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task<(HttpResponseMessage Response, JsonObject Body)> PostJsonAsync(this HttpClient client, string path, string json)
    {
        var response = await client.PostAsync(path, Body(json));
        return (response, await response.ReadObjectAsync());
    }
}
