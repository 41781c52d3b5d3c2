using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Passline.Client;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Codes;

/// <summary>request-code and validate-code (SPEC 2.3), through the client library where a client would use it.</summary>
public sealed class CodeTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private async Task<(TestInstance Instance, PasslineClient Client)> ClientAsync()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        return (instance, new PasslineClient(App.Client(), instance.Id, instance.Token));
    }

    [Fact]
    public async Task HypersenderExampleRequestsGiveTheDocumentedAnswers()
    {
        var (instance, _) = await ClientAsync();
        var (requested, body) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            """{"chatId": "201063178738@c.us", "length": 6, "useNumber": true, "useLetter": false, "allCapital": false, "name": "Hypersender", "expires": 1800}""");

        Assert.Equal(HttpStatusCode.OK, requested.StatusCode);
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.Equal("OTP code generated and message queued successfully", body["message"]!.GetValue<string>());
        var data = body["data"]!.AsObject();
        Assert.Equal(["uuid", "chat_id", "code", "status", "otp_type", "expires_at", "created_at"], data.Select(p => p.Key));
        Assert.Equal("201063178738@c.us", data["chat_id"]!.GetValue<string>());
        Assert.Matches("^[0-9]{6}$", data["code"]!.GetValue<string>());
        Assert.Equal("pending", data["status"]!.GetValue<string>());
        Assert.Equal("code", data["otp_type"]!.GetValue<string>());
        Assert.Equal(1800, (DateTimeOffset.Parse(data["expires_at"]!.GetValue<string>()) - DateTimeOffset.Parse(data["created_at"]!.GetValue<string>())).TotalSeconds);

        var (validated, result) = await instance.Client().PostJsonAsync(instance.Api("validate-code"),
            $$"""{"chatId": "201063178738@c.us", "code": "{{data["code"]}}"}""");
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
        Assert.Equal("OTP code validated successfully", result["message"]!.GetValue<string>());
        Assert.Equal(["uuid", "chat_id", "status", "validated_at"], result["data"]!.AsObject().Select(p => p.Key));
        Assert.Equal("validated", result["data"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task CodeIsSentOverWhatsAppAndBecomesSent()
    {
        var (instance, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "+20 106 317 8738", Length = 8 });

        var texts = await LinkFlow.SimulatorOutboxAsync(instance);
        Assert.Equal($"{requested.Code} is your Acme verification code. It expires in 30 minutes. Do not share it with anyone.", Assert.Single(texts));
        await Eventually.TrueAsync(async () => (await client.GetRequestAsync(requested.Uuid)).Status == "sent", "status sent");

        var details = await client.GetRequestAsync(requested.Uuid);
        Assert.Null(details.Code);
        Assert.Equal("+201063178738", details.Phone);
        var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == requested.Uuid));
        Assert.Equal("", stored.Code);
        Assert.DoesNotContain(requested.Code, Convert.ToHexString(stored.CodeHash!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheClientAsksForTheUsersLanguage()
    {
        var (instance, client) = await ClientAsync();
        var code = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738", Language = "de" });
        var link = await client.GenerateLinkAsync(new GenerateLinkRequest { Language = "ar" });

        Assert.Equal("de", (await LinkFlow.RequestAsync(App, code.Uuid)).Language);
        Assert.Equal("ar", (await LinkFlow.RequestAsync(App, link.Uuid)).Language);
        Assert.DoesNotContain("is your Acme verification code", Assert.Single(await LinkFlow.SimulatorOutboxAsync(instance)), StringComparison.Ordinal);
    }

    /// <summary>SPEC 8: nothing in the database lets a reader validate a code, and a six-digit code has a million values.</summary>
    [Fact]
    public async Task StoredCodeIsNotFoundByTryingEveryCodeAgainstItsHash()
    {
        var (_, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738", Length = 6 });
        var stored = (await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == requested.Uuid))).CodeHash!;

        var salt = requested.Uuid.ToByteArray();
        var found = Enumerable.Range(0, 1_000_000).Select(n => n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
            .Where(code => System.Security.Cryptography.SHA256.HashData([.. salt, .. System.Text.Encoding.UTF8.GetBytes(code)]).AsSpan().SequenceEqual(stored))
            .ToList();

        Assert.Empty(found);
        Assert.Equal("validated", (await client.ValidateCodeAsync("201063178738", requested.Code)).Status);
    }

    [Fact]
    public async Task CodeRequestedBeforeAKeyRotationOrAnUpgradeStillValidates()
    {
        await using var database = await TestDatabase.CreateAsync();
        RequestedCode rotated, upgraded;
        TestInstance instance;
        await using (var before = new PasslineApp(database))
        {
            instance = await before.CreateInstanceAsync(name: "Acme");
            var client = new PasslineClient(before.Client(), instance.Id, instance.Token);
            rotated = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });
            upgraded = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201553730661" });

            // Stored as codes were before they were keyed: the bare SHA-256 of the request id and the code.
            var bare = System.Security.Cryptography.SHA256.HashData([.. upgraded.Uuid.ToByteArray(), .. System.Text.Encoding.UTF8.GetBytes(upgraded.Code)]);
            await before.WithDbAsync(db => db.OtpRequests.Where(r => r.Id == upgraded.Uuid).ExecuteUpdateAsync(u => u.SetProperty(r => r.CodeHash, bare)));
        }

        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var after = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Secrets:Key"] = $"{newKey},{database.SecretsKey}" });
        var afterClient = new PasslineClient(after.Client(), instance.Id, instance.Token);

        Assert.Equal("validated", (await afterClient.ValidateCodeAsync("201063178738", rotated.Code)).Status);
        Assert.Equal("validated", (await afterClient.ValidateCodeAsync("201553730661", upgraded.Code)).Status);
    }

    [Theory]
    [InlineData(true, false, false, "^[0-9]{10}$")]
    [InlineData(false, true, false, "^[a-z]{10}$")]
    [InlineData(false, true, true, "^[A-Z]{10}$")]
    [InlineData(true, true, true, "^[0-9A-Z]{10}$")]
    public async Task CodeUsesTheRequestedAlphabet(bool useNumber, bool useLetter, bool allCapital, string pattern)
    {
        var (_, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest
        {
            ChatId = "201063178738",
            Length = 10,
            UseNumber = useNumber,
            UseLetter = useLetter,
            AllCapital = allCapital,
        });

        Assert.Matches(pattern, requested.Code);
    }

    [Theory]
    [InlineData("""{}""", "chatId")]
    [InlineData("""{"chatId": "group@g.us"}""", "chatId")]
    [InlineData("""{"chatId": "201063178738", "length": 3}""", "length")]
    [InlineData("""{"chatId": "201063178738", "length": 11}""", "length")]
    [InlineData("""{"chatId": "201063178738", "useNumber": false}""", "useNumber")]
    [InlineData("""{"chatId": "201063178738", "useNumber": "maybe"}""", "useNumber")]
    [InlineData("""{"chatId": "201063178738", "expires": 86401}""", "expires")]
    [InlineData("""{"chatId": "201063178738", "expires": 59}""", "expires")]
    [InlineData("""{"chatId": ""}""", "chatId")]
    [InlineData("""{"chatId": "201063178738", "name": 42}""", "name")]
    [InlineData("""{"chatId": "201063178738", "expires": "1800.0"}""", "expires")]
    public async Task InvalidRequestCodeNamesTheField(string body, string field)
    {
        var (instance, _) = await ClientAsync();
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("request-code"), body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([field], json["errors"]!.AsObject().Select(e => e.Key));
    }

    [Theory]
    [InlineData("""{}""", new[] { "chatId", "code" })]
    [InlineData("""{"chatId": "abc", "code": {"x": 1}}""", new[] { "chatId", "code" })]
    [InlineData("""{"chatId": "201063178738"}""", new[] { "code" })]
    public async Task InvalidValidateCodeNamesEveryField(string body, string[] fields)
    {
        var (instance, _) = await ClientAsync();
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("validate-code"), body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(fields, json["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task WholeNumbersWrittenAsFloatsAndEmptyStringsAreReadAsAClientMeansThem()
    {
        // 1800.0 from a client that computes seconds as a float; "" from one that sends an unset setting.
        var (instance, _) = await ClientAsync();
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            """{"chatId": "201063178738", "expires": 1.2e3, "length": 8.0, "name": "", "useLetter": " "}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = json["data"]!;
        Assert.Matches("^[0-9]{8}$", data["code"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromSeconds(1200),
            DateTimeOffset.Parse(data["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(data["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == Guid.Parse(data["uuid"]!.GetValue<string>())));
        Assert.Equal("Acme", stored.Name); // the instance's
    }

    [Fact]
    public async Task WrongCodeSaysHowManyAttemptsAreLeftAndFiveEndTheRequest()
    {
        var (_, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });
        var wrong = requested.Code == "000000" ? "111111" : "000000";

        for (var left = 4; left >= 1; left--)
        {
            var error = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", wrong));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
            Assert.Equal($"The code is incorrect. {left} {(left == 1 ? "attempt" : "attempts")} left.", error.Message);
        }

        var fifth = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", wrong));
        Assert.Contains("Too many wrong attempts", fifth.Message);
        var afterwards = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", requested.Code));
        Assert.Contains("Too many wrong attempts", afterwards.Message);

        var details = await client.GetRequestAsync(requested.Uuid);
        Assert.Equal(("failed", "too_many_attempts"), (details.Status, details.FailedReason));
    }

    [Fact]
    public async Task ExpiredCodeIsRefused()
    {
        var (_, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738", Expires = 60 });
        App.Time.Advance(TimeSpan.FromSeconds(60));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", requested.Code));

        Assert.Equal("The code has expired: request a new code.", error.Message);
        Assert.Equal("expired", (await client.GetRequestAsync(requested.Uuid)).Status);
    }

    [Fact]
    public async Task EachCodeWorksOnce()
    {
        var (_, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });

        var validated = await client.ValidateCodeAsync("+201063178738", requested.Code);
        var again = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", requested.Code));

        Assert.Equal(("validated", requested.Uuid), (validated.Status, validated.Uuid));
        Assert.Equal("This code has already been validated.", again.Message);
    }

    [Fact]
    public async Task NewerCodeSupersedesTheOlderOne()
    {
        var (_, client) = await ClientAsync();
        var older = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });
        App.Time.Advance(TimeSpan.FromSeconds(1));
        var newer = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });

        Assert.Equal(("failed", "superseded"), ((await client.GetRequestAsync(older.Uuid)).Status, (await client.GetRequestAsync(older.Uuid)).FailedReason));
        if (older.Code != newer.Code)
        {
            await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201063178738", older.Code));
        }

        Assert.Equal("validated", (await client.ValidateCodeAsync("201063178738", newer.Code)).Status);
    }

    [Fact]
    public async Task NoCodeForTheChat()
    {
        var (_, client) = await ClientAsync();

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => client.ValidateCodeAsync("201999999999", "123456"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("No active code for this chat: request a code first.", error.Message);
    }

    [Fact]
    public async Task TwentyConcurrentValidationsValidateOnce()
    {
        var (instance, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738" });

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            instance.Client().PostAsync(instance.Api("validate-code"), Json.Body($$"""{"chatId": "201063178738", "code": "{{requested.Code}}"}"""))));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode));
    }

    [Fact]
    public async Task ThirtyConcurrentWrongCodesAllAnswerTheTrueReason()
    {
        var (instance, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738", UseNumber = false, UseLetter = true, Length = 8 });
        var wrong = requested.Code == "aaaaaaaa" ? "bbbbbbbb" : "aaaaaaaa";

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            var response = await instance.Client().PostAsync(instance.Api("validate-code"), Json.Body($$"""{"chatId": "201063178738", "code": "{{wrong}}"}"""));
            return (response.StatusCode, Message: (await response.ReadObjectAsync())["message"]!.GetValue<string>());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode));
        Assert.All(responses, r => Assert.True(r.Message.StartsWith("The code is incorrect.", StringComparison.Ordinal)
            || r.Message == "Too many wrong attempts: request a new code.", r.Message));
        Assert.Equal(
            ["The code is incorrect. 1 attempt left.", "The code is incorrect. 2 attempts left.", "The code is incorrect. 3 attempts left.",
             "The code is incorrect. 4 attempts left.", "The code is incorrect. Too many wrong attempts: request a new code."],
            responses.Select(r => r.Message).Where(m => m.StartsWith("The code is incorrect.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var stored = await LinkFlow.RequestAsync(instance.App, requested.Uuid);
        Assert.Equal(("failed", "too_many_attempts", 5), (stored.Status.Name(), stored.FailedReason, stored.FailedAttempts));
    }

    [Fact]
    public async Task NumericCodeMayBeSentAsAJsonNumber()
    {
        var (instance, client) = await ClientAsync();
        var requested = await client.RequestCodeAsync(new RequestCodeRequest { ChatId = "201063178738", Length = 6 });
        var numeric = requested.Code.TrimStart('0').Length == requested.Code.Length;

        var response = await instance.Client().PostAsync(instance.Api("validate-code"),
            Json.Body(new JsonObject { ["chatId"] = "201063178738", ["code"] = numeric ? JsonValue.Create(long.Parse(requested.Code, System.Globalization.CultureInfo.InvariantCulture)) : requested.Code }.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
