using System.Text.Json.Nodes;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Instances.CommandLineStartFailureTests;
using static Passline.Tests.Instances.CommandLineTests;

namespace Passline.Tests.Instances;

/// <summary>
/// A mistake on the command line or in the configuration, as an operator sees it: one line <c>error: ...</c> on stderr,
/// exit code 2 for a command and 1 for <c>serve</c>, no stack trace and no help page.
/// </summary>
public sealed class CommandLineMistakeTests
{
    private static readonly string[] Create = ["instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator"];

    [Fact]
    public async Task UnknownCommandIsRefusedAndStartsNoServer()
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ExecAsync(database, ["instnace", "list", "--urls", "http://127.0.0.1:0"]);

        AssertOneError(result, 2, "unknown command 'instnace' (see passline --help)");
        Assert.DoesNotContain("Now listening", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Application started", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigurationFirstStillMeansServe()
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ExecAsync(database, ["--urls", "http://127.0.0.1:0", "--Passline:Memory:TrimWhenIdle=sometimes"]);

        AssertOneError(result, 1, "Failed to convert configuration value 'sometimes' at 'Passline:Memory:TrimWhenIdle'");
    }

    [Theory]
    [InlineData("--waha-sesion", "sess2")]
    [InlineData("--nmae", "Y")]
    public async Task UnknownOptionIsRefused(string option, string value)
    {
        await using var database = await TestDatabase.CreateAsync();

        var result = await ExecAsync(database, [.. Create, option, value]);

        AssertOneError(result, 2, $"unknown option '{option}' (see passline instance create --help)");
    }

    [Fact]
    public async Task StrayArgumentsAreRefused()
    {
        await using var database = await TestDatabase.CreateAsync();

        AssertOneError(await ExecAsync(database, ["instance", "list", "extra"]), 2, "unexpected argument 'extra'");
        AssertOneError(await ExecAsync(database, ["serve", "extra", "--urls", "http://127.0.0.1:0"]), 1, "unexpected argument 'extra'");
    }

    [Fact]
    public async Task SeveralRedirectOriginsFollowOneOption()
    {
        await using var database = await TestDatabase.CreateAsync();

        var created = JsonNode.Parse(await RunAsync(database,
            [.. Create, "--redirect-origin", "https://a.example.com", "https://b.example.com", "--redirect-origin", "https://c.example.com"]))!;

        var listed = JsonNode.Parse(await RunAsync(database, "instance", "list"))!.AsArray().Single()!;
        Assert.Equal(created["instance"]!.GetValue<string>(), listed["instance"]!.GetValue<string>());
        Assert.Equal(["https://a.example.com", "https://b.example.com", "https://c.example.com"],
            listed["redirect_origins"]!.AsArray().Select(o => o!.GetValue<string>()));
    }

    [Theory]
    [InlineData("--older-than must be a whole number of days", "purge", "--older-than", "abc")]
    [InlineData("--token-id must be a token id (a UUID)", "token", "revoke", "--token-id", "notauuid")]
    [InlineData("--instance must be an instance id (a UUID)", "instance", "update", "--instance", "nope")]
    [InlineData("--instance must be an instance id (a UUID)", "secret", "rotate", "--instance", "nope")]
    [InlineData("--provider is required", "instance", "create", "--name", "Acme", "--phone", "201553730661")]
    [InlineData("--name needs a value", "instance", "create", "--phone", "201553730661", "--provider", "simulator", "--name")]
    [InlineData("passline instance needs a command: create, list, update", "instance")]
    [InlineData("--older-than must be 0 to 36500 days", "purge", "--older-than", "3000000")]
    [InlineData("--older-than must be 0 to 36500 days", "purge", "--older-than", "40000")]
    [InlineData("Passline:Retention:Days must be 0 to 36500", "purge", "--Passline:Retention:Days=3000000")]
    [InlineData("Failed to convert configuration value 'abc' at 'Passline:Retention:Days'", "purge", "--Passline:Retention:Days=abc")]
    public async Task ValueThatIsNotOneIsRefusedInTheProjectsWords(string message, params string[] args)
    {
        await using var database = await TestDatabase.CreateAsync();

        AssertOneError(await ExecAsync(database, args), 2, message);
    }

    [Theory]
    [InlineData("--graph-url must be an absolute http(s) URL", "--provider", "cloud-api", "--graph-url", "notaurl")]
    [InlineData("--graph-version must be a Graph API version such as v21.0", "--provider", "cloud-api", "--graph-version", "21")]
    [InlineData("--waha-url must be an absolute http(s) URL", "--provider", "waha", "--waha-url", "ftp://x", "--waha-hmac-key", "k")]
    public async Task BadProviderUrlOrVersionIsNamed(string message, params string[] options)
    {
        await using var database = await TestDatabase.CreateAsync();
        string[] credentials = ["--phone-number-id", "1", "--access-token", "t", "--app-secret", "s", "--verify-token", "v"];

        var result = await ExecAsync(database, ["instance", "create", "--name", "Acme", "--phone", "201553730661", .. credentials, .. options]);

        AssertOneError(result, 2, message);
    }

    [Fact]
    public async Task UpdateHelpShowsNoDefaults()
    {
        await using var database = await TestDatabase.CreateAsync();

        var (exitCode, help, _) = await ExecAsync(database, ["instance", "update", "--help"]);

        Assert.Equal(0, exitCode);
        Assert.Contains("--graph-version", help, StringComparison.Ordinal);
        Assert.DoesNotContain("(default", help, StringComparison.Ordinal);
    }
}
