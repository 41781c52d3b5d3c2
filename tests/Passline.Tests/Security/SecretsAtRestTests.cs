using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;
using static Passline.Tests.Infrastructure.Webhooks;

namespace Passline.Tests.Security;

/// <summary>
/// SPEC 8: nothing in the database lets a reader approve a login, validate a code or act as the business. Tokens and
/// codes are hashes; credentials, signing secrets, data-protection keys and waiting messages are encrypted with
/// <c>Passline:Secrets:Key</c>.
/// </summary>
public sealed class SecretsAtRestTests
{
    private static readonly string WahaKey = "waha-key-" + Guid.NewGuid().ToString("N");
    private static readonly string WahaHmac = "waha-hmac-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task TableDumpAfterLinkAndCodeFlowsHoldsNoTokenCodeOrCredential()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database);
        await using var waha = await LoopbackServer.StartAsync();
        waha.Respond = r => r.Headers.GetValueOrDefault("X-Api-Key") == WahaKey
            ? new Answer(201, $$"""{"id": "true_{{Guid.NewGuid():N}}"}""")
            : new Answer(401);
        var instance = await WahaInstanceAsync(app, waha);
        var webhookSecret = await app.WithDbAsync(db => db.Instances.Where(i => i.Id == instance.Id).Select(i => i.WebhookSecret).SingleAsync());
        Assert.StartsWith("whsec_", webhookSecret);

