using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Passline.Storage;

/// <summary>Brings the database schema up to date before the server starts listening.</summary>
public sealed class DatabaseStartup(IServiceScopeFactory scopes, IOptions<StorageOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AutoMigrate)
        {
            await using var scope = scopes.CreateAsyncScope();
            await MigrateAsync(scope.ServiceProvider.GetRequiredService<PasslineDb>(), cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
