using System.CommandLine;
using System.CommandLine.Parsing;
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
/// Configuration on a command's line (<c>--ConnectionStrings:Passline=...</c>) is read with the same sources as
/// <c>serve</c>, so a command writes to the database that the server uses; any other token it does not know is a mistake.
/// </summary>
public static class PasslineCommandLine
{
    private static readonly string[] Commands = ["serve", "migrate", "instance", "token", "secret", "purge", "help"];

    /// <summary>
    /// Keys of the host's own configuration that have no section (<c>--urls</c>, <c>--environment</c>, ...): with the
    /// keys that name a section (<c>--Passline:Retention:Days=7</c>), the configuration a command accepts on its command
    /// line. Any other <c>--word</c> is one of the command's options, or a mistake.
    /// </summary>
    private static readonly HashSet<string> HostKeys = new(
        ["urls", "environment", "contentRoot", "applicationName", "webroot", "http_ports", "https_ports", "https_port", "AllowedHosts",
            "detailedErrors", "shutdownTimeoutSeconds", "suppressStatusMessages", "preventHostingStartup", "hostingStartupAssemblies",
            "hostingStartupExcludeAssemblies", "captureStartupErrors", "startupAssembly", "preferHostingUrls"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The API's JSON, indented, and with <c>+</c> and non-ASCII text as they are: an operator copies secrets (base64, half
    /// of them with a <c>+</c>) and names from a terminal, where <c>\u002B</c> would be copied as six characters.
    /// </summary>
    private static readonly JsonSerializerOptions Output = new(ApiJson.Options)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Whether <paramref name="args"/> are for the commands rather than <c>serve</c>, which runs in Program: a command, a
    /// word that is none (an error), help or the version, <c>serve</c>'s help. No arguments, or configuration first
    /// (<c>--urls ...</c>, <c>--Passline:X=y</c>), is <c>serve</c>.
    /// </summary>
    public static bool Handles(string[] args) => args switch
    {
        [] => false,
        ["serve", .. var rest] => rest.Any(IsHelp),
        [var first, ..] => IsHelp(first) || first == "--version" || !(first.StartsWith('-') || first.Contains('=', StringComparison.Ordinal)),
    };

    private static bool IsHelp(string arg) => arg is "--help" or "-h" or "-?";

    /// <summary>
    /// What is wrong with <c>serve</c>'s arguments, or null: everything is configuration there, so only a token that
    /// ASP.NET Core's command-line configuration would ignore (a bare word, <c>-x</c>, a last <c>--key</c> without its
    /// value) or refuse (<c>-x=y</c>) is a mistake.
    /// </summary>
    public static string? ServeArgumentsProblem(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) || arg.StartsWith('/'))
            {
                if (!arg.Contains('=', StringComparison.Ordinal) && ++i == args.Length)
                {
                    return $"{arg} needs a value";
                }
            }
            else if (arg.StartsWith('-') || !arg.Contains('=', StringComparison.Ordinal))
            {
                return $"unexpected argument '{arg}': serve takes configuration only, such as --urls http://127.0.0.1:5080 or --Passline:Retention:Days=7 (see passline --help)";
            }
        }

