using System.Globalization;
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
/// WAHA as real deployments meet it (SPEC 1, 5): senders as <c>@lid</c>, their phone in the engine's raw message
/// (NOWEB, GOWS) or only through WAHA's lids API, several sessions on one server, acks of sent messages. The WAHA
/// server is a loopback that answers <c>sendText</c> as NOWEB does and <c>GET /api/{session}/lids/{lid}</c> from a table.
/// </summary>
public sealed class WahaIdentityTests : IAsyncLifetime
{
    private const string WahaKey = "waha-api-key";
    private const string WahaHmac = "waha-hmac-secret";
    private const string Lid = "185103487680637@lid";
    private const string Phone = "+201063178738";
    private const string NowebKeyId = "3EB0B430B6F8F1D0E053AC";

    private TestDatabase database = null!;
    private PasslineApp app = null!;
    private LoopbackServer waha = null!;
    private LoopbackServer receiver = null!;

    /// <summary>What WAHA's lids endpoint knows: lid to <c>pn</c> (null: known lid, unknown number).</summary>
    private readonly Dictionary<string, string?> lids = [];

    /// <summary>The status WAHA's lids endpoint answers with, to stand for a WAHA that fails.</summary>
    private int lidsStatus = 200;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });
        receiver = await LoopbackServer.StartAsync();
        waha = await LoopbackServer.StartAsync();
        waha.Respond = r =>
        {
            if (r.Headers.GetValueOrDefault("X-Api-Key") != WahaKey)
            {
                return new Answer(401, """{"error": "Unauthorized"}""");
            }

            const string lidsPath = "/api/default/lids/";
            if (r.Method == "GET" && r.Path.StartsWith(lidsPath, StringComparison.Ordinal))
            {
                var lid = Uri.UnescapeDataString(r.Path[lidsPath.Length..]);
                var pn = lids.GetValueOrDefault(lid);
                return lidsStatus != 200 ? new Answer(lidsStatus, """{"statusCode": 500, "message": "Internal server error"}""")
                    : new Answer(200, new JsonObject { ["lid"] = lid, ["pn"] = pn }.ToJsonString());
            }

            // NOWEB (Baileys) answers sendText with the sent message, its id under key.
            var chat = JsonNode.Parse(r.Body)!["chatId"]!.GetValue<string>();
            return new Answer(201, new JsonObject
            {
                ["key"] = new JsonObject { ["remoteJid"] = chat, ["fromMe"] = true, ["id"] = NowebKeyId },
                ["message"] = new JsonObject { ["extendedTextMessage"] = new JsonObject { ["text"] = "..." } },
                ["messageTimestamp"] = "1764085201",
                ["status"] = "PENDING",
            }.ToJsonString());
        };
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await waha.DisposeAsync();
        await receiver.DisposeAsync();
        await database.DisposeAsync();
    }

    private Task<TestInstance> InstanceAsync() =>
        app.CreateInstanceAsync(name: "Acme", provider: "waha", redirectOrigins: ["https://app.example.com"], settings: s =>
        {
            s.WahaUrl = waha.BaseAddress.ToString();
            s.WahaSession = "default";
            s.WahaApiKey = WahaKey;
            s.WahaHmacKey = WahaHmac;
        });

    /// <summary>
    /// A WAHA <c>message</c> event from an <c>@lid</c> sender as each engine shapes it: <c>payload._data</c> is the
    /// engine's raw message (NOWEB: the Baileys message with <c>key.remoteJidAlt</c>; GOWS: the whatsmeow event with
    /// <c>Info.SenderAlt</c>; WEBJS: the WhatsApp Web message, which carries no phone number).
    /// </summary>
    private static string LidMessage(string engine, string text, string session = "default", string? id = null)
    {
        var json = JsonNode.Parse(WahaMessage(text, from: Lid, id: id))!.AsObject();
        json["engine"] = engine;
        json["session"] = session;
        var payload = json["payload"]!.AsObject();
        var keyId = payload["id"]!.GetValue<string>().Split('_')[^1];
        payload["_data"] = engine switch
        {
            "NOWEB" => new JsonObject
            {
                ["key"] = new JsonObject
                {
                    ["remoteJid"] = Lid,
                    ["remoteJidAlt"] = "201063178738@s.whatsapp.net",
                    ["fromMe"] = false,
                    ["id"] = keyId,
                    ["addressingMode"] = "lid",
                },
                ["messageTimestamp"] = 1764085200,
                ["pushName"] = "Sheena",
                ["message"] = new JsonObject { ["conversation"] = text },
            },
            "GOWS" => new JsonObject
            {
                ["Info"] = new JsonObject
                {
                    ["Chat"] = Lid,
                    ["Sender"] = Lid,
                    ["SenderAlt"] = "201063178738@s.whatsapp.net",
                    ["IsFromMe"] = false,
                    ["IsGroup"] = false,
                    ["ID"] = keyId,
                    ["PushName"] = "Sheena",
                    ["Timestamp"] = "2025-11-25T15:40:00Z",
                },
                ["Message"] = new JsonObject { ["conversation"] = text },
            },
            _ => new JsonObject
            {
                ["id"] = new JsonObject { ["fromMe"] = false, ["remote"] = Lid, ["id"] = keyId, ["_serialized"] = $"false_{Lid}_{keyId}" },
                ["body"] = text,
                ["type"] = "chat",
                ["from"] = Lid,
                ["to"] = "201553730661@c.us",
            },
        };
        return json.ToJsonString();
    }

    /// <summary>
    /// A WAHA <c>message</c> event from a phone-number sender (<c>addressingMode: "pn"</c>) whose engine names the
    /// sender's <c>@lid</c> beside it, as WAHA's <c>jidsFromKey</c> reads it: NOWEB (Baileys) <c>key.remoteJidAlt</c>,
    /// GOWS (whatsmeow) <c>Info.SenderAlt</c>, here of a linked device (<c>:3</c>).
    /// </summary>
    private static string PhoneMessageWithLid(string engine, string text)
    {
        const string from = "201063178738@c.us";
        var json = JsonNode.Parse(WahaMessage(text, from: from))!.AsObject();
        json["engine"] = engine;
        var payload = json["payload"]!.AsObject();
        var keyId = payload["id"]!.GetValue<string>().Split('_')[^1];
        payload["_data"] = engine switch
        {
            "NOWEB" => new JsonObject
            {
                ["key"] = new JsonObject
                {
                    ["remoteJid"] = "201063178738@s.whatsapp.net",
                    ["remoteJidAlt"] = Lid,
                    ["addressingMode"] = "pn",
                    ["fromMe"] = false,
                    ["id"] = keyId,
                },
                ["messageTimestamp"] = 1764085200,
                ["pushName"] = "Sheena",
                ["message"] = new JsonObject { ["conversation"] = text },
            },
            _ => new JsonObject
            {
                ["Info"] = new JsonObject
                {
                    ["Chat"] = "201063178738@s.whatsapp.net",
                    ["Sender"] = "201063178738:3@s.whatsapp.net",
                    ["SenderAlt"] = Lid.Replace("@lid", ":3@lid", StringComparison.Ordinal),
                    ["AddressingMode"] = "pn",
                    ["IsFromMe"] = false,
                    ["IsGroup"] = false,
                    ["ID"] = keyId,
                    ["PushName"] = "Sheena",
                    ["Timestamp"] = "2025-11-25T15:40:00Z",
                },
                ["Message"] = new JsonObject { ["conversation"] = text },
            },
        };
        return json.ToJsonString();
    }

    private async Task<string> SendAsync(TestInstance instance, string body)
    {
        var response = await app.Client().SendAsync(SignedWaha(instance.Id, body, WahaHmac));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadObjectAsync())["outcome"]!.GetValue<string>();
    }

    private IReadOnlyList<ReceivedRequest> Sent => [.. waha.Received.Where(r => r.Path == "/api/sendText")];

    private IReadOnlyList<ReceivedRequest> Lookups => [.. waha.Received.Where(r => r.Path.StartsWith("/api/default/lids/", StringComparison.Ordinal))];

    private async Task<Passline.Client.VerifiedIdentity> VerifyAndExchangeAsync(TestInstance instance, string reply)
    {
        var browser = app.Client();
        var verified = await PressAsync(browser, VerificationPath(reply));
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var token = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"]!;
        return await new Passline.Client.PasslineClient(app.Client(), instance.Id, instance.Token).ExchangeAsync(token);
    }

    [Theory]
    [InlineData("NOWEB")]
    [InlineData("GOWS")]
    public async Task PhoneBoundLinkIsCompletedFromAnLidSenderWhosePhoneThePayloadCarries(string engine)
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance, """{"chatId": "+20 106 317 8738", "redirect": "https://app.example.com/in"}""");

        Assert.Equal("matched", await SendAsync(instance, LidMessage(engine, Message(link.Code))));

        var reply = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        var body = JsonNode.Parse(reply.Body)!;
        Assert.Equal(Lid, body["chatId"]!.GetValue<string>());
        Assert.Empty(Lookups);

        var identity = await VerifyAndExchangeAsync(instance, body["text"]!.GetValue<string>());
        Assert.Equal((Lid, Phone, Lid), (identity.ChatId, identity.Phone, identity.UserId));
        var known = await app.WithDbAsync(db => db.KnownIdentities.SingleAsync(k => k.InstanceId == instance.Id));
        Assert.Equal((Lid, Phone), (known.UserId, known.Phone));
    }

    /// <summary>
    /// A phone-number sender whose engine names its <c>@lid</c> beside it: the request reports that <c>user_id</c>, and the
    /// pair is remembered, so that a later message from the <c>@lid</c> alone, which WAHA cannot resolve, is that phone's.
    /// </summary>
    [Theory]
    [InlineData("NOWEB")]
    [InlineData("GOWS")]
    public async Task LidBesideAPhoneSenderIsItsUserIdAndALaterMessageFromTheLidAloneResolvesToThePhone(string engine)
    {
        var instance = await InstanceAsync();
        lids[Lid] = null;
        var first = await GenerateAsync(instance, """{"chatId": "+20 106 317 8738"}""");

        Assert.Equal("matched", await SendAsync(instance, PhoneMessageWithLid(engine, Message(first.Code))));

        var stored = await RequestAsync(app, first.Uuid);
        Assert.Equal(("201063178738@c.us", Phone, Lid), (stored.ChatId, stored.Phone, stored.UserId));
        var reply = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        Assert.Equal("201063178738@c.us", JsonNode.Parse(reply.Body)!["chatId"]!.GetValue<string>());
        var known = await app.WithDbAsync(db => db.KnownIdentities.SingleAsync(k => k.InstanceId == instance.Id));
        Assert.Equal((Lid, Phone), (known.UserId, known.Phone));

        // The same user writes from the @lid, with no phone in the payload (WEBJS) and none in WAHA's lids API.
        var second = await GenerateAsync(instance, """{"chatId": "201063178738"}""");
        Assert.Equal("matched", await SendAsync(instance, LidMessage("WEBJS", Message(second.Code))));
        Assert.Empty(Lookups);
        var resolved = await RequestAsync(app, second.Uuid);
        Assert.Equal((Lid, Phone, Lid), (resolved.ChatId, resolved.Phone, resolved.UserId));
    }

    /// <summary>A linked device's messages may name the sender with the device (<c>number:device@c.us</c>).</summary>
    [Fact]
    public async Task PhoneBoundLinkIsCompletedFromADeviceQualifiedSenderAnsweredWithoutTheDevice()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance, """{"chatId": "+20 106 317 8738"}""");

        Assert.Equal("matched", await SendAsync(instance, WahaMessage(Message(link.Code), from: "201063178738:3@c.us")));

        var body = JsonNode.Parse(Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText")).Body)!;
        Assert.Equal("201063178738@c.us", body["chatId"]!.GetValue<string>());
        var stored = await RequestAsync(app, link.Uuid);
        Assert.Equal(("201063178738@c.us", Phone, (string?)null), (stored.ChatId, stored.Phone, stored.UserId));
    }

    [Fact]
    public async Task PhoneBoundLinkIsCompletedFromAnLidResolvedThroughTheLidsApiAndThePairIsRemembered()
    {
        var instance = await InstanceAsync();
        lids[Lid] = "201063178738@c.us";
        var first = await GenerateAsync(instance, """{"chatId": "201063178738@c.us", "redirect": "https://app.example.com/in"}""");

        Assert.Equal("matched", await SendAsync(instance, LidMessage("WEBJS", Message(first.Code))));

        var lookup = Assert.Single(Lookups);
        Assert.Equal(("GET", WahaKey), (lookup.Method, lookup.Headers["X-Api-Key"]));
        var reply = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        var identity = await VerifyAndExchangeAsync(instance, JsonNode.Parse(reply.Body)!["text"]!.GetValue<string>());
        Assert.Equal((Lid, Phone, Lid), (identity.ChatId, identity.Phone, identity.UserId));

        // The next message of that user needs no lookup, even when WAHA has forgotten the number.
        lids.Clear();
        var second = await GenerateAsync(instance, """{"chatId": "+201063178738"}""");
        Assert.Equal("matched", await SendAsync(instance, LidMessage("WEBJS", Message(second.Code))));
        Assert.Single(Lookups);
        Assert.Equal(Phone, (await RequestAsync(app, second.Uuid)).Phone);
    }

    [Fact]
    public async Task BoundLinkFromAnLidWahaCannotResolveEndsSenderUnresolvedWithTheFailedCallback()
    {
        var instance = await InstanceAsync();
        lids[Lid] = null;
        var link = await GenerateAsync(instance,
            new JsonObject { ["chatId"] = "201063178738", ["callback"] = new JsonObject { ["failed"] = new Uri(receiver.BaseAddress, "/failed").ToString() } }.ToJsonString());

        Assert.Equal("sender_unresolved", await SendAsync(instance, LidMessage("WEBJS", Message(link.Code))));

        var stored = await RequestAsync(app, link.Uuid);
        Assert.Equal((OtpStatus.Failed, "sender_unresolved"), (stored.Status, stored.FailedReason));
        var reply = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        var body = JsonNode.Parse(reply.Body)!;
        Assert.Equal((Lid, "Login failed, please try again later."), (body["chatId"]!.GetValue<string>(), body["text"]!.GetValue<string>()));
        var callback = JsonNode.Parse(Assert.Single(await receiver.WaitForAsync()).Body)!;
        Assert.Equal(("failed", "sender_unresolved"), (callback["status"]!.GetValue<string>(), callback["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UnboundLinkFromAnLidWhoseLookupFailsIsVerifiedWithItsUserIdAndNoPhone()
    {
        var instance = await InstanceAsync();
        lidsStatus = 500;
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");

        // The failed lookup does not fail the webhook.
        Assert.Equal("matched", await SendAsync(instance, LidMessage("WEBJS", Message(link.Code))));

        Assert.Single(Lookups);
        var reply = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        var identity = await VerifyAndExchangeAsync(instance, JsonNode.Parse(reply.Body)!["text"]!.GetValue<string>());
        Assert.Equal((Lid, null, Lid), (identity.ChatId, identity.Phone, identity.UserId));

        var (_, details) = await GetDetailsAsync(instance, link.Uuid);
        Assert.Equal(Lid, details["user_id"]!.GetValue<string>());
        Assert.Null(details["phone"]);
    }

    [Fact]
    public async Task EventOfAnotherWahaSessionIsIgnoredWithNothingSentAndCountedAsIgnored()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);

        Assert.Equal("ignored", await SendAsync(instance, LidMessage("NOWEB", Message(link.Code), session: "sales")));
        Assert.Equal("ignored", await SendAsync(instance, JsonNode.Parse(WahaMessage(Message(link.Code)))!.AsObject()
            .Also(j => j["session"] = "sales").ToJsonString()));

        var stored = await RequestAsync(app, link.Uuid);
        Assert.Equal((OtpStatus.Pending, null), (stored.Status, stored.ChatId));
        Assert.Equal(0, await app.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.InstanceId == instance.Id)));
        Assert.Empty(waha.Received);

        string metrics = "";
        await Eventually.TrueAsync(async () =>
        {
            metrics = await app.Client().GetStringAsync("/metrics");
            return Counter(metrics, "passline_messages_received_total", $"instance=\"{instance.Id}\"", "outcome=\"ignored\"") == 2;
        }, "two ignored messages in the metrics");
    }

    [Fact]
    public async Task NowebSendAnswerIsKeptAndAcksGiveEachMessageItsDeliveryStatus()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        await SendAsync(instance, LidMessage("NOWEB", Message(link.Code)));

        var sent = Assert.Single(await waha.WaitForAsync(where: r => r.Path == "/api/sendText"));
        Assert.Equal(sent.Body.Length.ToString(CultureInfo.InvariantCulture), sent.Headers["Content-Length"]);
        Assert.False(sent.Headers.ContainsKey("Transfer-Encoding"));
        await Eventually.TrueAsync(async () => await app.WithDbAsync(db => db.OutboundMessages.AnyAsync(m => m.RequestId == link.Uuid && m.ProviderMessageId == NowebKeyId)),
            "the NOWEB key id stored as the provider's message id");

        // WAHA names the sent message true_<chat>_<key id> in its events (WAMessageAck: 2 DEVICE, 3 READ).
        string Ack(int ack, string name) => new JsonObject
        {
            ["id"] = $"evt_{Guid.NewGuid():N}",
            ["timestamp"] = 1764085210000,
            ["event"] = "message.ack",
            ["session"] = "default",
            ["engine"] = "NOWEB",
            ["payload"] = new JsonObject
            {
                ["id"] = $"true_{Lid}_{NowebKeyId}",
                ["from"] = "201553730661@c.us",
                ["to"] = Lid,
                ["participant"] = null,
                ["fromMe"] = true,
                ["ack"] = ack,
                ["ackName"] = name,
            },
        }.ToJsonString();

        Assert.Equal("status", await SendAsync(instance, Ack(3, "READ")));
        Assert.Equal("ignored", await SendAsync(instance, Ack(2, "DEVICE")));

        var (_, details) = await GetDetailsAsync(instance, link.Uuid);
        var message = Assert.Single(details["messages"]!.AsArray())!;
        Assert.Equal(("read", "text"), (message["status"]!.GetValue<string>(), message["kind"]!.GetValue<string>()));
    }

    /// <summary>
    /// GOWS and WEBJS answer <c>sendText</c> with an id built from the chat asked for, <c>true_&lt;phone&gt;@c.us_&lt;id&gt;</c>,
    /// but ack the message with the chat whatsmeow (or WhatsApp Web) sent it to, which may be the user's <c>@lid</c>. The
    /// message's own id is what both share: an ERROR ack ends a code that never arrived.
    /// </summary>
    [Theory]
    [InlineData("GOWS")]
    [InlineData("WEBJS")]
    public async Task ErrorAckNamingTheLidChatEndsACodeSentToThePhoneUndeliverable(string engine)
    {
        const string sentId = "true_201063178711@c.us_3EB0000004";
        waha.Then(new Answer(201, engine == "GOWS"
            ? new JsonObject { ["id"] = sentId }.ToJsonString()
            : new JsonObject
            {
                ["id"] = new JsonObject { ["fromMe"] = true, ["remote"] = "201063178711@c.us", ["id"] = "3EB0000004", ["_serialized"] = sentId },
                ["body"] = "...",
                ["type"] = "chat",
                ["ack"] = 0,
            }.ToJsonString()));
        var instance = await InstanceAsync();
        var (response, created) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            new JsonObject { ["chatId"] = "201063178711", ["callback"] = new JsonObject { ["failed"] = new Uri(receiver.BaseAddress, "/failed").ToString() } }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var uuid = Guid.Parse(created["data"]!["uuid"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => (await RequestAsync(app, uuid)).Status == OtpStatus.Sent, "the code accepted by WAHA");

        var ack = new JsonObject
        {
            ["id"] = $"evt_{Guid.NewGuid():N}",
            ["timestamp"] = 1764085210000,
            ["event"] = "message.ack",
            ["session"] = "default",
            ["engine"] = engine,
            ["payload"] = new JsonObject
            {
                ["id"] = "true_99887766554433@lid_3EB0000004",
                ["from"] = "99887766554433@lid",
                ["fromMe"] = true,
                ["ack"] = -1,
                ["ackName"] = "ERROR",
            },
        };
        Assert.Equal("status", await SendAsync(instance, ack.ToJsonString()));

        var (_, details) = await GetDetailsAsync(instance, uuid);
        Assert.Equal(("failed", "undeliverable"), (details["status"]!.GetValue<string>(), details["failed_reason"]!.GetValue<string>()));
        var message = Assert.Single(details["messages"]!.AsArray())!;
        Assert.Equal(("failed", "WAHA ack ERROR"), (message["status"]!.GetValue<string>(), message["error"]!.GetValue<string>()));
        var callback = JsonNode.Parse(Assert.Single(await receiver.WaitForAsync()).Body)!;
        Assert.Equal(("failed", "undeliverable"), (callback["status"]!.GetValue<string>(), callback["reason"]!.GetValue<string>()));
    }

    /// <summary>A message stored with WAHA's whole id (as Passline stored GOWS and WEBJS sends before) is still found by its acks.</summary>
    [Fact]
    public async Task AckFindsAMessageStoredWithTheWholeSerializedId()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        await SendAsync(instance, WahaMessage(Message(link.Code)));
        await Eventually.TrueAsync(async () => (await app.WithDbAsync(db => db.OutboundMessages.SingleAsync(m => m.RequestId == link.Uuid))).Status == OutboundStatuses.Sent,
            "the reply sent");
        const string wholeId = "true_201063178738@c.us_3EB0C0FFEE";
        await app.WithDbAsync(db => db.OutboundMessages.Where(m => m.RequestId == link.Uuid)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ProviderMessageId, wholeId)));

        var ack = new JsonObject
        {
            ["event"] = "message.ack",
            ["session"] = "default",
            ["engine"] = "GOWS",
            ["payload"] = new JsonObject { ["id"] = wholeId, ["from"] = "201063178738@c.us", ["fromMe"] = true, ["ack"] = 2, ["ackName"] = "DEVICE" },
        };
        Assert.Equal("status", await SendAsync(instance, ack.ToJsonString()));

        var (_, details) = await GetDetailsAsync(instance, link.Uuid);
        Assert.Equal("delivered", Assert.Single(details["messages"]!.AsArray())!["status"]!.GetValue<string>());
    }

    private static async Task<(HttpResponseMessage, JsonObject)> GetDetailsAsync(TestInstance instance, Guid uuid)
    {
        var response = await instance.Client().GetAsync(instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response, (await response.ReadObjectAsync())["data"]!.AsObject());
    }

    private static double Counter(string text, string metric, params string[] labels)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject json, Action<JsonObject> change)
    {
        change(json);
        return json;
    }
}
