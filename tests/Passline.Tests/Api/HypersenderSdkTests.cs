using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Api;

/// <summary>
/// Hypersender's own Laravel SDK (<c>hypersender/hypersender-laravel</c>) as it really sends, replayed byte for byte
/// over a socket: <c>AbstractClient::request</c> sets <c>Authorization</c>, <c>User-Agent: Hypersender Laravel SDK</c>,
/// <c>Accept</c> and <c>Content-Type</c>; <c>OtpClient</c> posts every argument, and PHP's <c>json_encode</c> writes an
/// empty array as <c>[]</c> and escapes slashes. Its first release also put <c>?instance_id=</c> on every call.
/// </summary>
public sealed class HypersenderSdkTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    /// <summary>The request as Guzzle's cURL handler writes it for <c>Http::withHeaders(...)->asJson()->post(...)</c>.</summary>
    private static byte[] Request(string path, string host, string token, string json) => Encoding.UTF8.GetBytes(
        $"POST {path} HTTP/1.1\r\n" +
        $"Host: {host}\r\n" +
        $"Authorization: Bearer {token}\r\n" +
        "User-Agent: Hypersender Laravel SDK\r\n" +
        "Accept: application/json\r\n" +
        "Content-Type: application/json\r\n" +
        $"Content-Length: {Encoding.UTF8.GetByteCount(json)}\r\n" +
        "\r\n" +
        json);

    /// <summary>Sends the bytes on a fresh connection; returns the status code and the JSON body of the answer.</summary>
    private async Task<(int Status, JsonObject Body)> ReplayAsync(byte[] request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(App.BaseAddress.Host, App.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(request);

        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            var text = Encoding.UTF8.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var head = text[..end];
            var body = text[(end + 4)..];
            var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            string? complete = length is not null
                ? (Encoding.UTF8.GetByteCount(body) >= int.Parse(length["Content-Length:".Length..].Trim()) ? body : null)
                : body.EndsWith("0\r\n\r\n", StringComparison.Ordinal) ? Dechunk(body) : null;
            if (complete is not null)
            {
                return (int.Parse(head.Split(' ')[1]), JsonNode.Parse(complete)!.AsObject());
            }
        }

        throw new InvalidOperationException("the connection closed before a whole answer came");
    }

    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        var rest = body;
        while (true)
        {
            var line = rest.IndexOf("\r\n", StringComparison.Ordinal);
            var size = Convert.ToInt32(rest[..line], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(rest.AsSpan(line + 2, size));
            rest = rest[(line + 2 + size + 2)..];
        }
    }

    [Fact]
    public async Task GenerateLinkWithTheDefaultMessagesAsPhpSendsThemIsAccepted()
    {
        var instance = await App.CreateInstanceAsync(name: "7enkesh");
        var host = $"{App.BaseAddress.Host}:{App.BaseAddress.Port}";

        // OtpClient::generateLink('20123456789@c.us', 1800, '7enkesh', [], []): PHP's empty arrays are JSON arrays.
        var (status, body) = await ReplayAsync(Request($"/api/otp/v2/{instance.Id}/generate-link", host, instance.Token,
            """{"chatId":"20123456789@c.us","expires":1800,"name":"7enkesh","message":[],"callback":[]}"""));

        Assert.Equal(200, status);
        var data = body["data"]!;
        Assert.Equal(("20123456789@c.us", "pending", "link"), (data["chat_id"]!.GetValue<string>(), data["status"]!.GetValue<string>(), data["otp_type"]!.GetValue<string>()));
        Assert.StartsWith("https://wa.me/201553730661?text=Give+me+link+to+login+at+7enkesh+%5B", data["whatsapp_link"]!.GetValue<string>());
    }

    [Fact]
    public async Task GenerateLinkAsTheSdkTestSendsItWithEscapedSlashesAndTheFirstReleasesQueryParameterIsAccepted()
    {
        var instance = await App.CreateInstanceAsync(name: "7enkesh");
        var host = $"{App.BaseAddress.Host}:{App.BaseAddress.Port}";

        var (status, body) = await ReplayAsync(Request($"/api/otp/v2/{instance.Id}/generate-link?instance_id={instance.Id}", host, instance.Token,
            """{"chatId":"20123456789@c.us","expires":3600,"name":"7enkesh","message":{"prompt":"Give me link to login at 7enkesh","success":"Here is your login link: {link}","failed":"Login failed, please try again later.","expired":"The link has been expired, please try another one."},"callback":{"success":"https:\/\/yourdomain.com\/callback\/success","failed":"https:\/\/yourdomain.com\/callback\/failed"}}"""));

        Assert.Equal(200, status);
        var uuid = Guid.Parse(body["data"]!["uuid"]!.GetValue<string>());
        var stored = await LinkFlow.RequestAsync(App, uuid);
        Assert.Equal(("https://yourdomain.com/callback/success", "https://yourdomain.com/callback/failed"), (stored.CallbackSuccess, stored.CallbackFailed));
        Assert.Equal(3600, (stored.ExpiresAt - stored.CreatedAt).TotalSeconds);
    }

    [Fact]
    public async Task RequestAndValidateCodeAsTheSdkSendsThemAreAccepted()
    {
        var instance = await App.CreateInstanceAsync(name: "hypersender");
        var host = $"{App.BaseAddress.Host}:{App.BaseAddress.Port}";

        var (requested, requestBody) = await ReplayAsync(Request($"/api/otp/v2/{instance.Id}/request-code", host, instance.Token,
            """{"chatId":"20123456789@c.us","length":6,"useNumber":true,"useLetter":false,"allCapital":false,"name":"hypersender","expires":1800}"""));
        Assert.Equal(200, requested);
        var code = requestBody["data"]!["code"]!.GetValue<string>();

        // OtpClient::validateCode(string $chatId, string $code)
        var (validated, validateBody) = await ReplayAsync(Request($"/api/otp/v2/{instance.Id}/validate-code", host, instance.Token,
            $$"""{"chatId":"20123456789@c.us","code":"{{code}}"}"""));
        Assert.Equal(200, validated);
        Assert.Equal("validated", validateBody["data"]!["status"]!.GetValue<string>());
    }
}