        return null;
    }

    /// <summary>
    /// Splits a command's arguments into configuration (<c>--Key:Sub=value</c>, <c>--Key:Sub value</c>, <c>--urls
    /// value</c>, ...), read as <c>serve</c> reads it, and the rest, which is the command's to parse.
    /// </summary>
    private static (string[] Command, string[] Configuration) SplitConfiguration(string[] args)
    {
        List<string> command = [];
        List<string> configuration = [];
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var key = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..].Split('=', 2)[0] : "";
            if (key.Length > 0 && (key.Contains(':', StringComparison.Ordinal) || HostKeys.Contains(key)))
            {
                configuration.Add(arg);
                if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    configuration.Add(args[++i]);
                }
            }
            else
            {
                command.Add(arg);
            }
        }

        return ([.. command], [.. configuration]);
    }

    public static async Task<int> InvokeAsync(string[] args)
    {
        if (args is [var first, ..] && !first.StartsWith('-') && !Commands.Contains(first))
        {
            return Fail($"unknown command '{first}' (see passline --help)");
        }

        var (commandArgs, configuration) = SplitConfiguration(args);
        var root = new PasslineRootCommand(configuration);
        root.Subcommands.Add(new Command("serve", "Run the HTTP server (the default when no command is given)."));
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(InstanceCommands.Instance());
        root.Subcommands.Add(InstanceCommands.Token());
        root.Subcommands.Add(InstanceCommands.Secret());
        root.Subcommands.Add(Retention.PurgeCommand.Purge());
        var parse = root.Parse(commandArgs is ["help", .. var rest] ? [.. rest, "--help"] : commandArgs);
        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            return Fail(ProblemOf(parse));
        }

        return await parse.InvokeAsync();
    }

    /// <summary>
    /// The first thing wrong with the command line, in one line that names the option: System.CommandLine's own messages
    /// name .NET types and come with the whole help page.
    /// </summary>
    private static string ProblemOf(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var path = string.Join(' ', Path(parse.CommandResult));
        if (parse.UnmatchedTokens is [var unmatched, ..])
        {
            return unmatched.StartsWith('-')
                ? $"unknown option '{unmatched}' (see {path} --help)"
                : $"unexpected argument '{unmatched}' (see {path} --help)";
        }

        if (command.Action is null && command.Subcommands.Count > 0)
        {
            return $"{path} needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (see {path} --help)";
        }

        foreach (var option in command.Options)
        {
            var result = parse.GetResult(option);
            if (option.Required && result is null or { Implicit: true })
            {
                return $"{option.Name} is required";
            }

            if (result is { Implicit: false, Tokens.Count: 0 } && option.Arity.MinimumNumberOfValues > 0)
            {
                return $"{option.Name} needs a value";
            }

            if (result is { Tokens.Count: > 1 } && option.Arity.MaximumNumberOfValues == 1)
            {
                return $"{option.Name} takes one value";
            }
        }

        // The options' own messages (a value that is not a number, not a UUID), in the project's words.
        return parse.Errors[0].Message;
    }

    private static IEnumerable<string> Path(CommandResult result) =>
        result.Parent is CommandResult parent ? [.. Path(parent), result.Command.Name] : ["passline"];

    /// <summary>An option whose value is a UUID; a value that is not one is refused with <paramref name="message"/>.</summary>
    public static Option<Guid> IdOption(string name, string description, string message) => new(name)
    {
        Description = description,
        Required = true,
        CustomParser = result => result.Tokens is [.., var last] && Guid.TryParse(last.Value, out var id) ? id : Refuse<Guid>(result, message),
    };

    /// <summary>The same, for an option that may be left out.</summary>
    public static Option<Guid?> OptionalIdOption(string name, string description, string message) => new(name)
    {
        Description = description,
        CustomParser = result => result.Tokens is [.., var last] && Guid.TryParse(last.Value, out var id) ? id : Refuse<Guid?>(result, message),
    };

    public static T? Refuse<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Apply pending database migrations and exit.");
        command.SetAction((parse, cancellationToken) => RunAsync(parse, (_, _, _) => Task.FromResult(Done("Database is up to date.")), cancellationToken, forceMigrate: true));
        return command;
    }

    /// <summary>
    /// Host options shared by every command: appsettings.json is read from beside the executable, wherever it is
    /// started from; relative paths in configuration (the SQLite file) stay relative to the working directory.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new() { Args = args, ContentRootPath = AppContext.BaseDirectory };

    /// <summary>Runs a command's work on the configured database, migrating first unless that is switched off.</summary>
    public static Task<int> RunAsync(
        ParseResult parse, Func<PasslineDb, TimeProvider, CancellationToken, Task<int>> work, CancellationToken cancellationToken, bool forceMigrate = false) =>
        RunAsync(parse, (_, db, time, ct) => work(db, time, ct), cancellationToken, forceMigrate);

    /// <summary>The same, for a command that needs more of the configured services (configuration, scopes) than the database.</summary>
    public static async Task<int> RunAsync(
        ParseResult parse, Func<IServiceProvider, PasslineDb, TimeProvider, CancellationToken, Task<int>> work, CancellationToken cancellationToken,
        bool forceMigrate = false)
    {
        var builder = WebApplication.CreateBuilder(Options(((PasslineRootCommand)parse.RootCommandResult.Command).Configuration));

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

    /// <summary>The commands, with the configuration given on their command line.</summary>
    private sealed class PasslineRootCommand(string[] configuration)
        : RootCommand("Passline: passwordless login and phone verification over WhatsApp.")
    {
        public string[] Configuration { get; } = configuration;
    }
}
