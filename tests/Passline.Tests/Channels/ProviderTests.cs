using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Passline.Inbound;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Channels;

/// <summary>
/// The whole flow on the real providers' wire formats: WAHA and Meta's Graph API are loopback servers that check
/// the credentials they are sent and record the bodies.
/// </summary>
public sealed class ProviderTests(AppFixture fixture) : IClassFixture<AppFixture>, IAsyncLifetime
{
    private const string WahaKey = "waha-api-key";
    private const string WahaHmac = "waha-hmac-secret";
    private const string AccessToken = "EAAG-access-token";
    private const string AppSecret = "meta-app-secret";
    private const string VerifyToken = "verify-me";
    private const string PhoneNumberId = "106540352242922";

    private PasslineApp App => fixture.App;
    private LoopbackServer waha = null!;
    private LoopbackServer graph = null!;

    public async Task InitializeAsync()
    {
        waha = await LoopbackServer.StartAsync();
        waha.Respond = r => r.Headers.GetValueOrDefault("X-Api-Key") == WahaKey
            ? new Answer(201, """{"id": "true_201063178738@c.us_3EB0ABCDEF", "body": "sent"}""")
            : new Answer(401, """{"error": "Unauthorized"}""");
        graph = await LoopbackServer.StartAsync();
        graph.Respond = r => r.Headers.GetValueOrDefault("Authorization") == $"Bearer {AccessToken}"
            ? new Answer(200, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cloud-api-send-response.json")))
            : new Answer(401, """{"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}""");
    }

    public async Task DisposeAsync()
    {
        await waha.DisposeAsync();
        await graph.DisposeAsync();
    }

    private Task<TestInstance> WahaInstanceAsync(string[]? origins = null) =>
        App.CreateInstanceAsync(name: "Acme", provider: "waha", redirectOrigins: origins, settings: s =>
        {
            s.WahaUrl = waha.BaseAddress.ToString();
            s.WahaSession = "default";
            s.WahaApiKey = WahaKey;
            s.WahaHmacKey = WahaHmac;
        });

    private Task<TestInstance> CloudInstanceAsync(string[]? origins = null) =>
        App.CreateInstanceAsync(name: "Acme", provider: "cloud-api", redirectOrigins: origins, settings: s =>
        {
            s.GraphUrl = graph.BaseAddress.ToString();
            s.GraphVersion = "v21.0";
            s.PhoneNumberId = PhoneNumberId;
            s.AccessToken = AccessToken;
            s.AppSecret = AppSecret;
            s.VerifyToken = VerifyToken;
        });

    [Fact]
    public async Task HappyPathOnWaha()
    {
        var instance = await WahaInstanceAsync(["https://app.example.com"]);
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");

        var webhook = await App.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code)), WahaHmac));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        var sent = Assert.Single(await waha.WaitForAsync());
        Assert.Equal(("POST", "/api/sendText"), (sent.Method, sent.Path));
        Assert.Equal(WahaKey, sent.Headers["X-Api-Key"]);
        var body = JsonNode.Parse(sent.Body)!;
        Assert.Equal("default", body["session"]!.GetValue<string>());
        Assert.Equal("201063178738@c.us", body["chatId"]!.GetValue<string>());
        Assert.False(body["linkPreview"]!.GetValue<bool>());
        Assert.StartsWith("Here is your login link: ", body["text"]!.GetValue<string>());

        await VerifyAndExchangeAsync(instance, link, body["text"]!.GetValue<string>(), "201063178738@c.us");
        var message = await App.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.RequestId == link.Uuid));
        // The message's own id of GOWS's true_<chat>_<id>: its acks may name another chat (WahaIdentityTests).
        Assert.Equal("3EB0ABCDEF", message.ProviderMessageId);
    }

    /// <summary>A provider's redirect is not followed: the API key and the message's link would go with it.</summary>
    [Fact]
    public async Task AProvidersRedirectIsNotFollowed()
    {
        await using var elsewhere = await LoopbackServer.StartAsync();
        var instance = await WahaInstanceAsync();
        waha.Respond = _ => new Answer(307, "", new Dictionary<string, string> { ["Location"] = new Uri(elsewhere.BaseAddress, "/collect").ToString() });
        var link = await GenerateAsync(instance);

        Assert.Equal(HttpStatusCode.OK, (await App.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code)), WahaHmac))).StatusCode);

        Assert.Single(await waha.WaitForAsync());
        await Eventually.TrueAsync(() => App.WithDbAsync(db => db.OutboundMessages.AnyAsync(m => m.RequestId == link.Uuid && m.Status != OutboundStatuses.Pending)),
            "the reply's attempt to be recorded");
        var message = await App.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.RequestId == link.Uuid));
        Assert.Equal((OutboundStatuses.Failed, "HTTP 307 Temporary Redirect"), (message.Status, message.LastError));
        Assert.Empty(elsewhere.Received);
    }

    [Fact]
    public async Task HappyPathOnCloudApi()
    {
        var instance = await CloudInstanceAsync(["https://app.example.com"]);
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");

        var webhook = await App.Client().SendAsync(SignedCloudApi(instance.Id, CloudApiText(Message(link.Code)), AppSecret));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        var sent = Assert.Single(await graph.WaitForAsync());
        Assert.Equal(("POST", $"/v21.0/{PhoneNumberId}/messages"), (sent.Method, sent.Path));
        var body = JsonNode.Parse(sent.Body)!;
        Assert.Equal("whatsapp", body["messaging_product"]!.GetValue<string>());
        Assert.Equal("16505551234", body["to"]!.GetValue<string>());

        // The success message goes as a call-to-action button by default on the Cloud API (SPEC 5 "Reply style").
        Assert.Equal("interactive", body["type"]!.GetValue<string>());
        Assert.Equal("cta_url", body["interactive"]!["type"]!.GetValue<string>());
        Assert.Equal("Here is your login link:", body["interactive"]!["body"]!["text"]!.GetValue<string>());
        await VerifyAndExchangeAsync(instance, link, body["interactive"]!["action"]!["parameters"]!["url"]!.GetValue<string>(), "16505551234@c.us");
        var message = await App.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.RequestId == link.Uuid));
        Assert.Equal("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI0QzM3RTk0NjY0QjE0RjlGRTQA", message.ProviderMessageId);
    }

    private async Task VerifyAndExchangeAsync(TestInstance instance, Created link, string reply, string chatId)
    {
        var browser = App.Client();
        var path = VerificationPath(reply);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(path)).StatusCode);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());

        var verified = await PressAsync(browser, path);
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var token = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"];
        Assert.Equal("verified", (await RequestAsync(App, link.Uuid)).Status.Name());

        var client = new Passline.Client.PasslineClient(App.Client(), instance.Id, instance.Token);
        var identity = await client.ExchangeAsync(token!);
        Assert.Equal((link.Uuid, chatId, "verified"), (identity.Uuid, identity.ChatId, identity.Status));
        var again = await Assert.ThrowsAsync<Passline.Client.PasslineApiException>(() => client.ExchangeAsync(token!));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    [Fact]
    public async Task CloudApiHandshakeAnswersTheChallengeOnlyWithTheVerifyToken()
    {
        var instance = await CloudInstanceAsync();
        var client = App.Client();

        var ok = await client.GetAsync($"/webhooks/cloud-api/{instance.Id}?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1158201444");
        var wrong = await client.GetAsync($"/webhooks/cloud-api/{instance.Id}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }

    [Fact]
    public async Task UnsignedOrWronglySignedWebhooksAre401AndChangeNothing()
    {
        var wahaInstance = await WahaInstanceAsync();
        var cloudInstance = await CloudInstanceAsync();
        var wahaLink = await GenerateAsync(wahaInstance);
        var cloudLink = await GenerateAsync(cloudInstance);
        var wahaBody = WahaMessage(Message(wahaLink.Code));
        var cloudBody = CloudApiText(Message(cloudLink.Code));
        var client = App.Client();

        HttpRequestMessage[] attempts =
        [
            new(HttpMethod.Post, $"/webhooks/waha/{wahaInstance.Id}") { Content = Json.Body(wahaBody) },
            SignedWaha(wahaInstance.Id, wahaBody, "another-key"),
            WithHeader(SignedWaha(wahaInstance.Id, wahaBody, WahaHmac), "X-Webhook-Hmac", "zz-not-hex"),
            WithContent(SignedWaha(wahaInstance.Id, wahaBody, WahaHmac), wahaBody.Replace("201063178738", "201999999999", StringComparison.Ordinal)),
            new(HttpMethod.Post, $"/webhooks/cloud-api/{cloudInstance.Id}") { Content = Json.Body(cloudBody) },
            SignedCloudApi(cloudInstance.Id, cloudBody, "another-secret"),
            WithHeader(SignedCloudApi(cloudInstance.Id, cloudBody, AppSecret), "X-Hub-Signature-256", CloudApiSignature(cloudBody, AppSecret)[7..]),
        ];
        foreach (var attempt in attempts)
        {
            var response = await client.SendAsync(attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(0, await App.WithDbAsync(db => db.InboundMessages.CountAsync(m => m.InstanceId == wahaInstance.Id || m.InstanceId == cloudInstance.Id)));
        Assert.Equal(0, await App.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.InstanceId == wahaInstance.Id || m.InstanceId == cloudInstance.Id)));
        Assert.Null((await RequestAsync(App, wahaLink.Uuid)).MessageReceivedAt);
        Assert.Null((await RequestAsync(App, cloudLink.Uuid)).MessageReceivedAt);
    }

    [Fact]
    public async Task ASignedWebhookWithAKeyThatIsNoTextIs400()
    {
        var wahaInstance = await WahaInstanceAsync();
        var cloudInstance = await CloudInstanceAsync();
        const string WahaBody = """{"event": "message", "session": "default", "payload": {"\ud800": 1}}""";
        const string CloudBody = """{"object": "whatsapp_business_account", "entry": [{"changes": [{"\udfff": {}}]}]}""";

        var waha = await App.Client().SendAsync(SignedWaha(wahaInstance.Id, WahaBody, WahaHmac));
        var cloud = await App.Client().SendAsync(SignedCloudApi(cloudInstance.Id, CloudBody, AppSecret));

        Assert.Equal(HttpStatusCode.BadRequest, waha.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, cloud.StatusCode);
        Assert.False((await cloud.ReadObjectAsync())["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task NulCharactersInAProvidersPayloadAreDroppedNotStored()
    {
        var wahaInstance = await WahaInstanceAsync();
        var cloudInstance = await CloudInstanceAsync();
        var wahaLink = await GenerateAsync(wahaInstance);
        var cloudLink = await GenerateAsync(cloudInstance);

        // NUL characters, which PostgreSQL cannot store, in the ids (stored) and the texts (read for the code).
        var wahaBody = WahaMessage(Message(wahaLink.Code) + "\0", id: $"false_201063178738@c.us_\0{Guid.NewGuid():N}");
        var cloudBody = CloudApiText("\0" + Message(cloudLink.Code), id: $"wamid.\0{Guid.NewGuid():N}");
        var waha = await App.Client().SendAsync(SignedWaha(wahaInstance.Id, wahaBody, WahaHmac));
        var cloud = await App.Client().SendAsync(SignedCloudApi(cloudInstance.Id, cloudBody, AppSecret));

        Assert.Equal(HttpStatusCode.OK, waha.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cloud.StatusCode);
        Assert.Equal("matched", (await waha.ReadObjectAsync())["outcome"]!.GetValue<string>());
        Assert.Equal(["matched"], (await cloud.ReadObjectAsync())["outcomes"]!.AsArray().Select(o => o!.GetValue<string>()));
        var ids = await App.WithDbAsync(db => db.InboundMessages
            .Where(m => m.InstanceId == wahaInstance.Id || m.InstanceId == cloudInstance.Id).Select(m => m.ProviderMessageId).ToListAsync());
        Assert.Equal(2, ids.Count);
        Assert.All(ids, id => Assert.DoesNotContain('\0', id));
    }

    [Fact]
    public async Task OwnGroupStatusReactionAndReceiptMessagesAreIgnored()
    {
        var wahaInstance = await WahaInstanceAsync();
        var cloudInstance = await CloudInstanceAsync();
        var link = await GenerateAsync(wahaInstance);
        var client = App.Client();
        var text = Message(link.Code);

        string[] ignoredWaha =
        [
            WahaMessage(text, fromMe: true, @event: "message.any"),
            WahaMessage(text, from: "120363025246125244@g.us"),
            WahaMessage(text, from: "status@broadcast"),
            WahaMessage(text, @event: "message.reaction"),
            WahaMessage(text, @event: "message.ack"),
            WahaMessage(""),
        ];
        foreach (var body in ignoredWaha)
        {
            var response = await client.SendAsync(SignedWaha(wahaInstance.Id, body, WahaHmac));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ignored", (await response.ReadObjectAsync())["outcome"]!.GetValue<string>());
        }

        var receipt = Fixture("cloud-api-status.json").ToJsonString();
        var receiptResponse = await client.SendAsync(SignedCloudApi(cloudInstance.Id, receipt, AppSecret));
        Assert.Equal(HttpStatusCode.OK, receiptResponse.StatusCode);
        Assert.Empty((await receiptResponse.ReadObjectAsync())["outcomes"]!.AsArray());

        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
        Assert.Null((await RequestAsync(App, link.Uuid)).ChatId);
        Assert.Equal(0, await App.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.InstanceId == wahaInstance.Id || m.InstanceId == cloudInstance.Id)));
    }

    [Fact]
    public async Task WahaMessageAndMessageAnyOfTheSameMessageCountOnce()
    {
        var instance = await WahaInstanceAsync();
        var link = await GenerateAsync(instance);
        const string id = "false_201063178738@c.us_3EB0C767D26A1D8F4B21";

        var first = await App.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code), id: id), WahaHmac));
        var second = await App.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code), id: id, @event: "message.any"), WahaHmac));

        Assert.Equal("matched", (await first.ReadObjectAsync())["outcome"]!.GetValue<string>());
        Assert.Equal("duplicate", (await second.ReadObjectAsync())["outcome"]!.GetValue<string>());
        Assert.Single(await waha.WaitForAsync());
    }

    [Fact]
    public async Task UnresolvableLidOnAnUnboundLinkIsMatchedWithItsUserIdAndNoPhone()
    {
        var instance = await WahaInstanceAsync();
        var link = await GenerateAsync(instance);

        await App.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code), from: "123456789012345@lid"), WahaHmac));

        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(("123456789012345@lid", null, "123456789012345@lid"), (stored.ChatId, stored.Phone, stored.UserId));
        var sent = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        Assert.Equal("123456789012345@lid", JsonNode.Parse(sent.Body)!["chatId"]!.GetValue<string>());
    }

    [Fact]
    public async Task CloudApiMediaCaptionWithTheCodeIsMatched()
    {
        var instance = await CloudInstanceAsync();
        var link = await GenerateAsync(instance);
        var json = JsonNode.Parse(CloudApiText("x"))!;
        var message = json["entry"]![0]!["changes"]![0]!["value"]!["messages"]![0]!.AsObject();
        message.Remove("text");
        message["type"] = "image";
        message["image"] = new JsonObject { ["caption"] = Message(link.Code), ["mime_type"] = "image/jpeg", ["id"] = "1" };

        var response = await App.Client().SendAsync(SignedCloudApi(instance.Id, json.ToJsonString(), AppSecret));

        Assert.Equal("matched", (await response.ReadObjectAsync())["outcomes"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task ABatchedCloudApiDeliveryAnswersEachMessageAndEachChatInItsOrder()
    {
        var instance = await CloudInstanceAsync();
        var first = await GenerateAsync(instance);
        var second = await GenerateAsync(instance);

        // Meta batches under load: several messages in one change, and several entries in one delivery. The first chat
        // sends its code, then ten more messages: the chat's limit (10 a minute, Passline:RateLimits) holds back the
        // eleventh of its messages, which shows that they were taken in the order they came.
        var json = CloudApiBatch(Enumerable.Repeat(("16505550001", "hello"), 5)
            .Prepend(("16505550001", Message(first.Code)))
            .Append(("16505550002", Message(second.Code)))
            .Concat(Enumerable.Repeat(("16505550001", "hello"), 5)));
        json["entry"]!.AsArray().Add(JsonNode.Parse(CloudApiText("hello", from: "16505550003"))!["entry"]![0]!.DeepClone());

        var response = await App.Client().SendAsync(SignedCloudApi(instance.Id, json.ToJsonString(), AppSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string[] expected = ["matched", .. Enumerable.Repeat("no_code", 5), "matched", .. Enumerable.Repeat("no_code", 4), "rate_limited", "no_code"];
        Assert.Equal(expected, (await response.ReadObjectAsync())["outcomes"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Equal("16505550001@c.us", (await RequestAsync(App, first.Uuid)).ChatId);
        Assert.Equal("16505550002@c.us", (await RequestAsync(App, second.Uuid)).ChatId);
        Assert.Equal(13, await App.WithDbAsync(db => db.InboundMessages.CountAsync(m => m.InstanceId == instance.Id)));
    }

    [Fact]
    public async Task WebhooksLargerThanAnApiBodyAreTakenUpToTheirOwnLimit()
    {
        var cloudInstance = await CloudInstanceAsync();
        var wahaInstance = await WahaInstanceAsync();
        var cloudLink = await GenerateAsync(cloudInstance);
        var wahaLink = await GenerateAsync(wahaInstance);

        // A batch of 300 messages (Meta batches up to 1,000 updates), over the 64 KiB an API call may send.
        var batch = CloudApiBatch(Enumerable.Range(0, 299).Select(i => ($"1650556{i:D4}", "hello " + new string('.', 200)))
            .Prepend(("16505559999", Message(cloudLink.Code)))).ToJsonString();
        Assert.True(batch.Length > 64 * 1024, $"{batch.Length} bytes");
        var cloud = await App.Client().SendAsync(SignedCloudApi(cloudInstance.Id, batch, AppSecret));
        Assert.Equal(HttpStatusCode.OK, cloud.StatusCode);
        var outcomes = (await cloud.ReadObjectAsync())["outcomes"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        Assert.Equal(["matched", .. Enumerable.Repeat("no_code", 299)], outcomes);

        // WAHA's event carries the engine's raw message, here with a 100 KB thumbnail of an image whose caption has the code.
        var waha = JsonNode.Parse(WahaMessage(Message(wahaLink.Code)))!;
        waha["payload"]!["_data"] = new JsonObject { ["type"] = "image", ["jpegThumbnail"] = Convert.ToBase64String(new byte[75_000]) };
        var wahaBody = waha.ToJsonString();
        Assert.True(wahaBody.Length > 64 * 1024, $"{wahaBody.Length} bytes");
        var wahaResponse = await App.Client().SendAsync(SignedWaha(wahaInstance.Id, wahaBody, WahaHmac));
        Assert.Equal("matched", (await wahaResponse.ReadObjectAsync())["outcome"]!.GetValue<string>());

        // Over the webhook's own limit (4 MiB by default): 413, and nothing of it is stored.
        var huge = JsonNode.Parse(CloudApiText(Message(cloudLink.Code), from: "16505558888"))!;
        huge["padding"] = new string('x', 4 * 1024 * 1024);
        var client = App.Client();
        client.DefaultRequestHeaders.ExpectContinue = true;
        var tooLarge = await client.SendAsync(SignedCloudApi(cloudInstance.Id, huge.ToJsonString(), AppSecret));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("The request body must not be larger than 4 MiB.", (await tooLarge.ReadObjectAsync())["message"]!.GetValue<string>());
        Assert.Equal(301, await App.WithDbAsync(db => db.InboundMessages.CountAsync(m => m.InstanceId == cloudInstance.Id || m.InstanceId == wahaInstance.Id)));
    }

    [Fact]
    public async Task TwentyConcurrentDeliveriesOfOneWebhookGiveOneReplyAndOneTransition()
    {
        var instance = await WahaInstanceAsync();
        var link = await GenerateAsync(instance);
        var body = WahaMessage(Message(link.Code), id: "false_201063178738@c.us_CONCURRENT");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => App.Client().SendAsync(SignedWaha(instance.Id, body, WahaHmac))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var outcomes = await Task.WhenAll(responses.Select(async r => (await r.ReadObjectAsync())["outcome"]!.GetValue<string>()));
        Assert.Equal(1, outcomes.Count(o => o == "matched"));
        Assert.Equal(19, outcomes.Count(o => o == "duplicate"));
        Assert.Single(await waha.WaitForAsync());
        Assert.Equal(1, await App.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.RequestId == link.Uuid)));
        Assert.Equal(1, await App.WithDbAsync(db => db.InboundMessages.CountAsync(m => m.InstanceId == instance.Id)));
    }

    [Fact]
    public async Task RequestCodeUsesTheCloudApiAuthenticationTemplate()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", provider: "cloud-api", settings: s =>
        {
            s.GraphUrl = graph.BaseAddress.ToString();
            s.GraphVersion = "v21.0";
            s.PhoneNumberId = PhoneNumberId;
            s.AccessToken = AccessToken;
            s.AppSecret = AppSecret;
            s.VerifyToken = VerifyToken;
            s.AuthTemplate = "login_code";
            s.AuthTemplateLanguage = "en_US";
        });
        var client = new Passline.Client.PasslineClient(App.Client(), instance.Id, instance.Token);

        var requested = await client.RequestCodeAsync(new Passline.Client.RequestCodeRequest { ChatId = "16505551234" });

        var body = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!;
        Assert.Equal("template", body["type"]!.GetValue<string>());
        Assert.Equal("16505551234", body["to"]!.GetValue<string>());
        Assert.Equal("login_code", body["template"]!["name"]!.GetValue<string>());
        Assert.Equal("en_US", body["template"]!["language"]!["code"]!.GetValue<string>());
        var components = body["template"]!["components"]!.AsArray();
        Assert.Equal(requested.Code, components[0]!["parameters"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(("button", "url", requested.Code), (components[1]!["type"]!.GetValue<string>(), components[1]!["sub_type"]!.GetValue<string>(),
            components[1]!["parameters"]![0]!["text"]!.GetValue<string>()));
        await Eventually.TrueAsync(async () => (await client.GetRequestAsync(requested.Uuid)).Status == "sent", "status sent once Meta accepted it");
    }

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static HttpRequestMessage WithContent(HttpRequestMessage request, string body)
    {
        request.Content = Json.Body(body);
        return request;
    }
}
