using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

// POST /rows inserts one row and reads it back, in one of three ways (the first argument):
//   raw    Microsoft.Data.Sqlite only;
//   model  the same SQL through the connection of a pooled EF Core context with an eight-table model;
//   full   that context's own SaveChanges and a LINQ query.
// The tables are created with SQL in every mode, so EF Core's migrations are not part of what is measured.
var mode = args is [var given, ..] ? given : "raw";
var file = Path.Combine(Path.GetTempPath(), $"passline-ef-cost-{Environment.ProcessId}.db");
var connectionString = $"Data Source={file}";
CreateTables(connectionString);

var builder = WebApplication.CreateBuilder(args.Skip(1).ToArray());
builder.Logging.ClearProviders();
var app = builder.Build();
var contexts = new PooledDbContextFactory<Rows>(new DbContextOptionsBuilder<Rows>().UseSqlite(connectionString).Options);

Func<Task<IResult>> handler = mode switch
{
    "raw" => RawAsync,
    "model" => ModelAsync,
    "full" => FullAsync,
    _ => throw new ArgumentException($"unknown mode {mode}: raw, model or full"),
};
app.MapPost("/rows", handler);
app.Lifetime.ApplicationStopped.Register(() =>
{
    SqliteConnection.ClearAllPools();
    foreach (var suffix in new[] { "", "-wal", "-shm" })
    {
        File.Delete(file + suffix);
    }
});
app.Run();

async Task<IResult> RawAsync()
{
    await using var connection = new SqliteConnection(connectionString);
    await connection.OpenAsync();
    return Results.Ok(await InsertAndReadAsync(connection));
}

async Task<IResult> ModelAsync()
{
    await using var db = await contexts.CreateDbContextAsync();
    await db.Database.OpenConnectionAsync();
    return Results.Ok(await InsertAndReadAsync((SqliteConnection)db.Database.GetDbConnection()));
}

async Task<IResult> FullAsync()
{
    await using var db = await contexts.CreateDbContextAsync();
    var row = new Row { Name = Guid.NewGuid().ToString(), Kind = "x", Count = 1, At = DateTimeOffset.UtcNow, Key = Guid.NewGuid() };
    db.Add(row);
    await db.SaveChangesAsync();
    return Results.Ok(await db.Set<Row>().AsNoTracking().Where(r => r.Id == row.Id).Select(r => new Read(r.Id, r.Name)).FirstAsync());
}

static async Task<Read> InsertAndReadAsync(SqliteConnection connection)
{
    await using var insert = connection.CreateCommand();
    insert.CommandText = "INSERT INTO r1 (name, kind, count, at, key) VALUES ($name, 'x', 1, $at, $key) RETURNING id";
    insert.Parameters.AddWithValue("$name", Guid.NewGuid().ToString());
    insert.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
    insert.Parameters.AddWithValue("$key", Guid.NewGuid().ToString());
    var id = (long)(await insert.ExecuteScalarAsync())!;
    await using var select = connection.CreateCommand();
    select.CommandText = "SELECT id, name FROM r1 WHERE id = $id";
    select.Parameters.AddWithValue("$id", id);
    await using var reader = await select.ExecuteReaderAsync();
    await reader.ReadAsync();
    return new Read(reader.GetInt64(0), reader.GetString(1));
}

static void CreateTables(string connectionString)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = "PRAGMA journal_mode=WAL;" + string.Concat(Enumerable.Range(1, 8).Select(n =>
        $"CREATE TABLE r{n} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL, at TEXT NOT NULL, " +
        $"key TEXT NOT NULL, note TEXT, other TEXT, number INTEGER); CREATE INDEX r{n}_name ON r{n} (name);"));
    command.ExecuteNonQuery();
}

internal sealed record Read(long Id, string Name);

/// <summary>The columns every table has; not an entity type itself, so each table is a type of its own.</summary>
internal abstract class Columns
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "";
    public int Count { get; set; }
    public DateTimeOffset At { get; set; }
    public Guid Key { get; set; }
    public string? Note { get; set; }
    public string? Other { get; set; }
    public int? Number { get; set; }
}

internal sealed class Row : Columns;
internal sealed class Row2 : Columns;
internal sealed class Row3 : Columns;
internal sealed class Row4 : Columns;
internal sealed class Row5 : Columns;
internal sealed class Row6 : Columns;
internal sealed class Row7 : Columns;
internal sealed class Row8 : Columns;

internal sealed class Rows(DbContextOptions<Rows> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        Table<Row>(modelBuilder, "r1");
        Table<Row2>(modelBuilder, "r2");
        Table<Row3>(modelBuilder, "r3");
        Table<Row4>(modelBuilder, "r4");
        Table<Row5>(modelBuilder, "r5");
        Table<Row6>(modelBuilder, "r6");
        Table<Row7>(modelBuilder, "r7");
        Table<Row8>(modelBuilder, "r8");
    }

    private static void Table<T>(ModelBuilder modelBuilder, string name) where T : Columns
    {
        var entity = modelBuilder.Entity<T>().ToTable(name);
        entity.HasIndex(r => r.Name);
        foreach (var property in entity.Metadata.GetProperties())
        {
            property.SetColumnName(property.Name.ToLowerInvariant());
        }
    }
}