        // A link flow: the phone sends the code, WAHA carries the link back, the browser verifies.
        var link = await GenerateAsync(instance, """{"redirect": "https://app.example.com/in"}""");
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(SignedWaha(instance.Id, WahaMessage(Message(link.Code)), WahaHmac))).StatusCode);
        var reply = JsonNode.Parse(Assert.Single(await waha.WaitForAsync()).Body)!["text"]!.GetValue<string>();
        var path = VerificationPath(reply);
        var verified = await PressAsync(app.Client(), path);
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        var exchangeToken = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"]!;

        // A code flow: the code goes out through WAHA and is validated.
        var code = await RequestCodeAsync(instance, "201063178738");
        await waha.WaitForAsync(2);
        var (validated, _) = await instance.Client().PostJsonAsync(instance.Api("validate-code"), $$"""{"chatId": "201063178738", "code": "{{code}}"}""");
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);

        // And a code whose message is still waiting: WAHA is down.
        waha.Respond = _ => new Answer(503);
        var waitingCode = await RequestCodeAsync(instance, "201063178739");
        await waha.WaitForAsync(3);
        Assert.Equal("pending", await app.WithDbAsync(db => db.OutboundMessages.Where(m => m.ChatId == "201063178739@c.us").Select(m => m.Status).SingleAsync()));

        var dump = await DatabaseDump.AllTablesAsync(app);
        Assert.Contains(instance.Id.ToString(), dump, StringComparison.OrdinalIgnoreCase);
        string[] secrets = [path["/v/".Length..], exchangeToken, code, waitingCode, instance.Token, webhookSecret, WahaKey, WahaHmac];
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, dump, StringComparison.Ordinal));

        // The data-protection key (antiforgery, device binding) is there, encrypted.
        Assert.Contains("passlineEncryptedSecret", dump, StringComparison.Ordinal);
        Assert.DoesNotContain("unencrypted form", dump, StringComparison.Ordinal);

        // Messages delivered (or given up) are redacted; what was sent, to whom and how it went stays.
        var delivered = await app.WithDbAsync(db => db.OutboundMessages.AsNoTracking().Where(m => m.InstanceId == instance.Id && m.Status == "sent").ToListAsync());
        Assert.Equal(2, delivered.Count);
        Assert.All(delivered, m => Assert.Equal(("", null, null, 1), (m.Text, m.Code, m.Link, m.Attempts)));
        Assert.Contains(delivered, m => m.Kind == "code" && m.ChatId == "201063178738@c.us");

        // Passline itself reads them back.
        var stored = await app.WithDbAsync(db => db.Instances.AsNoTracking().SingleAsync(i => i.Id == instance.Id));
        Assert.Equal((WahaKey, WahaHmac), (stored.Settings.WahaApiKey, stored.Settings.WahaHmacKey));
    }

    [Fact]
    public async Task DevelopmentGeneratesTheKeyOnceBesideTheSqliteFileAndSaysWhere()
    {
        await using var unused = await TestDatabase.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("passline-devkey-");
        var settings = new Dictionary<string, string?>
        {
            ["Passline:Storage:Provider"] = "sqlite",
            ["ConnectionStrings:Passline"] = $"Data Source={Path.Combine(folder.FullName, "passline.db")}",
            ["Passline:Secrets:Key"] = "",
        };
        var keyFile = Path.Combine(folder.FullName, "passline.secrets-key");
        await using var waha = await LoopbackServer.StartAsync();

        var logs = new CapturedLogs();
        Guid instanceId;
        await using (var first = new PasslineApp(unused, settings, s => s.AddSingleton<ILoggerProvider>(logs), environment: "Development"))
        {
            instanceId = (await WahaInstanceAsync(first, waha)).Id;
        }

        Assert.True(File.Exists(keyFile));
        Assert.Contains(logs.Lines, l => l.Message.Contains("generated", StringComparison.Ordinal) && l.Message.Contains(keyFile, StringComparison.Ordinal));
        var key = await File.ReadAllTextAsync(keyFile);
        Assert.Equal(32, Convert.FromBase64String(key.Trim()).Length);

        await using (var second = new PasslineApp(unused, settings, environment: "Development"))
        {
            var stored = await second.WithDbAsync(db => db.Instances.AsNoTracking().SingleAsync(i => i.Id == instanceId));
            Assert.Equal(WahaKey, stored.Settings.WahaApiKey);
        }

        Assert.Equal(key, await File.ReadAllTextAsync(keyFile));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task AfterReencryptionOnlyTheNewKeyIsNeeded()
    {
        await using var database = await TestDatabase.CreateAsync();
        var oldKey = database.SecretsKey;
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var waha = await LoopbackServer.StartAsync();
        waha.Respond = _ => new Answer(503);

        Guid instanceId;
        string protectedText;
        string waitingCode;
        await using (var before = new PasslineApp(database))
        {
            var instance = await WahaInstanceAsync(before, waha);
            instanceId = instance.Id;
            protectedText = before.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("still readable");
            waitingCode = await RequestCodeAsync(instance, "201063178738");
            await waha.WaitForAsync();
        }

        await using (var rotating = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Secrets:Key"] = $"{newKey},{oldKey}" }))
        {
            var result = await rotating.WithDbAsync(db => Passline.Storage.SecretsReencryption.RunAsync(db, CancellationToken.None));
            Assert.True(result.Rows["instances"] >= 1 && result.Rows["outbound_messages"] >= 1 && result.DataProtectionKeys >= 1, result.ToString());
        }

        await using var after = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Secrets:Key"] = newKey });
        var stored = await after.WithDbAsync(db => db.Instances.AsNoTracking().SingleAsync(i => i.Id == instanceId));
        Assert.Equal((WahaKey, WahaHmac), (stored.Settings.WahaApiKey, stored.Settings.WahaHmacKey));
        Assert.Equal("still readable", after.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));
        var waiting = await after.WithDbAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(m => m.InstanceId == instanceId));
        Assert.Contains(waitingCode, waiting.Text, StringComparison.Ordinal);
    }

    private static Task<TestInstance> WahaInstanceAsync(PasslineApp app, LoopbackServer waha) =>
        app.CreateInstanceAsync(name: "Acme", provider: "waha", redirectOrigins: ["https://app.example.com"], settings: s =>
        {
            s.WahaUrl = waha.BaseAddress.ToString();
            s.WahaSession = "default";
            s.WahaApiKey = WahaKey;
            s.WahaHmacKey = WahaHmac;
        });

    /// <summary>request-code with a ten-letter code, which no timestamp or id in a dump can contain by chance.</summary>
    private static async Task<string> RequestCodeAsync(TestInstance instance, string chatId)
    {
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("request-code"),
            $$"""{"chatId": "{{chatId}}", "length": 10, "useNumber": false, "useLetter": true, "allCapital": true}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return json["data"]!["code"]!.GetValue<string>();
    }
}
