using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Links;

public sealed class GenerateLinkTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Fact]
    public async Task SpecExampleRequestGivesTheDocumentedResponse()
    {
        var instance = await App.CreateInstanceAsync(name: "Hypersender", phone: "201553730661");
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), """
            {"expires": 1800, "name": "Hypersender",
             "message": {"prompt": "Give me link to login at {name}", "success": "Here is your login link: {link}",
                         "failed": "Login failed, please try again later.", "expired": "The link has been expired, please try another one."},
             "callback": {"success": "https://yourdomain.com/callback/success", "failed": "https://yourdomain.com/callback/failed"}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.Equal("OTP link request created successfully", body["message"]!.GetValue<string>());
        var data = body["data"]!.AsObject();
        Assert.Equal(
            ["uuid", "code", "chat_id", "status", "otp_type", "expires_at", "created_at", "whatsapp_link", "link_url"],
            data.Select(p => p.Key));
        var uuid = Guid.Parse(data["uuid"]!.GetValue<string>());
        var code = data["code"]!.GetValue<string>();
        Assert.Matches("^[A-Z]{8}$", code);
        Assert.Null(data["chat_id"]);
        Assert.Equal("pending", data["status"]!.GetValue<string>());
        Assert.Equal("link", data["otp_type"]!.GetValue<string>());
        Assert.Equal("2025-12-29T17:44:55+00:00", data["created_at"]!.GetValue<string>());
        Assert.Equal("2025-12-29T18:14:55+00:00", data["expires_at"]!.GetValue<string>());
        Assert.Equal(
            $"https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5B{code}%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
            data["whatsapp_link"]!.GetValue<string>());
        Assert.Equal($"{App.BaseAddress.ToString().TrimEnd('/')}/l/{uuid}", data["link_url"]!.GetValue<string>());
    }

    [Fact]
    public void ExampleCodeReproducesTheExampleLinkByteForByte() =>
        Assert.Equal(
            "https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5BRDYFQUBX%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
            Passline.Links.WhatsAppLink.Build("201553730661", "Give me link to login at Hypersender", "RDYFQUBX"));

    [Theory]
    [InlineData("Log in to {name}", "A & B", "Log+in+to+A+%26+B")]
    [InlineData("Plus+percent% hash#", "X", "Plus%2Bpercent%25+hash%23")]
    [InlineData("تسجيل الدخول إلى {name}", "متجر", "%D8%AA%D8%B3%D8%AC%D9%8A%D9%84+%D8%A7%D9%84%D8%AF%D8%AE%D9%88%D9%84+%D8%A5%D9%84%D9%89+%D9%85%D8%AA%D8%AC%D8%B1")]
    [InlineData("Sign in 🔐 to {name}", "Shop 🛒", "Sign+in+%F0%9F%94%90+to+Shop+%F0%9F%9B%92")]
    [InlineData("a?b=c/d:e;f,g@h'i\"j!k*l(m)n~o", "x", "a%3Fb%3Dc%2Fd%3Ae%3Bf%2Cg%40h%27i%22j%21k%2Al%28m%29n%7Eo")]
    public async Task WhatsAppLinkEncodesPromptAndName(string prompt, string name, string encodedPrompt)
    {
        var instance = await App.CreateInstanceAsync();
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"),
            new JsonObject { ["name"] = name, ["message"] = new JsonObject { ["prompt"] = prompt } }.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var code = body["data"]!["code"]!.GetValue<string>();
        Assert.Equal($"https://wa.me/201553730661?text={encodedPrompt}+%5B{code}%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
            body["data"]!["whatsapp_link"]!.GetValue<string>());

        // What WhatsApp decodes is exactly the text the user will send back.
        var text = Uri.UnescapeDataString(new Uri(body["data"]!["whatsapp_link"]!.GetValue<string>()).Query["?text=".Length..].Replace('+', ' '));
        Assert.Equal($"{prompt.Replace("{name}", name, StringComparison.Ordinal)} [{code}] - DO NOT CHANGE THIS MESSAGE", text);
    }

    [Fact]
    public async Task DefaultsApplyToAnEmptyRequest()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme Shop", phone: "15550783881");
        var response = await instance.Client().PostAsync(instance.Api("generate-link"), null);
        var data = (await response.ReadObjectAsync())["data"]!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1800, (DateTimeOffset.Parse(data["expires_at"]!.GetValue<string>()) - DateTimeOffset.Parse(data["created_at"]!.GetValue<string>())).TotalSeconds);
        Assert.StartsWith("https://wa.me/15550783881?text=Give+me+link+to+login+at+Acme+Shop+%5B", data["whatsapp_link"]!.GetValue<string>());

        var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.Id == Guid.Parse(data["uuid"]!.GetValue<string>())));
        Assert.Equal("Here is your login link: {link}", stored.SuccessMessage);
        Assert.Equal("Login failed, please try again later.", stored.FailedMessage);
        Assert.Equal("The link has been expired, please try another one.", stored.ExpiredMessage);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(61)]
    [InlineData(3600)]
    [InlineData(86400)]
    public async Task ExpiresAtMinusCreatedAtEqualsExpires(int expires)
    {
        var instance = await App.CreateInstanceAsync();
        App.Time.Advance(TimeSpan.FromMilliseconds(737)); // a clock between two seconds
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), $$"""{"expires": {{expires}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var createdAt = DateTimeOffset.Parse(body["data"]!["created_at"]!.GetValue<string>());
        var expiresAt = DateTimeOffset.Parse(body["data"]!["expires_at"]!.GetValue<string>());
        Assert.Equal(expires, (expiresAt - createdAt).TotalSeconds);
    }

    [Theory]
    [InlineData("201063178738@c.us", "201063178738@c.us")]
    [InlineData("+20 106 317 8738", "201063178738@c.us")]
    [InlineData("201063178738", "201063178738@c.us")]
    [InlineData("201063178738@s.whatsapp.net", "201063178738@c.us")]
    [InlineData("+1 (650) 555-1234", "16505551234@c.us")]
    [InlineData("123456789012345@lid", "123456789012345@lid")]
    public async Task ChatIdIsNormalisedAndBound(string given, string expected)
    {
        var instance = await App.CreateInstanceAsync();
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), new JsonObject { ["chatId"] = given }.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, body["data"]!["chat_id"]!.GetValue<string>());
        var stored = await App.WithDbAsync(db => db.OtpRequests.SingleAsync(r => r.InstanceId == instance.Id));
        Assert.Equal(expected, stored.BoundChatId);
        Assert.Equal(expected.EndsWith("@c.us", StringComparison.Ordinal) ? "+" + expected[..^5] : null, stored.Phone);
    }

    [Fact]
    public async Task ChatIdAliasIsAccepted()
    {
        var instance = await App.CreateInstanceAsync();
        var (response, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), """{"chat_id": "+201063178738"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("201063178738@c.us", body["data"]!["chat_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CodesAreUniqueAmongOpenRequests()
    {
        var instance = await App.CreateInstanceAsync();
        var client = instance.Client();
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.PostAsync(instance.Api("generate-link"), null)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var codes = await App.WithDbAsync(db => db.OtpRequests.Where(r => r.InstanceId == instance.Id).Select(r => r.Code).ToListAsync());
        Assert.Equal(200, codes.Count);
        Assert.Equal(200, codes.Distinct().Count());
    }

    [Fact]
    public async Task DatabaseRefusesASecondOpenRequestWithTheSameCode()
    {
        var instance = await App.CreateInstanceAsync();
        var (_, body) = await instance.Client().PostJsonAsync(instance.Api("generate-link"), "{}");
        var code = body["data"]!["code"]!.GetValue<string>();

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => App.WithDbAsync(async db =>
        {
            var copy = await db.OtpRequests.AsNoTracking().SingleAsync(r => r.Code == code && r.InstanceId == instance.Id);
            copy.Id = Guid.NewGuid();
            copy.VerificationTokenHash = null;
            db.OtpRequests.Add(copy);
            return await db.SaveChangesAsync();
        }));
        Assert.True(Passline.Storage.DbErrors.IsUniqueViolation(error));
    }

    [Fact]
    public async Task RedirectMustBeAnAllowedOrigin()
    {
        var instance = await App.CreateInstanceAsync(redirectOrigins: ["https://app.example.com"]);
        var client = instance.Client();

        var (ok, _) = await client.PostJsonAsync(instance.Api("generate-link"), """{"redirect": "https://app.example.com/after-login?x=1"}""");
        var (other, body) = await client.PostJsonAsync(instance.Api("generate-link"), """{"redirect": "https://evil.example.net/after-login"}""");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Contains("not among this instance's allowed redirect origins", body["errors"]!["redirect"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task RequestCanBeReadBack()
    {
        var instance = await App.CreateInstanceAsync();
        var client = instance.Client();
        var (_, created) = await client.PostJsonAsync(instance.Api("generate-link"), """{"chatId": "201063178738"}""");
        var uuid = created["data"]!["uuid"]!.GetValue<string>();

        var response = await client.GetAsync(instance.Api($"requests/{uuid}"));
        var data = (await response.ReadObjectAsync())["data"]!.AsObject();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var field in new[] { "uuid", "code", "chat_id", "status", "otp_type", "expires_at", "created_at", "whatsapp_link", "link_url" })
        {
            Assert.Equal(created["data"]![field]?.ToJsonString(), data[field]?.ToJsonString());
        }

        Assert.Equal("+201063178738", data["phone"]!.GetValue<string>());
        Assert.Null(data["verified_at"]);
        Assert.Null(data["validated_at"]);
        Assert.Null(data["failed_reason"]);
        Assert.Null(data["message_received_at"]);
        Assert.True(data.ContainsKey("verified_at"));
    }

    [Fact]
    public async Task PendingRequestPastItsExpiryReadsAsExpired()
    {
        var instance = await App.CreateInstanceAsync();
        var client = instance.Client();
        var (_, created) = await client.PostJsonAsync(instance.Api("generate-link"), """{"expires": 60}""");
        App.Time.Advance(TimeSpan.FromSeconds(61));

        var data = (await (await client.GetAsync(instance.Api($"requests/{created["data"]!["uuid"]}"))).ReadObjectAsync())["data"]!;
        Assert.Equal("expired", data["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0198c0de-0000-7000-8000-000000000000")]
    public async Task UnknownRequestIs404(string uuid)
    {
        var instance = await App.CreateInstanceAsync();
        var response = await instance.Client().GetAsync(instance.Api($"requests/{uuid}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False((await response.ReadObjectAsync())["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AnotherInstancesRequestIs404()
    {
        var owner = await App.CreateInstanceAsync();
        var other = await App.CreateInstanceAsync();
        var (_, created) = await owner.Client().PostJsonAsync(owner.Api("generate-link"), "{}");

        var response = await other.Client().GetAsync(other.Api($"requests/{created["data"]!["uuid"]}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
