namespace Passline.Storage;

public sealed class StorageOptions
{
    public const string Section = "Passline:Storage";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Whether the configured database is PostgreSQL: <c>Provider</c> is read without regard to case.</summary>
    public static bool IsPostgres(IConfiguration configuration) =>
        string.Equals(configuration[$"{Section}:Provider"], "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Apply pending migrations before any command does its work.</summary>
    public bool AutoMigrate { get; set; } = true;
}
