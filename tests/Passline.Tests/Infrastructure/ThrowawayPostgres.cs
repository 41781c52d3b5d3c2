using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Passline.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of the test's own (its own data folder and port, like scripts/test starts), for tests that stop
/// or restart the server: the shared development server is never touched. Needs Debian's postgresql package.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string folder;
    private readonly string bin;

    private ThrowawayPostgres(string folder, string bin, int port)
    {
        this.folder = folder;
        this.bin = bin;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The server's connection string, as <c>PASSLINE_TEST_POSTGRES</c> would give it.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Maximum Pool Size=50";

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "pg_ctl"))).OrderBy(b => b, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (Debian package postgresql); scripts/test installs it.");
        var folder = Directory.CreateTempSubdirectory("passline-pg-").FullName;
        await RunAsync("chmod", "755", folder);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", folder);
        }

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var cluster = new ThrowawayPostgres(folder, bin, port);
        await cluster.PgAsync("initdb", "-D", cluster.Data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale");
        await cluster.PgCtlAsync("start");
        return cluster;
    }

    private string Data => Path.Combine(folder, "data");

    /// <summary>Stops the server (fast: open connections are cut, as in a real restart) and starts it again.</summary>
    public Task RestartAsync() => PgCtlAsync("restart", "-m", "fast");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", "-D", Data, "-m", "immediate", "stop");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private Task PgCtlAsync(string action, params string[] more) =>
        PgAsync("pg_ctl", ["-D", Data, "-l", Path.Combine(folder, "log"), "-w",
            "-o", $"-p {Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", action, .. more]);

    /// <summary>initdb refuses to run as root, so as root the tools run as the postgres user.</summary>
    private Task PgAsync(string tool, params string[] args) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. args])
        : RunAsync(Path.Combine(bin, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }
}
