using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Passline.Storage;

// Used only by `dotnet ef migrations add`; the connection strings are never opened.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePasslineDb>
{
    public SqlitePasslineDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqlitePasslineDb>();
        options.UseSqlite("Data Source=design.db").UseSnakeCaseNamingConvention();
        return new SqlitePasslineDb(options.Options);
    }
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPasslineDb>
{
    public PostgresPasslineDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresPasslineDb>();
        options.UseNpgsql("Host=localhost").UseSnakeCaseNamingConvention();
        return new PostgresPasslineDb(options.Options);
    }
}
