using System.Net;
using System.Net.Sockets;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Instances.CommandLineTests;

namespace Passline.Tests.Instances;

/// <summary>
/// What stops <c>serve</c> or a command before it does its work (an address it cannot listen on, a database it cannot use,
/// a stored secret no key opens), as an operator sees it: one line <c>error: ...</c> on stderr, exit code 1 for
/// <c>serve</c> and 2 for a command, no stack trace.
/// </summary>
public sealed class CommandLineStartFailureTests
{
    [Theory]
    [InlineData("127.0.0.1", "Urls: '127.0.0.1' is not a URL to listen on")]
    [InlineData("http://127.0.0.1:99999", "Urls: 'http://127.0.0.1:99999' is not a URL to listen on")]
    [InlineData("https://127.0.0.1:0", "cannot listen on Urls: Unable to configure HTTPS endpoint. No server certificate was specified")]
    public async Task UnusableUrlsStopServe(string urls, string message)
    {
        await using var database = await TestDatabase.CreateAsync();

        AssertOneError(await ExecAsync(database, ["serve", "--urls", urls]), 1, message);
    }

    [Fact]
    public async Task PortInUseStopsServe()
    {
        await using var database = await TestDatabase.CreateAsync();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var result = await ExecAsync(database, ["serve", "--urls", url]);

        AssertOneError(result, 1, $"cannot listen on Urls: Failed to bind to address {url}: address already in use.");
    }

    public static TheoryData<string[], string> DatabaseMistakes => new()
    {
        { ["--Passline:Storage:Provider=postgres", "--ConnectionStrings:Passline=Host=127.0.0.1;Port=1;Username=passline"], "cannot reach the database (127.0.0.1:1): " },
        { ["--Passline:Storage:Provider=sqlite", "--ConnectionStrings:Passline=garbage"], "ConnectionStrings:Passline is not a valid connection string: " },
        { ["--Passline:Storage:Provider=postgres", "--ConnectionStrings:Passline=garbage"], "ConnectionStrings:Passline is not a valid connection string: " },
        { ["--Passline:Storage:Provider=sqlite", "--ConnectionStrings:Passline=Data Source=/proc/nope/x.db"], "cannot open the SQLite database /proc/nope/x.db: " },
        { ["--Passline:Storage:AutoMigrate=false"], "the database is not migrated to this version of Passline; run passline migrate" },
    };

    [Theory]
    [MemberData(nameof(DatabaseMistakes))]
    public async Task DatabaseThatCannotBeUsedStopsServeAndCommands(string[] settings, string message)
    {
        await using var database = await TestDatabase.CreateAsync();

        AssertOneError(await ExecAsync(database, ["serve", "--urls", "http://127.0.0.1:0", .. settings]), 1, message);
        AssertOneError(await ExecAsync(database, ["instance", "list", .. settings]), 2, message);
        if (!settings.Contains("--Passline:Storage:AutoMigrate=false"))
        {
            AssertOneError(await ExecAsync(database, ["migrate", .. settings]), 2, message);
        }
    }

    [Fact]
    public async Task StorageProviderIsReadWithoutRegardToCase()
    {
        await using var database = await TestDatabase.CreateSqliteAsync();

        var (exitCode, _, stderr) = await ExecAsync(database, ["migrate", "--Passline:Storage:Provider=SQLite"]);

        Assert.True(exitCode == 0, stderr);
    }

    [Fact]
    public async Task ReencryptWithoutTheOldKeySaysWhichKeyIsMissing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await RunAsync(database, "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator");
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        var result = await ExecAsync(database, ["secret", "reencrypt", $"--Passline:Secrets:Key={newKey}"]);

        AssertOneError(result, 2, "Passline:Secrets:Key cannot decrypt the secrets stored in instances: A stored secret was encrypted with a key that is not in Passline:Secrets:Key.");
    }

    /// <summary>Exactly one line on stderr, <c>error: </c> and the message's start; no stack frame, no help page.</summary>
    internal static void AssertOneError((int ExitCode, string Stdout, string Stderr) result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}: {result.Stderr}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"error: {message}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }
}
