using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Passline.Storage;

/// <summary>
/// Brings the database schema up to date and checks that the configured secrets key can read what is stored, before the
/// host starts (a mistake then stops the process with its message, not with a failed host's stack traces).
/// </summary>
public static class DatabaseStartup
{
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PasslineDb>();
        var migrate = scope.ServiceProvider.GetRequiredService<IOptions<StorageOptions>>().Value.AutoMigrate;
        if (migrate)
        {
            await MigrateAsync(db, cancellationToken);
        }

        string? unreadable;
        try
        {
            unreadable = await SecretsReencryption.UnreadableAsync(db, cancellationToken);
        }
        catch (System.Data.Common.DbException) when (!migrate)
        {
            // Migrated by another node or a job, not yet (or out of reach): the server starts, not ready (/readyz), as
            // before; the secrets are checked by the first start that can read them.
            unreadable = null;
        }

        if (unreadable is not null)
        {
            throw new Hosting.ConfigurationException(unreadable);
        }
    }

    public static async Task MigrateAsync(PasslineDb db, CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the single writer; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
