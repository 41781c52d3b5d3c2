using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Passline.Client;
using Passline.Instances;
using Passline.Sample;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;

namespace Passline.Tests.Client;

/// <summary>
/// <c>samples/Passline.Sample</c> on real Kestrel against a real Passline: a browser signs in through generate-link, the
/// link page, a WhatsApp message, Verify, the redirect and the exchange, and the sample receives the signed callback
/// through <c>MapPasslineCallback</c>.
/// </summary>
public sealed class SampleAppTests
{
    [Fact]
    public async Task SampleSignsTheUserInWithPasslineAndReceivesTheVerifiedCallback()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var passline = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Callbacks:AllowPrivateNetworks"] = "true" });

        // The sample is configured when it first needs Passline, which is after its address is known and the instance made.
        InstanceAdmin.Created? created = null;
        string? webhookSecret = null;
        await using var sample = SampleApp.Build(["--urls=http://127.0.0.1:0", "--environment=Testing"], builder =>
        {
            // Passline signs callbacks with its (fake) clock; the sample's verifier must read the same one.
            builder.Services.AddSingleton(_ => new CallbackVerifier(webhookSecret!, timeProvider: passline.Time));
            builder.Services.Configure<PasslineClientOptions>(o =>
            {
                o.BaseAddress = passline.BaseAddress;
                o.Instance = created!.Instance.Id;
                o.ApiToken = created.Token;
                o.WebhookSecret = webhookSecret;
            });
        });
        await sample.StartAsync();
        var sampleAddress = new Uri(((IServer)sample.Services.GetRequiredService(typeof(IServer))).Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

        created = await passline.WithDbAsync(db => InstanceAdmin.CreateAsync(db, passline.Time, new Instance
        {
            Name = "Sample",
            Phone = "201553730661",
            Provider = Providers.Simulator,
            WebhookSecret = "",
            RedirectOrigins = [sampleAddress.GetLeftPart(UriPartial.Authority)],
        }, CancellationToken.None));
        webhookSecret = created.Instance.WebhookSecret;
        var instance = new TestInstance(created.Instance.Id, created.Token, passline);

        // One browser for both sites (cookies are per host, not per port), following no redirects by itself.
        using var browser = passline.Client();
        Assert.Contains("Sign in with WhatsApp", await browser.GetStringAsync(new Uri(sampleAddress, "/")));

        var login = await browser.GetAsync(new Uri(sampleAddress, "/login"));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var linkUrl = login.Headers.Location!;
        Assert.Equal(passline.BaseAddress.Authority, linkUrl.Authority);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(linkUrl)).StatusCode);

        var uuid = Guid.Parse(linkUrl.AbsolutePath["/l/".Length..]);
        var request = await instance.Client().GetFromJsonAsync<JsonObject>(instance.Api($"requests/{uuid}"));
        var code = request!["data"]!["code"]!.GetValue<string>();

        await SimulatorSendAsync(instance, $"Give me link to login at Passline sample [{code}] - DO NOT CHANGE THIS MESSAGE");
        var reply = (await SimulatorOutboxAsync(instance))[^1];
        var verified = await PressAsync(browser, VerificationPath(reply));
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var back = verified.Headers.Location!;
        Assert.Equal($"{sampleAddress.GetLeftPart(UriPartial.Authority)}/login/done", back.GetLeftPart(UriPartial.Path));

        var done = await browser.GetAsync(back);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        var home = await browser.GetStringAsync(new Uri(sampleAddress, "/"));
        Assert.Contains("Signed in as +201063178738.", home);

        // The token worked once: the same redirect again does not sign anyone in.
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(back)).StatusCode);

        var callbacks = sample.Services.GetRequiredService<ReceivedCallbacks>();
        await passline.AdvanceUntilAsync(() => callbacks.All.Any(c => c.Payload.Uuid == uuid), TimeSpan.FromSeconds(1), "the sample's callback");
        var callback = Assert.Single(callbacks.All);
        Assert.Equal((OtpStatus.Verified, "+201063178738", "201063178738@c.us"), (callback.Payload.Status, callback.Payload.Phone, callback.Payload.ChatId));
    }

    [Fact]
    public async Task CallbackEndpointRefusesUnsignedAndWronglySignedBodiesAndTakesASignedOne()
    {
        var secret = "whsec_" + Convert.ToBase64String(new byte[32]);
        await using var sample = SampleApp.Build(["--urls=http://127.0.0.1:0", "--environment=Testing"], builder =>
            builder.Services.Configure<PasslineClientOptions>(o =>
            {
                o.BaseAddress = new Uri("http://127.0.0.1:9");
                o.Instance = Guid.NewGuid();
                o.ApiToken = "pl_unused";
                o.WebhookSecret = secret;
            }));
        await sample.StartAsync();
        var address = new Uri(((IServer)sample.Services.GetRequiredService(typeof(IServer))).Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        using var http = new HttpClient { BaseAddress = address };
        var body = """{"uuid":"a0b5e14e-95da-4bd4-9e2a-071661244bef","code":"RDYFQUBX","chat_id":"20123456789@c.us","status":"verified","verified_at":"2025-12-29T17:50:00+00:00","phone":"+20123456789","otp_type":"link","reason":null}""";

        var unsigned = await http.PostAsync("/passline/callback", Json.Body(body));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        var wrong = new HttpRequestMessage(HttpMethod.Post, "/passline/callback") { Content = Json.Body(body) };
        wrong.Headers.Add(CallbackVerifier.IdHeader, "msg_1");
        wrong.Headers.Add(CallbackVerifier.TimestampHeader, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        wrong.Headers.Add(CallbackVerifier.SignatureHeader, "v1," + Convert.ToBase64String(new byte[32]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);

        Assert.Empty(sample.Services.GetRequiredService<ReceivedCallbacks>().All);

        // Signed as the Standard Webhooks specification says, with the same (all-zero) key: taken.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = System.Security.Cryptography.HMACSHA256.HashData(new byte[32], System.Text.Encoding.UTF8.GetBytes($"msg_2.{timestamp}.{body}"));
        var signed = new HttpRequestMessage(HttpMethod.Post, "/passline/callback") { Content = Json.Body(body) };
        signed.Headers.Add(CallbackVerifier.IdHeader, "msg_2");
        signed.Headers.Add(CallbackVerifier.TimestampHeader, timestamp);
        signed.Headers.Add(CallbackVerifier.SignatureHeader, "v1," + Convert.ToBase64String(signature));
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(signed)).StatusCode);
        var received = Assert.Single(sample.Services.GetRequiredService<ReceivedCallbacks>().All);
        Assert.Equal(("msg_2", Guid.Parse("a0b5e14e-95da-4bd4-9e2a-071661244bef")), (received.WebhookId, received.Payload.Uuid));
    }
}
