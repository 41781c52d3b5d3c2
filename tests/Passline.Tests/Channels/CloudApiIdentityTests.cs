using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Passline.Inbound;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Channels;

/// <summary>
/// Meta's Cloud API as real deployments meet it (SPEC 1, 5): users known only by a business-scoped user id (BSUID),
/// group messages, delivery statuses with errors, Meta's refusals of a send, business-initiated codes and
/// call-to-action buttons. The Graph API is a loopback that records every body.
/// </summary>
public sealed class CloudApiIdentityTests : IAsyncLifetime
{
    private const string AccessToken = "EAAG-access-token";
    private const string AppSecret = "meta-app-secret";
    private const string PhoneNumberId = "106540352242922";
    private const string Bsuid = "US.13491208655302741918";
    private const string Wamid = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI0QzM3RTk0NjY0QjE0RjlGRTQA";

    private readonly CapturedLogs logs = new();
    private TestDatabase database = null!;
    private PasslineApp app = null!;
    private LoopbackServer graph = null!;
    private LoopbackServer receiver = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" },
            services => services.AddSingleton<ILoggerProvider>(logs));
        receiver = await LoopbackServer.StartAsync();
        graph = await LoopbackServer.StartAsync();
        graph.Respond = r => r.Headers.GetValueOrDefault("Authorization") == $"Bearer {AccessToken}"
            ? new Answer(200, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cloud-api-send-response.json")))
            : new Answer(401, """{"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}""");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await graph.DisposeAsync();
        await receiver.DisposeAsync();
        await database.DisposeAsync();
    }

    private Task<TestInstance> InstanceAsync(string? template = null, string? buttonLabel = null) =>
        app.CreateInstanceAsync(name: "Acme", provider: "cloud-api", redirectOrigins: ["https://app.example.com"], settings: s =>
        {
            s.GraphUrl = graph.BaseAddress.ToString();
            s.GraphVersion = "v21.0";
            s.PhoneNumberId = PhoneNumberId;
            s.AccessToken = AccessToken;
            s.AppSecret = AppSecret;
            s.VerifyToken = "verify-me";
            s.AuthTemplate = template;
            s.AuthTemplateLanguage = template is null ? null : "en_US";
            s.ButtonLabel = buttonLabel;
        });

    /// <summary>
    /// A text from a user who hides the number (Meta's 2026 change): <c>contacts[].user_id</c> and
    /// <c>messages[].from_user_id</c> carry the BSUID, <c>wa_id</c> and <c>from</c> are absent.
    /// </summary>
    private static string BsuidText(string text)
    {
        var json = JsonNode.Parse(CloudApiText(text))!;
        var value = json["entry"]![0]!["changes"]![0]!["value"]!;
        var contact = value["contacts"]![0]!.AsObject();
        contact.Remove("wa_id");
        contact["user_id"] = Bsuid;
        var message = value["messages"]![0]!.AsObject();
        message.Remove("from");
        message["from_user_id"] = Bsuid;
        return json.ToJsonString();
    }

    /// <summary>A <c>statuses[]</c> webhook for <paramref name="id"/>; <c>failed</c> carries Meta's error.</summary>
    private static string Status(string id, string status, string recipient = "16505551234")
    {
        var json = Fixture("cloud-api-status.json");
        var entry = json["entry"]![0]!["changes"]![0]!["value"]!["statuses"]![0]!.AsObject();
        entry["id"] = id;
        entry["status"] = status;
        entry["recipient_id"] = recipient;
        if (status == "failed")
        {
            entry["errors"] = new JsonArray
            {
                new JsonObject
                {
                    ["code"] = 131026, ["title"] = "Message undeliverable", ["message"] = "Message undeliverable",
                    ["error_data"] = new JsonObject { ["details"] = "Message could not be delivered to the recipient." },
                    ["href"] = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                },
            };
        }

        return json.ToJsonString();
    }

    private async Task<JsonArray> PostAsync(TestInstance instance, string body)
    {
        var response = await app.Client().SendAsync(SignedCloudApi(instance.Id, body, AppSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadObjectAsync())["outcomes"]!.AsArray();
    }

    private static async Task<JsonObject> DetailsAsync(TestInstance instance, Guid uuid) =>
        (await (await instance.Client().GetAsync(instance.Api($"requests/{uuid}"))).ReadObjectAsync())["data"]!.AsObject();

    [Fact]
    public async Task BsuidOnlySenderIsAnsweredThroughRecipientWithAButtonAndReportedWithItsUserId()
    {
        var instance = await InstanceAsync(buttonLabel: "Sign in");
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");

        Assert.Equal("matched", Assert.Single(await PostAsync(instance, BsuidText(Message(link.Code))))!.GetValue<string>());

        var sent = Assert.Single(await graph.WaitForAsync());
        Assert.Equal($"/v21.0/{PhoneNumberId}/messages", sent.Path);
        var body = JsonNode.Parse(sent.Body)!;
        var url = body["interactive"]?["action"]?["parameters"]?["url"]?.GetValue<string>();
        Assert.NotNull(url);
        Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/v/[A-Za-z0-9_-]+$", url);
        var expected = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["recipient_type"] = "individual",
            ["recipient"] = Bsuid,
            ["type"] = "interactive",
            ["interactive"] = new JsonObject
            {
                ["type"] = "cta_url",
                ["body"] = new JsonObject { ["text"] = "Here is your login link:" },
                ["action"] = new JsonObject
                {
                    ["name"] = "cta_url",
                    ["parameters"] = new JsonObject { ["display_text"] = "Sign in", ["url"] = url },
                },
            },
        };
        Assert.Equal(expected.ToJsonString(), sent.Body);
        Assert.Equal(sent.Body.Length.ToString(CultureInfo.InvariantCulture), sent.Headers["Content-Length"]);

        var browser = app.Client();
        var verified = await PressAsync(browser, new Uri(url).AbsolutePath);
        var token = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"]!;
        var identity = await new Passline.Client.PasslineClient(app.Client(), instance.Id, instance.Token).ExchangeAsync(token);
        Assert.Equal((Bsuid, null, Bsuid), (identity.ChatId, identity.Phone, identity.UserId));
    }

    [Fact]
    public async Task SenderWithBothPhoneAndBsuidIsAnsweredThroughToAndRemembered()
    {
        var instance = await InstanceAsync();
        var first = await GenerateAsync(instance);
        var json = JsonNode.Parse(CloudApiText(Message(first.Code)))!;
        var value = json["entry"]![0]!["changes"]![0]!["value"]!;
        value["contacts"]![0]!["user_id"] = Bsuid;
        value["messages"]![0]!["from_user_id"] = Bsuid;

        Assert.Equal("matched", Assert.Single(await PostAsync(instance, json.ToJsonString()))!.GetValue<string>());

        var body = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!.AsObject();
        Assert.Equal("16505551234", body["to"]!.GetValue<string>());
        Assert.False(body.ContainsKey("recipient"));
        var stored = await RequestAsync(app, first.Uuid);
        Assert.Equal(("16505551234@c.us", "+16505551234", Bsuid), (stored.ChatId, stored.Phone, stored.UserId));

        // Later the user hides the number: the remembered pair still gives the request its phone, and binds match.
        var second = await GenerateAsync(instance, """{"chatId": "+1 650 555 1234"}""");
        Assert.Equal("matched", Assert.Single(await PostAsync(instance, BsuidText(Message(second.Code))))!.GetValue<string>());
        Assert.Equal((Bsuid, "+16505551234"), ((await RequestAsync(app, second.Uuid)).ChatId, (await RequestAsync(app, second.Uuid)).Phone));
    }

    [Fact]
    public async Task PhoneBoundLinkFromAnUnknownBsuidEndsSenderUnresolved()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance, """{"chatId": "+1 650 555 1234"}""");

        Assert.Equal("sender_unresolved", Assert.Single(await PostAsync(instance, BsuidText(Message(link.Code))))!.GetValue<string>());

        Assert.Equal("sender_unresolved", (await RequestAsync(app, link.Uuid)).FailedReason);
        var body = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!.AsObject();
        Assert.Equal((Bsuid, "Login failed, please try again later."), (body["recipient"]!.GetValue<string>(), body["text"]!["body"]!.GetValue<string>()));
    }

    /// <summary>
    /// WhatsApp names some users by a form of their number that is no longer dialled (Meta: "a WhatsApp user's phone
    /// number and ID may not match"): Mexican mobiles with the 1 after 52, Brazilian mobiles of old accounts without
    /// their ninth digit; Argentine mobiles carry the 9 that people often leave out. A request bound to the number as
    /// the application has it is completed from WhatsApp's form, answered in that form, and reports the number dialled.
    /// </summary>
    [Theory]
    [InlineData("+52 55 1234 5678", "5215512345678", "+525512345678")]
    [InlineData("+52 1 55 1234 5678", "5215512345678", "+525512345678")]
    [InlineData("+55 11 98765 4321", "551187654321", "+5511987654321")]
    [InlineData("+55 11 8765 4321", "551187654321", "+5511987654321")]
    [InlineData("+54 11 1234 5678", "5491112345678", "+5491112345678")]
    public async Task PhoneBoundLinkIsCompletedFromWhatsAppsFormOfTheNumber(string bound, string waId, string phone)
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance, $$"""{"chatId": "{{bound}}"}""");

        Assert.Equal("matched", Assert.Single(await PostAsync(instance, CloudApiText(Message(link.Code), from: waId)))!.GetValue<string>());

        var body = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!.AsObject();
        Assert.Equal(waId, body["to"]!.GetValue<string>());
        var stored = await RequestAsync(app, link.Uuid);
        Assert.Equal(($"{waId}@c.us", phone, (string?)null), (stored.ChatId, stored.Phone, stored.FailedReason));
    }

    /// <summary>The forms above are one number's, not any two numbers alike: a Brazilian fixed line has no ninth digit.</summary>
    [Theory]
    [InlineData("+55 11 3876 5432", "5511938765432")]
    [InlineData("+52 55 1234 5678", "5215512345679")]
    [InlineData("+54 11 1234 5678", "5491112345670")]
    public async Task PhoneBoundLinkFromAnotherNumberOfTheSameShapeEndsWrongSender(string bound, string waId)
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance, $$"""{"chatId": "{{bound}}"}""");

        Assert.Equal("wrong_sender", Assert.Single(await PostAsync(instance, CloudApiText(Message(link.Code), from: waId)))!.GetValue<string>());
        Assert.Equal("wrong_sender", (await RequestAsync(app, link.Uuid)).FailedReason);
    }

    [Fact]
    public async Task GroupMessageIsIgnoredWithNothingSent()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        var json = JsonNode.Parse(CloudApiText(Message(link.Code)))!;
        json["entry"]![0]!["changes"]![0]!["value"]!["messages"]![0]!["group_id"] = "120363025246125244";

        Assert.Equal("ignored", Assert.Single(await PostAsync(instance, json.ToJsonString()))!.GetValue<string>());

        Assert.Equal((OtpStatus.Pending, null), ((await RequestAsync(app, link.Uuid)).Status, (await RequestAsync(app, link.Uuid)).ChatId));
        Assert.Empty(graph.Received);
    }

    [Fact]
    public async Task FailedStatusEndsACodeRequestUndeliverableWithItsFailedCallback()
    {
        var instance = await InstanceAsync(template: "passline_code");
        var (response, created) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            new JsonObject { ["chatId"] = "16505551234", ["callback"] = new JsonObject { ["failed"] = new Uri(receiver.BaseAddress, "/failed").ToString() } }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var uuid = Guid.Parse(created["data"]!["uuid"]!.GetValue<string>());
        var template = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!;
        Assert.Equal(("template", "passline_code", "en_US"),
            (template["type"]!.GetValue<string>(), template["template"]!["name"]!.GetValue<string>(), template["template"]!["language"]!["code"]!.GetValue<string>()));
        await Eventually.TrueAsync(async () => (await RequestAsync(app, uuid)).Status == OtpStatus.Sent, "the code accepted by Meta");

        await PostAsync(instance, Status(Wamid, "sent"));
        Assert.Equal("sent", (await DetailsAsync(instance, uuid))["messages"]![0]!["status"]!.GetValue<string>());
        await PostAsync(instance, Status(Wamid, "failed"));

        var details = await DetailsAsync(instance, uuid);
        Assert.Equal(("failed", "undeliverable"), (details["status"]!.GetValue<string>(), details["failed_reason"]!.GetValue<string>()));
        var message = Assert.Single(details["messages"]!.AsArray())!;
        Assert.Equal(("code", "failed", "131026 Message undeliverable"),
            (message["kind"]!.GetValue<string>(), message["status"]!.GetValue<string>(), message["error"]!.GetValue<string>()));
        var callback = JsonNode.Parse(Assert.Single(await receiver.WaitForAsync()).Body)!;
        Assert.Equal(("failed", "undeliverable", "code"),
            (callback["status"]!.GetValue<string>(), callback["reason"]!.GetValue<string>(), callback["otp_type"]!.GetValue<string>()));

        // A late report cannot move it back.
        await PostAsync(instance, Status(Wamid, "delivered"));
        Assert.Equal("failed", (await DetailsAsync(instance, uuid))["messages"]![0]!["status"]!.GetValue<string>());

        var metrics = await app.Client().GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("passline_delivery_reports_total{", StringComparison.Ordinal)
            && l.Contains("channel=\"cloud-api\"", StringComparison.Ordinal) && l.Contains("status=\"failed\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BatchedStatusesMoveEachMessageOnInTheirOrderAndNeverBack()
    {
        // Meta names each sent message by its own wamid.
        var sends = 0;
        graph.Respond = _ => new Answer(200, $$"""{"messaging_product": "whatsapp", "messages": [{"id": "wamid.batch{{Interlocked.Increment(ref sends)}}"}]}""");
        var instance = await InstanceAsync();
        string[] chats = ["16505550101", "16505550102", "16505550103"];
        var wamids = new List<string>();
        foreach (var chat in chats)
        {
            var link = await GenerateAsync(instance);
            await PostAsync(instance, CloudApiText(Message(link.Code), from: chat));
            await Eventually.TrueAsync(async () => (await DetailsAsync(instance, link.Uuid))["messages"]![0]!["status"]!.GetValue<string>() == "sent", "the reply accepted");
            wamids.Add(await app.WithDbAsync(db => db.OutboundMessages.Where(m => m.RequestId == link.Uuid).Select(m => m.ProviderMessageId!).SingleAsync()));
        }

        // One delivery: the first message delivered then read, the second read then (late) delivered, the third failed.
        var json = Fixture("cloud-api-status.json");
        var statuses = json["entry"]![0]!["changes"]![0]!["value"]!["statuses"]!.AsArray();
        var template = statuses[0]!.DeepClone();
        statuses.Clear();
        foreach (var (index, status) in new[] { (0, "delivered"), (1, "read"), (0, "read"), (2, "failed"), (1, "delivered") })
        {
            var entry = template.DeepClone().AsObject();
            (entry["id"], entry["status"], entry["recipient_id"]) = (wamids[index], status, chats[index]);
            if (status == "failed")
            {
                entry["errors"] = new JsonArray { new JsonObject { ["code"] = 131026, ["title"] = "Message undeliverable" } };
            }

            statuses.Add(entry);
        }

        await PostAsync(instance, json.ToJsonString());

        var stored = await app.WithDbAsync(db => db.OutboundMessages.Where(m => m.InstanceId == instance.Id && m.ProviderMessageId != null)
            .ToDictionaryAsync(m => m.ProviderMessageId!));
        Assert.Equal(["read", "read", "failed"], wamids.Select(w => stored[w].DeliveryStatus));

        // Each button kept its link until a final report (SPEC 8), then was redacted.
        Assert.All(wamids, w => Assert.Equal(("button", "", null), (stored[w].Form, stored[w].Text, stored[w].Link)));

        // The failed button goes out again as text, to the third chat only.
        var resent = (await graph.WaitForAsync(4))[3];
        Assert.Equal(("text", "16505550103"), (JsonNode.Parse(resent.Body)!["type"]!.GetValue<string>(), JsonNode.Parse(resent.Body)!["to"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RequestCodeWithoutAnAuthenticationTemplateIs409AndSendsNothing()
    {
        var instance = await InstanceAsync();

        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("request-code"), """{"chatId": "16505551234"}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.False(body["success"]!.GetValue<bool>());
        Assert.Contains("authentication template", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(graph.Received);
    }

    [Fact]
    public async Task SuccessMessageFallsBackToTextWhenMetaRefusesTheButton()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        graph.Then(new Answer(400, """{"error": {"message": "(#131009) Parameter value is not valid", "type": "OAuthException", "code": 131009, "error_data": {"messaging_product": "whatsapp", "details": "Interactive message type is not supported"}, "fbtrace_id": "AbCdEf"}}"""));

        await PostAsync(instance, CloudApiText(Message(link.Code)));

        var sent = await graph.WaitForAsync(2);
        var (button, text) = (JsonNode.Parse(sent[0].Body)!, JsonNode.Parse(sent[1].Body)!);
        Assert.Equal("interactive", button["type"]!.GetValue<string>());
        Assert.Equal("text", text["type"]!.GetValue<string>());
        Assert.Equal("16505551234", text["to"]!.GetValue<string>());
        var url = button["interactive"]!["action"]!["parameters"]!["url"]!.GetValue<string>();
        Assert.Equal($"Here is your login link: {url}", text["text"]!["body"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => (await DetailsAsync(instance, link.Uuid))["messages"]![0]!["status"]!.GetValue<string>() == "sent",
            "the text form accepted");
    }

    [Fact]
    public async Task ButtonThatMetaReportsFailedIsSentAgainAsText()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        await PostAsync(instance, CloudApiText(Message(link.Code)));
        var button = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!;
        Assert.Equal("interactive", button["type"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => (await DetailsAsync(instance, link.Uuid))["messages"]![0]!["status"]!.GetValue<string>() == "sent",
            "the button accepted by Meta");

        // Meta accepted the interactive message, then reported it failed (an old client, say): the text form goes out.
        await PostAsync(instance, Status(Wamid, "failed"));

        var sent = await graph.WaitForAsync(2);
        var text = JsonNode.Parse(sent[1].Body)!;
        var url = button["interactive"]!["action"]!["parameters"]!["url"]!.GetValue<string>();
        Assert.Equal(("text", $"Here is your login link: {url}"), (text["type"]!.GetValue<string>(), text["text"]!["body"]!.GetValue<string>()));
        var messages = (await DetailsAsync(instance, link.Uuid))["messages"]!.AsArray();
        Assert.Equal(2, messages.Count);
        Assert.Equal("failed", messages[0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ButtonReportedFailedAfterItWasDeliveredIsNotSentAgain()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        await PostAsync(instance, CloudApiText(Message(link.Code)));
        Assert.Single(await graph.WaitForAsync());
        await Eventually.TrueAsync(async () => (await DetailsAsync(instance, link.Uuid))["messages"]![0]!["status"]!.GetValue<string>() == "sent",
            "the button accepted by Meta");

        // Delivered (its text redacted), then a late failure: the user has the button, and there is no text left to send.
        await PostAsync(instance, Status(Wamid, "delivered"));
        await PostAsync(instance, Status(Wamid, "failed"));

        var messages = (await DetailsAsync(instance, link.Uuid))["messages"]!.AsArray();
        Assert.Single(messages);
        Assert.Single(graph.Received);
    }

    /// <summary>Meta's refusal of a send, in the shape of its error reference (<c>code</c>, <c>error_data.details</c>).</summary>
    private static Answer Refusal(int status, int code, string title, string details) => new(status, new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["message"] = $"(#{code}) {title}",
            ["type"] = "OAuthException",
            ["code"] = code,
            ["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = details },
            ["fbtrace_id"] = "Az8or2yhqkZfEZ-_4Qn_Bam",
        },
    }.ToJsonString());

    private Task<OutboundMessage> MessageAsync(Guid requestId) =>
        app.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.RequestId == requestId));

    private Task<List<OutboundAttempt>> AttemptsAsync(Guid messageId) =>
        app.WithDbAsync(db => db.OutboundAttempts.AsNoTracking().Where(a => a.MessageId == messageId).OrderBy(a => a.Id).ToListAsync());

    /// <summary>
    /// Meta's limits come as a 400 as well as a 429; its code says they pass. The reply waits (one user's pair rate at
    /// least the 6 s it asks) and goes as the button it was, never given up and never sent twice.
    /// </summary>
    [Theory]
    [InlineData(130429, "Rate limit hit", "Cloud API message throughput has been reached.", 1)]
    [InlineData(131056, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.", 6)]
    public async Task ReplyThatMetaThrottlesWaitsAndGoesAsItWas(int code, string title, string details, int leastWaitSeconds)
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        graph.Then(Refusal(400, code, title, details));

        await PostAsync(instance, CloudApiText(Message(link.Code)));

        Assert.Single(await graph.WaitForAsync());
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Attempts == 1, "the refusal to be recorded");
        var waiting = await MessageAsync(link.Uuid);
        Assert.Equal(("pending", $"HTTP 400 {code} {title}"), (waiting.Status, waiting.LastError));
        Assert.Equal((400, "retry"), Assert.Single(await AttemptsAsync(waiting.Id)) is var a ? (a.StatusCode, a.Outcome) : default);
        Assert.True(waiting.NextAttemptAt - app.Time.GetUtcNow() >= TimeSpan.FromSeconds(leastWaitSeconds), $"waits {waiting.NextAttemptAt - app.Time.GetUtcNow()}");
        Assert.Single(graph.Received);

        await app.AdvanceUntilAsync(() => graph.Received.Count >= 2, TimeSpan.FromSeconds(1), "the retry");
        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "sent", "the reply to be sent");
        Assert.All(graph.Received, r => Assert.Equal("interactive", JsonNode.Parse(r.Body)!["type"]!.GetValue<string>()));
        Assert.Equal(2, graph.Received.Count);
    }

    /// <summary>
    /// A refusal of the recipient (here outside the 24-hour window) would meet the text form too: the button is not
    /// sent again as text, and the message is failed with Meta's code.
    /// </summary>
    [Fact]
    public async Task ButtonRefusedForItsRecipientIsNotSentAgainAsText()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);
        graph.Then(Refusal(400, 131047, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."));

        await PostAsync(instance, CloudApiText(Message(link.Code)));

        await Eventually.TrueAsync(async () => (await MessageAsync(link.Uuid)).Status == "failed", "giving up");
        var message = (await DetailsAsync(instance, link.Uuid))["messages"]![0]!;
        Assert.Equal(("failed", "HTTP 400 131047 Re-engagement message"), (message["status"]!.GetValue<string>(), message["error"]!.GetValue<string>()));
        app.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Single(graph.Received);
    }

    /// <summary>
    /// Meta refuses a code's template for good when it answers (a test number's recipient not on its list): the code
    /// will never arrive, so the request ends undeliverable with its failed callback at once (SPEC 3), not at its expiry.
    /// </summary>
    [Fact]
    public async Task CodeThatMetaRefusesEndsUndeliverableWithItsFailedCallback()
    {
        var instance = await InstanceAsync(template: "passline_code");
        graph.Then(Refusal(400, 131030, "Recipient phone number not in allowed list", "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."));

        var (response, created) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            new JsonObject { ["chatId"] = "16505551234", ["callback"] = new JsonObject { ["failed"] = new Uri(receiver.BaseAddress, "/failed").ToString() } }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var uuid = Guid.Parse(created["data"]!["uuid"]!.GetValue<string>());

        var callback = JsonNode.Parse(Assert.Single(await receiver.WaitForAsync()).Body)!;
        Assert.Equal(("failed", "undeliverable", "code"),
            (callback["status"]!.GetValue<string>(), callback["reason"]!.GetValue<string>(), callback["otp_type"]!.GetValue<string>()));
        var details = await DetailsAsync(instance, uuid);
        Assert.Equal(("failed", "undeliverable"), (details["status"]!.GetValue<string>(), details["failed_reason"]!.GetValue<string>()));
        var message = Assert.Single(details["messages"]!.AsArray())!;
        Assert.Equal(("failed", "HTTP 400 131030 Recipient phone number not in allowed list"),
            (message["status"]!.GetValue<string>(), message["error"]!.GetValue<string>()));
        Assert.Single(graph.Received);
    }

    /// <summary>A code reported delivered has reached its user: a failure reported after it does not take the code away.</summary>
    [Fact]
    public async Task CodeReportedFailedAfterItWasDeliveredStillValidates()
    {
        var instance = await InstanceAsync(template: "passline_code");
        var (_, created) = await instance.Client().PostJsonAsync(instance.Api("request-code"), """{"chatId": "16505551234"}""");
        var uuid = Guid.Parse(created["data"]!["uuid"]!.GetValue<string>());
        var code = created["data"]!["code"]!.GetValue<string>();
        await Eventually.TrueAsync(async () => (await RequestAsync(app, uuid)).Status == OtpStatus.Sent, "the code accepted by Meta");

        await PostAsync(instance, Status(Wamid, "delivered"));
        await PostAsync(instance, Status(Wamid, "failed"));

        Assert.Equal("failed", (await DetailsAsync(instance, uuid))["messages"]![0]!["status"]!.GetValue<string>());
        var (validated, body) = await instance.Client().PostJsonAsync(instance.Api("validate-code"),
            new JsonObject { ["chatId"] = "16505551234", ["code"] = code }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
        Assert.Equal("validated", body["data"]!["status"]!.GetValue<string>());
    }

    /// <summary>The Cloud API never names a user by WAHA's @lid: a request bound to one could never be sent or completed.</summary>
    [Theory]
    [InlineData("request-code", "chatId")]
    [InlineData("generate-link", "chat_id")]
    public async Task LidChatIdIsRefusedOnACloudApiInstance(string call, string field)
    {
        var instance = await InstanceAsync(template: "passline_code");

        var (response, body) = await instance.Client().PostJsonAsync(instance.Api(call), new JsonObject { [field] = "185421678934133@lid" }.ToJsonString());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("@lid", Assert.Single(body["errors"]![field]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(graph.Received);
    }

    /// <summary>
    /// An app's webhooks go to one URL unless a number has its own: events of another number are not this instance's,
    /// and the operator is told, since they go unanswered.
    /// </summary>
    [Fact]
    public async Task EventsOfAnotherNumberAreIgnoredAndLogged()
    {
        var instance = await InstanceAsync();
        var link = await GenerateAsync(instance);

        Assert.Empty(await PostAsync(instance, CloudApiText(Message(link.Code), phoneNumberId: "999000111222333")));

        var warning = Assert.Single(logs.Lines, l => l.Message.Contains("999000111222333", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(OtpStatus.Pending, (await RequestAsync(app, link.Uuid)).Status);
        Assert.Empty(graph.Received);
    }
}
