using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Hosting;
using Passline.Instances;
using Passline.Storage;

namespace Passline;

/// <summary>
/// The executable's commands besides <c>serve</c> (SPEC 8): <c>migrate</c>, <c>instance</c>, <c>token</c>, <c>secret</c>,
/// <c>purge</c>.
/// Tokens a command does not know are configuration (<c>--ConnectionStrings:Passline=...</c>), read from the same
/// sources as <c>serve</c>, so a command writes to the database that the server uses.
/// </summary>
public static class PasslineCommandLine
{
    private static readonly string[] Commands = ["migrate", "instance", "token", "secret", "purge", "--help", "-h", "-?", "help", "--version"];

    /// <summary>
    /// The API's JSON, indented, and with <c>+</c> and non-ASCII text as they are: an operator copies secrets (base64, half
    /// of them with a <c>+</c>) and names from a terminal, where <c>\u002B</c> would be copied as six characters.
    /// </summary>
    private static readonly JsonSerializerOptions Output = new(ApiJson.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether <paramref name="args"/> name a command, or ask for <c>serve</c>'s help; <c>serve</c> itself runs in Program.</summary>
    public static bool Handles(string[] args) =>
        args.Length > 0 && (Commands.Contains(args[0]) || (args[0] == "serve" && args.Skip(1).Any(a => a is "--help" or "-h" or "-?")));

    public static Task<int> InvokeAsync(string[] args)
    {
        var root = new RootCommand("Passline: passwordless login and phone verification over WhatsApp.");
        root.Subcommands.Add(new Command("serve", "Run the HTTP server (the default when no command is given)."));
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(InstanceCommands.Instance());
        root.Subcommands.Add(InstanceCommands.Token());
        root.Subcommands.Add(InstanceCommands.Secret());
        root.Subcommands.Add(Retention.PurgeCommand.Purge());
        return root.Parse(args is ["help", .. var rest] ? [.. rest, "--help"] : args).InvokeAsync();
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Apply pending database migrations and exit.");
        AcceptConfiguration(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, (_, _, _) => Task.FromResult(Done("Database is up to date.")), cancellationToken, forceMigrate: true));
        return command;
    }

    /// <summary>
    /// Host options shared by every command: appsettings.json is read from beside the executable, wherever it is
    /// started from; relative paths in configuration (the SQLite file) stay relative to the working directory.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new() { Args = args, ContentRootPath = AppContext.BaseDirectory };

    public static void AcceptConfiguration(Command command) => command.TreatUnmatchedTokensAsErrors = false;

    /// <summary>Runs a command's work on the configured database, migrating first unless that is switched off.</summary>
    public static Task<int> RunAsync(
        ParseResult parse, Func<PasslineDb, TimeProvider, CancellationToken, Task<int>> work, CancellationToken cancellationToken, bool forceMigrate = false) =>
        RunAsync(parse, (_, db, time, ct) => work(db, time, ct), cancellationToken, forceMigrate);

    /// <summary>The same, for a command that needs more of the configured services (configuration, scopes) than the database.</summary>
    public static async Task<int> RunAsync(
        ParseResult parse, Func<IServiceProvider, PasslineDb, TimeProvider, CancellationToken, Task<int>> work, CancellationToken cancellationToken,
        bool forceMigrate = false)
    {
        var builder = WebApplication.CreateBuilder(Options([.. parse.UnmatchedTokens]));

        // stdout carries the command's JSON; diagnostics go to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // EF Core reports a failed connection, query or save before throwing it; the command's one line of error says it, or the
        // exception itself does.
        foreach (var category in new[] { "Microsoft.EntityFrameworkCore.Database", "Microsoft.EntityFrameworkCore.Query", "Microsoft.EntityFrameworkCore.Update" })
        {
            builder.Logging.AddFilter(category, LogLevel.None);
        }
        builder.Services.AddPasslineStorage(builder.Configuration);
        await using var app = builder.Build();
        try
        {
            _ = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
            app.Services.GetRequiredService<SecretBox>();
            await DatabaseStartup.PrepareAsync(app.Services, forceMigrate, cancellationToken);
            await using var scope = app.Services.CreateAsyncScope();
            return await work(app.Services, scope.ServiceProvider.GetRequiredService<PasslineDb>(), TimeProvider.System, cancellationToken);
        }
        catch (Exception e) when ((ConfigurationException.MessageOf(e) ?? CryptographyProblem(e)) is { } message)
        {
            return Fail(message);
        }
    }

    /// <summary>A stored secret that the configured keys cannot decrypt: its message says which key to add back.</summary>
    private static string? CryptographyProblem(Exception? e) => e switch
    {
        null => null,
        CryptographicException => e.Message,
        _ => CryptographyProblem(e.InnerException),
    };

    public static int Print(object value)
    {
        Console.WriteLine(JsonSerializer.Serialize(value, Output));
        return 0;
    }

    public static int Done(string message)
    {
        Console.Error.WriteLine(message);
        return 0;
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
