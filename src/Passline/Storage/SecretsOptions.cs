using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Passline.Storage;

/// <summary><c>Passline:Secrets</c>: the key that encrypts what must not be readable at rest (SPEC 8).</summary>
public sealed class SecretsOptions
{
    public const string Section = "Passline:Secrets";

    /// <summary>Base64 of 32 random bytes, or several comma-separated: the first encrypts, all decrypt.</summary>
    public string? Key { get; set; }
}

/// <summary>Start-up refuses a missing or malformed key with a message that says what to do.</summary>
internal sealed class SecretsOptionsValidation : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Key))
        {
            return ValidateOptionsResult.Fail(
                "Passline:Secrets:Key is not set. Passline encrypts provider credentials, webhook signing secrets, data-protection keys "
                + "and waiting messages with it, and does not start without it outside Development. Generate one with "
                + "`openssl rand -base64 32` and set it, e.g. as the environment variable Passline__Secrets__Key.");
        }

        return SecretBox.Problem(options.Key) is { } problem
            ? ValidateOptionsResult.Fail($"Passline:Secrets:Key is invalid: {problem}.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>
/// In Development, without a configured key, one is generated once and kept in a file beside the SQLite database (or
/// where the default one would be), so that a newcomer needs no setup and the data stays readable across restarts.
/// </summary>
internal sealed class DevelopmentSecretsKey(IHostEnvironment environment, IConfiguration configuration, ILoggerFactory logs)
    : IPostConfigureOptions<SecretsOptions>
{
    public const string FileName = "passline.secrets-key";

    public void PostConfigure(string? name, SecretsOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Key) || !environment.IsDevelopment())
        {
            return;
        }

        var path = KeyPath(configuration);
        var logger = logs.CreateLogger("Passline.Secrets");
        if (!File.Exists(path))
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var file = new FileStream(path, create);
                using var writer = new StreamWriter(file);
                writer.Write(SecretBox.NewKey());
                logger.LogWarning("Development: generated Passline:Secrets:Key in {Path}. Keep this file with the database; outside Development configure the key instead.", path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another command created it at the same moment: use theirs.
            }
        }
        else
        {
            logger.LogInformation("Development: Passline:Secrets:Key read from {Path}", path);
        }

        options.Key = File.ReadAllText(path).Trim();
    }

    private static string KeyPath(IConfiguration configuration)
    {
        var sqlite = configuration[$"{StorageOptions.Section}:Provider"] is null or "sqlite"
            ? new SqliteConnectionStringBuilder(configuration.GetConnectionString("Passline") ?? StorageServices.DefaultConnectionString).DataSource
            : null;
        var database = string.IsNullOrEmpty(sqlite) || sqlite == ":memory:" || sqlite.StartsWith("file:", StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(StorageServices.DefaultConnectionString).DataSource
            : sqlite;
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(database))!, FileName);
    }
}
