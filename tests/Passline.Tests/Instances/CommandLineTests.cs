using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Instances;

/// <summary>The executable's commands, run as real processes against the database the server then uses.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task InstanceCreatedByTheCommandLineWorksInTheServer()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Acme", "--phone", "+20 155 373 0661",
            "--provider", "simulator", "--redirect-origin", "https://app.example.com", "--redirect-origin", "https://APP.example.com:443/");
        var instanceId = created["instance"]!.GetValue<string>();
        var token = created["token"]!.GetValue<string>();
        Assert.StartsWith("whsec_", created["webhook_secret"]!.GetValue<string>());

        await using var app = new PasslineApp(database);
        var (response, body) = await app.Client(token).PostJsonAsync($"/api/otp/v2/{instanceId}/generate-link",
            """{"redirect": "https://app.example.com/done"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("https://wa.me/201553730661?text=Give+me+link+to+login+at+Acme+", body["data"]!["whatsapp_link"]!.GetValue<string>());

        var list = JsonNode.Parse(await RunAsync(database, "instance", "list"))!.AsArray();
        var listed = Assert.Single(list)!;
        Assert.Equal(instanceId, listed["instance"]!.GetValue<string>());
        Assert.Equal(["https://app.example.com"], listed["redirect_origins"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.DoesNotContain("whsec_", list.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokensAreCreatedAndRevoked()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator");
        var instanceId = created["instance"]!.GetValue<string>();
        var second = await RunJsonAsync(database, "token", "create", "--instance", instanceId);
        var secondToken = second["token"]!.GetValue<string>();

        await using var app = new PasslineApp(database);
        async Task<HttpStatusCode> Generate(string token) =>
            (await app.Client(token).PostAsync($"/api/otp/v2/{instanceId}/generate-link", null)).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Generate(secondToken));
        await RunJsonAsync(database, "token", "revoke", "--token", secondToken);
        app.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, await Generate(secondToken));
        Assert.Equal(HttpStatusCode.OK, await Generate(created["token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UpdateAndSecretRotationChangeTheInstance()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator");
        var instanceId = created["instance"]!.GetValue<string>();

        var updated = await RunJsonAsync(database, "instance", "update", "--instance", instanceId, "--provider", "waha",
            "--waha-url", "http://127.0.0.1:3000", "--waha-api-key", "key", "--waha-hmac-key", "hmac", "--name", "Acme Shop");
        Assert.Equal("waha", updated["provider"]!.GetValue<string>());
        Assert.Equal("default", updated["waha_session"]!.GetValue<string>());
        Assert.Equal("Acme Shop", updated["name"]!.GetValue<string>());
        Assert.Null(updated["waha_api_key"]);

        var rotated = await RunJsonAsync(database, "secret", "rotate", "--instance", instanceId);
        Assert.StartsWith("whsec_", rotated["webhook_secret"]!.GetValue<string>());
        Assert.NotEqual(created["webhook_secret"]!.GetValue<string>(), rotated["webhook_secret"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheInstanceLanguageIsSetByTheCommandLineAndChoosesItsMessages()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--language", "es-MX");
        var instanceId = created["instance"]!.GetValue<string>();
        Assert.Equal("es", JsonNode.Parse(await RunAsync(database, "instance", "list"))!.AsArray().Single()!["language"]!.GetValue<string>());

        await using (var app = new PasslineApp(database))
        {
            var (_, body) = await app.Client(created["token"]!.GetValue<string>()).PostJsonAsync($"/api/otp/v2/{instanceId}/generate-link", "{}");
            Assert.StartsWith("https://wa.me/201553730661?text=Env%C3%ADame+el+enlace+para+iniciar+sesi%C3%B3n+en+Acme+%5B", body["data"]!["whatsapp_link"]!.GetValue<string>());
        }

        var updated = await RunJsonAsync(database, "instance", "update", "--instance", instanceId, "--language", "pt-br");
        Assert.Equal("pt-BR", updated["language"]!.GetValue<string>());
        var (exitCode, _, stderr) = await ExecAsync(database, ["instance", "update", "--instance", instanceId, "--language", "klingon"]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--language", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--language", "xx")]
    [InlineData("--name", "Acme", "--phone", "12", "--provider", "simulator")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "telegram")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "waha")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "cloud-api", "--phone-number-id", "1")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--redirect-origin", "https://a.example.com/path")]
    [InlineData("--phone", "201553730661", "--provider", "simulator")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--reply-style", "buttons")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--button-label", "A label far longer than twenty")]
    [InlineData("--name", "Acme", "--phone", "201553730661", "--provider", "cloud-api", "--phone-number-id", "1", "--access-token", "t",
        "--app-secret", "s", "--verify-token", "v", "--auth-template", "code", "--auth-template-language", "english")]
    public async Task InvalidInstanceIsRefusedWithAMessage(params string[] options)
    {
        await using var database = await TestDatabase.CreateAsync();
        var (exitCode, stdout, stderr) = await ExecAsync(database, ["instance", "create", .. options]);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("\"token\"", stdout, StringComparison.Ordinal);
        Assert.NotEqual("", stderr.Trim());
    }

    [Fact]
    public async Task CloudApiInstanceWithoutAnAuthenticationTemplateIsCreatedWithAWarningAndButtonDefaults()
    {
        await using var database = await TestDatabase.CreateAsync();
        string[] cloud = ["--phone-number-id", "106540352242922", "--access-token", "EAAG", "--app-secret", "secret", "--verify-token", "verify"];
        var (exitCode, stdout, stderr) = await ExecAsync(database, ["instance", "create", "--name", "Acme", "--phone", "15550783881", "--provider", "cloud-api", .. cloud]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("warning: no --auth-template: request-code will answer 409", stderr, StringComparison.Ordinal);
        var instanceId = JsonNode.Parse(stdout)!["instance"]!.GetValue<string>();

        var updated = await RunJsonAsync(database, "instance", "update", "--instance", instanceId, "--auth-template", "passline_code", "--button-label", "Sign in");
        Assert.Equal(("passline_code", "en_US", "button", "Sign in"), (updated["auth_template"]!.GetValue<string>(),
            updated["auth_template_language"]!.GetValue<string>(), updated["reply_style"]!.GetValue<string>(), updated["button_label"]!.GetValue<string>()));
        var (_, _, quiet) = await ExecAsync(database, ["instance", "update", "--instance", instanceId, "--reply-style", "text", "--auth-template-language", "pt_BR"]);
        Assert.DoesNotContain("warning", quiet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateCreatesTheSchemaAndCommandsReadEnvironmentConfiguration()
    {
        await using var database = await TestDatabase.CreateAsync();
        var (exitCode, _, stderr) = await ExecAsync(database, ["migrate"], viaEnvironment: true);
        Assert.True(exitCode == 0, stderr);

        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Storage:AutoMigrate"] = "false" });
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task CommandsRunInDevelopmentWhereTheServiceContainerIsValidatedAtStart()
    {
        // `dotnet run --project src/Passline -- instance create ...` runs in Development (launchSettings.json), where the
        // host checks at start that every registered service can be built.
        await using var database = await TestDatabase.CreateAsync();
        var create = await ExecAsync(database, ["instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator"], environment: "Development");
        Assert.True(create.ExitCode == 0, create.Stderr);
        var instanceId = JsonNode.Parse(create.Stdout)!["instance"]!.GetValue<string>();

        var token = await ExecAsync(database, ["token", "create", "--instance", instanceId], environment: "Development");
        Assert.True(token.ExitCode == 0, token.Stderr);
        var purge = await ExecAsync(database, ["purge"], environment: "Development");
        Assert.True(purge.ExitCode == 0, purge.Stderr);
    }

    [Theory]
    [InlineData("", "Passline:Secrets:Key is not set")]
    [InlineData("c2hvcnQ=", "Passline:Secrets:Key is invalid: key 1 is not base64 of 32 bytes")]
    public async Task ServeAndCommandsWithoutAValidKeyOutsideDevelopmentStopWithTheMessage(string key, string message)
    {
        await using var database = await TestDatabase.CreateAsync();
        string[] withoutKey = [$"--Passline:Secrets:Key={key}"];

        var serve = await ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0", .. withoutKey]);
        var create = await ExecAsync(database, ["instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator", .. withoutKey]);

        Assert.NotEqual(0, serve.ExitCode);
        Assert.Contains(message, serve.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", serve.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, create.ExitCode);
        Assert.Contains(message, create.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Passline:ForwardedHeaders:KnownProxies=notanip", "Passline:ForwardedHeaders:KnownProxies: 'notanip' is not an IP address.")]
    [InlineData("--Passline:Management:Urls=http://127.0.0.1", "Passline:Management:Urls: 'http://127.0.0.1' must be a URL with an explicit port")]
    [InlineData("--Passline:RateLimits:PerChat=abc", "Failed to convert configuration value 'abc' at 'Passline:RateLimits:PerChat' to type 'System.Int32'.")]
    [InlineData("--Passline:Limits:RequestBodyBytes=10", "Passline:Limits: RequestBodyBytes and WebhookBodyBytes must be at least 1024.")]
    [InlineData("--Passline:PublicBaseUrl=login.example.com", "Passline:PublicBaseUrl: 'login.example.com' must be an absolute http or https URL")]
    [InlineData("--Passline:Memory:TrimWhenIdle=sometimes", "Failed to convert configuration value 'sometimes' at 'Passline:Memory:TrimWhenIdle' to type 'System.Boolean'.")]
    public async Task ServeStopsOnAConfigurationMistakeWithItsMessage(string setting, string message)
    {
        await using var database = await TestDatabase.CreateAsync();

        var (exitCode, _, stderr) = await ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0", setting]);

        Assert.True(exitCode == 1, $"exit {exitCode}: {stderr}");
        Assert.Contains($"error: {message}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresWithoutAConnectionStringIsAConfigurationMistake()
    {
        await using var database = await TestDatabase.CreateAsync();
        string[] postgres = ["--Passline:Storage:Provider=postgres", "--ConnectionStrings:Passline="];

        var serve = await ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0", .. postgres]);
        var migrate = await ExecAsync(database, ["migrate", .. postgres]);

        const string message = "Passline:Storage:Provider is 'postgres' but ConnectionStrings:Passline is not set";
        Assert.True(serve.ExitCode == 1, serve.Stderr);
        Assert.Contains(message, serve.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, migrate.ExitCode);
        Assert.Contains(message, migrate.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutputShowsTextAsItIsAndTheFirstTokensIdAndServeHasHelp()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Café +1", "--phone", "201553730661", "--provider", "simulator");
        var list = await RunAsync(database, "instance", "list");

        // The first token can be revoked by its id, like those of token create.
        var revoked = await RunJsonAsync(database, "token", "revoke", "--token-id", created["token_id"]!.GetValue<string>());
        Assert.NotNull(revoked["revoked_at"]);
        Assert.Contains("\"name\": \"Café +1\"", list, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", list, StringComparison.Ordinal);

        var (exitCode, help, _) = await ExecAsync(database, ["serve", "--help"]);
        Assert.Equal(0, exitCode);
        Assert.Contains("Run the HTTP server", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReencryptRewritesSecretsUnderTheFirstKeyAndTheOldKeyAloneNoLongerStartsTheServer()
    {
        await using var database = await TestDatabase.CreateAsync();
        var created = await RunJsonAsync(database, "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator");
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        var (exitCode, stdout, stderr) = await ExecAsync(database, ["secret", "reencrypt", $"--Passline:Secrets:Key={newKey},{database.SecretsKey}"]);
        Assert.True(exitCode == 0, stderr);
        Assert.Equal(1, JsonNode.Parse(stdout)!["rows"]!["instances"]!.GetValue<int>());

        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Secrets:Key"] = newKey });
        var secret = await app.WithDbAsync(db => Task.FromResult(db.Instances.Single().WebhookSecret));
        Assert.Equal(created["webhook_secret"]!.GetValue<string>(), secret);

        // The old key alone (the database's own setting) can read none of it: the server says so and does not start,
        // rather than answer with errors and add a data-protection key under a key the other nodes do not have.
        var serve = await ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0"]);
        Assert.True(serve.ExitCode == 1, $"exit {serve.ExitCode}: {serve.Stderr}");
        Assert.Contains("error: Passline:Secrets:Key cannot decrypt the secrets stored in instances: A stored secret was encrypted with a key that is not in Passline:Secrets:Key.",
            serve.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", serve.Stderr, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> RunJsonAsync(TestDatabase database, params string[] args) =>
        JsonNode.Parse(await RunAsync(database, args))!.AsObject();

    /// <summary>Runs a command to its end; its standard output. Fails the test when it exits other than 0.</summary>
    internal static async Task<string> RunAsync(TestDatabase database, params string[] args)
    {
        var (exitCode, stdout, stderr) = await ExecAsync(database, args);
        Assert.True(exitCode == 0, $"passline {string.Join(' ', args)} exited {exitCode}: {stderr}");
        return stdout;
    }

    /// <summary>Runs the built executable (<c>passline.dll</c>) with the database given as arguments or as environment variables.</summary>
    internal static async Task<(int ExitCode, string Stdout, string Stderr)> ExecAsync(
        TestDatabase database, string[] args, bool viaEnvironment = false, string environment = "Production")
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, Environment = { ["ASPNETCORE_ENVIRONMENT"] = environment } };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "passline.dll"));
        var command = args.TakeWhile(a => !a.StartsWith("--Passline:", StringComparison.Ordinal)).ToList();
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in database.Settings)
        {
            if (viaEnvironment)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            else
            {
                start.ArgumentList.Add($"--{key}={value}");
            }
        }

        // A test's own configuration comes last, so that it wins over the database's.
        foreach (var arg in args.Skip(command.Count))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A command that never ends (a server that should have refused to start) must not outlive its test.
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
