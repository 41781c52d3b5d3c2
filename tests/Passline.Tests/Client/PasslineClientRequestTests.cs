using Passline.Client;

namespace Passline.Tests.Client;

/// <summary>What the client puts on the wire, and how it reads the answers, against a loopback server.</summary>
public sealed class PasslineClientRequestTests
{
    private const string Token = "pl_AIakTfealUteJQEPOi8iQMBearENpznJUlkDG82W6xg";
    private static readonly Guid Instance = Guid.Parse("01a21399-819d-729f-9218-7823f78c6928");
    private static readonly Guid Uuid = Guid.Parse("a0b5e14e-95da-4bd4-9e2a-071661244bef");

    private static PasslineClient ClientFor(ScriptedServer server, HttpClient? http = null) =>
        new(http ?? new HttpClient { BaseAddress = server.BaseAddress }, Instance, Token);

    private static DateTimeOffset Utc(int hour, int minute, int second) => new(2025, 12, 29, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public async Task GenerateLinkSendsBearerTokenAndHypersenderJsonAndReadsTheAnswer()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "OTP link request created successfully",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "code": "RDYFQUBX", "chat_id": null,
                      "status": "pending", "otp_type": "link",
                      "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00",
                      "whatsapp_link": "https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5BRDYFQUBX%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
                      "link_url": "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef"}}
            """));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var link = await ClientFor(server, http).GenerateLinkAsync(new GenerateLinkRequest
        {
            Expires = 1800,
            Name = "Hypersender",
            ChatId = "20123456789@c.us",
            Message = new LinkMessages { Prompt = "Give me link to login at {name}", Success = "Here is your login link: {link}" },
            Callback = new LinkCallbacks { Success = "https://yourdomain.com/callback/success" },
            Redirect = "https://yourdomain.com/login/done",
        });

        var received = Assert.Single(server.Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal($"/api/otp/v2/{Instance}/generate-link", received.PathAndQuery);
        Assert.Equal($"Bearer {Token}", received.Authorization);
        Assert.Equal("application/json", received.ContentType);
        Assert.Equal(
            """{"expires":1800,"name":"Hypersender","chatId":"20123456789@c.us","message":{"prompt":"Give me link to login at {name}","success":"Here is your login link: {link}"},"callback":{"success":"https://yourdomain.com/callback/success"},"redirect":"https://yourdomain.com/login/done"}""",
            received.Body);
        Assert.Null(http.DefaultRequestHeaders.Authorization);

        Assert.Equal(new GeneratedLink(
            Uuid, "RDYFQUBX", null, OtpStatus.Pending, "link", Utc(18, 14, 55), Utc(17, 44, 55),
            "https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5BRDYFQUBX%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
            "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef"), link);
        Assert.Equal(TimeSpan.Zero, link.ExpiresAt.Offset);
    }

    [Fact]
    public async Task GenerateLinkWithoutFieldsSendsAnEmptyObject()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, GeneratedLinkAnswer));

        await ClientFor(server).GenerateLinkAsync();
        await ClientFor(server).GenerateLinkAsync(new GenerateLinkRequest { Message = new LinkMessages() });

        Assert.Equal(["{}", """{"message":{}}"""], server.Received.Select(r => r.Body));
    }

    [Fact]
    public async Task RequestCodeSendsHypersenderFieldNames()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "OTP code generated and message queued successfully",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "chat_id": "20123456789@c.us", "code": "K7P2QX9A",
                      "status": "pending", "otp_type": "code",
                      "expires_at": "2025-12-29T17:54:55+00:00", "created_at": "2025-12-29T17:44:55+00:00"}}
            """));

        var code = await ClientFor(server).RequestCodeAsync(new RequestCodeRequest
        {
            ChatId = "20123456789@c.us",
            Length = 8,
            UseNumber = true,
            UseLetter = true,
            AllCapital = true,
            Name = "Acme",
            Expires = 600,
        });
        await ClientFor(server).RequestCodeAsync(new RequestCodeRequest { ChatId = "20123456789@c.us" });

        Assert.Equal(
            [
                """{"chatId":"20123456789@c.us","length":8,"useNumber":true,"useLetter":true,"allCapital":true,"name":"Acme","expires":600}""",
                """{"chatId":"20123456789@c.us"}""",
            ],
            server.Received.Select(r => r.Body));
        Assert.All(server.Received, r => Assert.Equal($"/api/otp/v2/{Instance}/request-code", r.PathAndQuery));
        Assert.Equal(new RequestedCode(Uuid, "20123456789@c.us", "K7P2QX9A", OtpStatus.Pending, "code", Utc(17, 54, 55), Utc(17, 44, 55)), code);
    }

    [Fact]
    public async Task ValidateCodeSendsChatIdAndCode()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "OTP code validated successfully",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "chat_id": "20123456789@c.us", "status": "validated",
                      "validated_at": "2025-12-29T17:46:10+00:00"}}
            """));

        var validated = await ClientFor(server).ValidateCodeAsync("20123456789@c.us", "k7p2qx");

        var received = Assert.Single(server.Received);
        Assert.Equal($"/api/otp/v2/{Instance}/validate-code", received.PathAndQuery);
        Assert.Equal("""{"chatId":"20123456789@c.us","code":"k7p2qx"}""", received.Body);
        Assert.Equal(new ValidatedCode(Uuid, "20123456789@c.us", OtpStatus.Validated, Utc(17, 46, 10)), validated);
    }

    [Fact]
    public async Task GetRequestReadsDetailsAndCallbackDeliveryIgnoringUnknownFields()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "OTP request retrieved successfully",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "code": "RDYFQUBX", "chat_id": "20123456789@c.us",
                      "status": "verified", "otp_type": "link",
                      "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00",
                      "whatsapp_link": "https://wa.me/201553730661?text=x", "link_url": "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef",
                      "phone": "+20123456789", "user_id": "185103487680637@lid", "verified_at": "2025-12-29T17:50:00+00:00", "validated_at": null,
                      "failed_reason": null, "message_received_at": "2025-12-29T17:49:12+00:00",
                      "callback": {"status": "retrying", "attempts": 3, "last_attempt_at": "2025-12-29T17:52:00+00:00",
                                   "delivered_at": null, "last_status_code": 503, "last_error": "HTTP 503",
                                   "next_attempt_at": "2025-12-29T17:56:00+00:00"},
                      "introduced_later": {"nested": [1, 2, 3]}}}
            """));

        var request = await ClientFor(server).GetRequestAsync(Uuid);

        var received = Assert.Single(server.Received);
        Assert.Equal("GET", received.Method);
        Assert.Equal($"/api/otp/v2/{Instance}/requests/{Uuid}", received.PathAndQuery);
        Assert.Equal($"Bearer {Token}", received.Authorization);
        Assert.Equal(new OtpRequestDetails(
            Uuid, "RDYFQUBX", "20123456789@c.us", OtpStatus.Verified, "link", Utc(18, 14, 55), Utc(17, 44, 55),
            "https://wa.me/201553730661?text=x", "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef",
            "+20123456789", "185103487680637@lid", Utc(17, 50, 0), null, null, Utc(17, 49, 12),
            new CallbackDelivery("retrying", 3, Utc(17, 52, 0), null, 503, "HTTP 503"), null), request);
    }

    [Fact]
    public async Task CancelPostsWithoutBodyAndReadsTheEndedRequest()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "OTP request cancelled",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "code": "482913", "chat_id": "20123456789@c.us",
                      "status": "failed", "otp_type": "code",
                      "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00",
                      "whatsapp_link": null, "link_url": null, "phone": "+20123456789",
                      "verified_at": null, "validated_at": null, "failed_reason": "cancelled", "message_received_at": null,
                      "callback": null}}
            """));

        var request = await ClientFor(server).CancelAsync(Uuid);

        var received = Assert.Single(server.Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal($"/api/otp/v2/{Instance}/requests/{Uuid}/cancel", received.PathAndQuery);
        Assert.Equal("", received.Body);
        Assert.Equal(OtpStatus.Failed, request.Status);
        Assert.Equal("cancelled", request.FailedReason);
        Assert.Null(request.WhatsappLink);
        Assert.Null(request.Callback);
    }

    [Fact]
    public async Task ExchangeSendsTheTokenAndReadsTheIdentity()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "Token exchanged successfully",
             "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "chat_id": "185103487680637@lid", "phone": "+20123456789",
                      "user_id": "185103487680637@lid", "status": "verified", "verified_at": "2025-12-29T17:50:00+00:00"}}
            """));

        var identity = await ClientFor(server).ExchangeAsync("Xb3_kQ-9");

        var received = Assert.Single(server.Received);
        Assert.Equal($"/api/otp/v2/{Instance}/exchange", received.PathAndQuery);
        Assert.Equal("""{"token":"Xb3_kQ-9"}""", received.Body);
        Assert.Equal(new VerifiedIdentity(Uuid, "185103487680637@lid", "+20123456789", "185103487680637@lid", OtpStatus.Verified, Utc(17, 50, 0)), identity);
    }

    [Fact]
    public async Task StatsPeriodIsSentAsUtcIsoTimestamps()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """
            {"success": true, "message": "Stats retrieved successfully", "data": {"links_generated": 12, "click_through_rate": 0.75}}
            """));

        var stats = await ClientFor(server).GetStatsAsync(
            new DateTimeOffset(2025, 12, 1, 2, 0, 0, TimeSpan.FromHours(2)), new DateTimeOffset(2025, 12, 29, 23, 59, 59, TimeSpan.Zero));
        await ClientFor(server).GetStatsAsync();

        var (period, unbounded) = (server.Received[0], server.Received[1]);
        Assert.Equal("2025-12-01T00:00:00+00:00", period.Query["from"]);
        Assert.Equal("2025-12-29T23:59:59+00:00", period.Query["to"]);
        Assert.Equal($"/api/otp/v2/{Instance}/stats", unbounded.PathAndQuery);
        Assert.Equal(12, stats.GetProperty("links_generated").GetInt32());
        Assert.Equal(0.75, stats.GetProperty("click_through_rate").GetDouble());
    }

    [Theory]
    [InlineData("/passline")]
    [InlineData("/passline/")]
    public async Task PathInTheBaseAddressIsKeptAsAPrefix(string prefix)
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, GeneratedLinkAnswer));

        await ClientFor(server, new HttpClient { BaseAddress = new Uri(server.BaseAddress, prefix) }).GenerateLinkAsync();

        Assert.Equal($"/passline/api/otp/v2/{Instance}/generate-link", Assert.Single(server.Received).PathAndQuery);
    }

    [Fact]
    public void ClientWithoutBaseAddressIsRefused() =>
        Assert.Throws<ArgumentException>(() => new PasslineClient(new HttpClient(), Instance, Token));

    private const string GeneratedLinkAnswer = """
        {"success": true, "message": "OTP link request created successfully",
         "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "code": "RDYFQUBX", "chat_id": null, "status": "pending", "otp_type": "link",
                  "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00",
                  "whatsapp_link": "https://wa.me/201553730661?text=x", "link_url": "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef"}}
        """;
}
