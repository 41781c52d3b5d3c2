using System.Net;
using Microsoft.EntityFrameworkCore;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Links;

/// <summary>SPEC 3's table, played on the simulator provider.</summary>
public sealed class LinkLifecycleTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Fact]
    public async Task UserSendsTheCodeVerifiesAndTheApplicationExchangesTheToken()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", redirectOrigins: ["https://app.example.com"]);
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/done?next=%2Fhome"}""");

        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code), from: "+20 106 317 8738"));
        var reply = Assert.Single(await SimulatorOutboxAsync(instance));
        Assert.StartsWith("Here is your login link: http://127.0.0.1:", reply);
        var received = await RequestAsync(App, link.Uuid);
        Assert.Equal(("pending", "201063178738@c.us", "+201063178738"), (received.Status.Name(), received.ChatId, received.Phone));
        Assert.Equal(App.Time.GetUtcNow(), received.MessageReceivedAt);

        var browser = App.Client();
        var path = VerificationPath(reply);
        var (page, html, _) = await OpenAsync(browser, path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Sign in to Acme?", html);
        Assert.Contains("+201063178738", html);
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());

        var verified = await PressAsync(browser, path);
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var location = verified.Headers.Location!;
        Assert.Equal("https://app.example.com/done", location.GetLeftPart(UriPartial.Path));
        var query = System.Web.HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("/home", query["next"]);
        Assert.Equal(link.Uuid.ToString(), query["otp_uuid"]);
        var otpToken = query["otp_token"]!;

        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal("verified", stored.Status.Name());
        Assert.Equal(App.Time.GetUtcNow(), stored.VerifiedAt);

        var (exchanged, body) = await instance.Client().PostJsonAsync(instance.Api("exchange"), $$"""{"token": "{{otpToken}}"}""");
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        var data = body["data"]!;
        Assert.Equal(link.Uuid.ToString(), data["uuid"]!.GetValue<string>());
        Assert.Equal("201063178738@c.us", data["chat_id"]!.GetValue<string>());
        Assert.Equal("+201063178738", data["phone"]!.GetValue<string>());
        Assert.Equal("verified", data["status"]!.GetValue<string>());
        Assert.Equal(Passline.Api.ApiJson.Timestamp(App.Time.GetUtcNow()), data["verified_at"]!.GetValue<string>());

        var again = await instance.Client().PostAsync(instance.Api("exchange"), Json.Body($$"""{"token": "{{otpToken}}"}"""));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    [Fact]
    public async Task WithoutRedirectThePageSaysVerified()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code));
        var path = VerificationPath((await SimulatorOutboxAsync(instance)).Single());

        var response = await PressAsync(App.Client(), path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("You can close this page", await response.Content.ReadAsStringAsync());
        Assert.Equal("verified", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task BoundChatAndAnotherSenderFailsAndTellsTheSender()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"chatId": "201063178738", "message": {"failed": "Nope, {name}."}}""");

        Assert.Equal("wrong_sender", await SimulatorSendAsync(instance, Message(link.Code), from: "201111111111"));

        Assert.Equal(["Nope, Hypersender."], await SimulatorOutboxAsync(instance, "201111111111@c.us"));
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(("failed", "wrong_sender"), (stored.Status.Name(), stored.FailedReason));
        Assert.Null(stored.VerificationTokenHash);
    }

    [Fact]
    public async Task BoundChatItselfIsMatched()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"chatId": "+20 106 317 8738"}""");

        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code), from: "201063178738@s.whatsapp.net"));
    }

    [Fact]
    public async Task ExpiredLinkSendsExpiredMessage()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"expires": 60}""");
        App.Time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal("expired", await SimulatorSendAsync(instance, Message(link.Code)));

        Assert.Equal(["The link has been expired, please try another one."], await SimulatorOutboxAsync(instance));
        Assert.Equal("expired", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task EndedRequestAnswersFailedWithoutChangingState()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code));
        await PressAsync(App.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
        App.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("ended", await SimulatorSendAsync(instance, Message(link.Code)));

        var messages = await SimulatorOutboxAsync(instance, count: 2);
        Assert.Equal("Login failed, please try again later.", messages[1]);
        Assert.Equal("verified", (await RequestAsync(App, link.Uuid)).Status.Name());
    }

    [Fact]
    public async Task UnknownCodeGetsTheDefaultFailedTextAtMostOnceAMinute()
    {
        var instance = await App.CreateInstanceAsync();
        const string chat = "201222222222";

        Assert.Equal("unknown_code", await SimulatorSendAsync(instance, Message("ZZZZZZZZ"), from: chat));
        Assert.Equal("unknown_code", await SimulatorSendAsync(instance, Message("YYYYYYYY"), from: chat));
        Assert.Single(await SimulatorOutboxAsync(instance, chat + "@c.us"));

        App.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("unknown_code", await SimulatorSendAsync(instance, Message("XXXXXXXX"), from: chat));
        Assert.Equal(
            ["Login failed, please try again later.", "Login failed, please try again later."],
            await SimulatorOutboxAsync(instance, chat + "@c.us", count: 2));
    }

    [Fact]
    public async Task MessagesWithoutACodeAreIgnored()
    {
        var instance = await App.CreateInstanceAsync();
        Assert.Equal("no_code", await SimulatorSendAsync(instance, "hello there", from: "201333333333"));
        Assert.Equal("no_code", await SimulatorSendAsync(instance, "[ABC] [ABCDEFGHI] [1234ABCD]", from: "201333333333"));

        // Replies are queued in the same transaction as the answer to the webhook: none was.
        Assert.Equal(0, await App.WithDbAsync(db => db.OutboundMessages.CountAsync(m => m.InstanceId == instance.Id)));
    }

    [Theory]
    [InlineData("Give me link to login at Acme [{0}] - DO NOT CHANGE THIS MESSAGE")]
    [InlineData("give me link   to login [{0}]")]
    [InlineData("*[{0}]*")]
    [InlineData("[ {0} ]")]
    [InlineData("Link please\n[{0}]\n- DO NOT CHANGE")]
    public async Task TheCodeIsWhatCountsNotTheRestOfTheText(string template)
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, link.Code);

        Assert.Equal("matched", await SimulatorSendAsync(instance, template.StartsWith("[ ", StringComparison.Ordinal) ? text.ToLowerInvariant() : text));
    }

    [Fact]
    public async Task SendingTheCodeAgainIssuesAFreshLinkAndTheOldOneStopsWorking()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code));
        var first = VerificationPath((await SimulatorOutboxAsync(instance)).Single());
        App.Time.Advance(TimeSpan.FromSeconds(1));
        await SimulatorSendAsync(instance, Message(link.Code));
        var second = VerificationPath((await SimulatorOutboxAsync(instance, count: 2))[1]);

        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.NotFound, (await App.Client().GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PressAsync(App.Client(), second)).StatusCode);
    }

    [Fact]
    public async Task DuplicateDeliveryOfTheSameMessageIsIgnored()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);

        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code), id: "wamid.same"));
        Assert.Equal("duplicate", await SimulatorSendAsync(instance, Message(link.Code), id: "wamid.same"));

        Assert.Single(await SimulatorOutboxAsync(instance));
    }

    [Fact]
    public async Task MoreThanTenMessagesAMinuteFromOneChatAreIgnoredAndCounted()
    {
        var instance = await App.CreateInstanceAsync();
        const string chat = "201444444444";
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("no_code", await SimulatorSendAsync(instance, "spam " + i, from: chat));
        }

        var link = await GenerateAsync(instance);
        Assert.Equal("rate_limited", await SimulatorSendAsync(instance, Message(link.Code), from: chat));
        Assert.Equal("pending", (await RequestAsync(App, link.Uuid)).Status.Name());
        Assert.Null((await RequestAsync(App, link.Uuid)).ChatId);

        App.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code), from: chat));
    }

    [Fact]
    public async Task ThisWasntMeDeclines()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);
        await SimulatorSendAsync(instance, Message(link.Code));
        var path = VerificationPath((await SimulatorOutboxAsync(instance)).Single());

        var response = await PressAsync(App.Client(), path, "decline");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("the sign-in was refused", await response.Content.ReadAsStringAsync());
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(("failed", "declined"), (stored.Status.Name(), stored.FailedReason));
        Assert.Equal(HttpStatusCode.Gone, (await App.Client().GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task ThisWasntMeAfterExpiryIsExpired()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"expires": 60}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        var path = VerificationPath((await SimulatorOutboxAsync(instance)).Single());
        var browser = App.Client();
        var (_, _, form) = await OpenAsync(browser, path);

        // Past expires_at, before any sweeper has come by: a node without workers, its clock a minute on.
        await using var node = new PasslineApp(fixture.Database, new Dictionary<string, string?> { ["Passline:Workers:Enabled"] = "false" });
        node.Time.AdjustTime(App.Time.GetUtcNow() + TimeSpan.FromSeconds(61));
        var response = await browser.PostAsync(new Uri(node.BaseAddress, path), new FormUrlEncodedContent([form!.Value, new("action", "decline")]));

        Assert.DoesNotContain("the sign-in was refused", await response.Content.ReadAsStringAsync());
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(("expired", null), (stored.Status.Name(), stored.FailedReason));
    }

    [Fact]
    public async Task CancelEndsAnOpenRequestOnce()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance);

        var (cancelled, body) = await instance.Client().PostJsonAsync(instance.Api($"requests/{link.Uuid}/cancel"), "{}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("failed", body["data"]!["status"]!.GetValue<string>());
        Assert.Equal("cancelled", body["data"]!["failed_reason"]!.GetValue<string>());

        var again = await instance.Client().PostAsync(instance.Api($"requests/{link.Uuid}/cancel"), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await instance.Client().PostAsync(instance.Api($"requests/{Guid.NewGuid()}/cancel"), null)).StatusCode);

        Assert.Equal("ended", await SimulatorSendAsync(instance, Message(link.Code)));
    }

    /// <summary>SPEC 3: once expires_at passes the request is expired, and SPEC 2.4: cancel of an ended request is 409.</summary>
    [Fact]
    public async Task CancelAfterTheExpiryIs409AndTheRequestStaysExpired()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"expires": 60}""");
        App.Time.Advance(TimeSpan.FromSeconds(60));

        var (response, body) = await instance.Client().PostJsonAsync(instance.Api($"requests/{link.Uuid}/cancel"), "{}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("The request has already ended: it is expired.", body["message"]!.GetValue<string>());
        var stored = await RequestAsync(App, link.Uuid);
        Assert.Equal(("expired", (string?)null), (stored.Status.Name(), stored.FailedReason));
    }

    /// <summary>The name goes into the pre-filled message before the code; bracketed words in it do not hide the code.</summary>
    [Fact]
    public async Task NameWithBracketedWordsStillLetsTheMessageMatch()
    {
        var instance = await App.CreateInstanceAsync();
        const string name = "Acme [AAAAAAAA][BBBBBBBB][CCCCCCCC][DDDDDDDD][EEEEEEEE]";
        var link = await GenerateAsync(instance, $$"""{"name": "{{name}}"}""");

        Assert.Equal("matched", await SimulatorSendAsync(instance, Message(link.Code, name)));
    }

    /// <summary>
    /// A name holding another open request's code (an attacker's request named "Acme [victim's code]") does not send the
    /// login of whoever sends its pre-filled message to that other request: the message has no bracketed code but its own.
    /// </summary>
    [Fact]
    public async Task ANameHoldingAnotherRequestsCodeDoesNotMatchThatRequest()
    {
        var instance = await App.CreateInstanceAsync();
        var other = await GenerateAsync(instance);
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), $$"""{"name": "Acme [{{other.Code}}]"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var own = Guid.Parse(body["data"]!["uuid"]!.GetValue<string>());
        var link = new Uri(body["data"]!["whatsapp_link"]!.GetValue<string>());
        var text = System.Web.HttpUtility.ParseQueryString(link.Query)["text"]!;
        Assert.StartsWith($"Give me link to login at Acme ({other.Code}) [", text, StringComparison.Ordinal);

        Assert.Equal("matched", await SimulatorSendAsync(instance, text, from: "201555000001"));
        Assert.Equal("201555000001@c.us", (await RequestAsync(App, own)).ChatId);
        Assert.Null((await RequestAsync(App, other.Uuid)).ChatId);

        // A message a user edited to hold two open codes goes to the last of them, not to the first in the code index.
        Created[] two = [await GenerateAsync(instance), await GenerateAsync(instance)];
        var (low, high) = string.CompareOrdinal(two[0].Code, two[1].Code) < 0 ? (two[0], two[1]) : (two[1], two[0]);
        Assert.Equal("matched", await SimulatorSendAsync(instance, $"[{low.Code}] [{high.Code}]", from: "201555000002"));
        Assert.Equal("201555000002@c.us", (await RequestAsync(App, high.Uuid)).ChatId);
        Assert.Null((await RequestAsync(App, low.Uuid)).ChatId);
    }

    [Fact]
    public async Task SweeperExpiresRequestsWhenTheirTimeHasPassed()
    {
        var instance = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"expires": 60}""");

        App.Time.Advance(TimeSpan.FromSeconds(60));
        await App.AdvanceUntilAsync(async () => (await RequestAsync(App, link.Uuid)).Status.Name() == "expired", TimeSpan.FromSeconds(5), "the sweeper");

        var stored = await RequestAsync(App, link.Uuid);
        Assert.Null(stored.FailedReason);
        Assert.NotNull(stored.EndedAt);
    }

    [Fact]
    public async Task ExchangeTokenLastsFiveMinutes()
    {
        var instance = await App.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/"}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        var verified = await PressAsync(App.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
        var token = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"];

        App.Time.Advance(TimeSpan.FromMinutes(5));

        var response = await instance.Client().PostAsync(instance.Api("exchange"), Json.Body($$"""{"token": "{{token}}"}"""));
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    }

    [Fact]
    public async Task ExchangeTokenOfAnotherInstanceIsRefused()
    {
        var instance = await App.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var other = await App.CreateInstanceAsync();
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/"}""");
        await SimulatorSendAsync(instance, Message(link.Code));
        var verified = await PressAsync(App.Client(), VerificationPath((await SimulatorOutboxAsync(instance)).Single()));
        var token = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"];

        Assert.Equal(HttpStatusCode.Gone, (await other.Client().PostAsync(other.Api("exchange"), Json.Body($$"""{"token": "{{token}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await instance.Client().PostAsync(instance.Api("exchange"), Json.Body($$"""{"token": "{{token}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await instance.Client().PostAsync(instance.Api("exchange"), Json.Body("{}"))).StatusCode);
    }
}
