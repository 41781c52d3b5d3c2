using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Operations;

/// <summary>
/// The linux-x64 archive of <c>scripts/release</c>, unpacked into a temporary folder and run as an operator would: no
/// .NET SDK or runtime on <c>PATH</c>, no <c>DOTNET_*</c> variables, Production environment. <c>scripts/test</c>
/// publishes it once and names its folder in <c>PASSLINE_TEST_RELEASE</c>; without that the test publishes it itself.
/// </summary>
public sealed partial class ReleaseBinaryTests
{
    [Fact]
    public async Task PublishedBinaryMigratesCreatesAnInstanceAndServesWithoutTheSdk()
    {
        var archive = await ReleaseArchives.LinuxX64Async();
        var folder = Directory.CreateTempSubdirectory("passline-release-test-");
        try
        {
            var program = await UnpackAsync(archive, folder.FullName);
            // The executable (runtime and assemblies inside), native SQLite, the settings, and the pages' static assets.
            Assert.Equal(["appsettings.json", "libe_sqlite3.so", "passline", "passline.staticwebassets.endpoints.json", "wwwroot"],
                Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(program)!).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            var work = Directory.CreateDirectory(Path.Combine(folder.FullName, "work")).FullName;
            await using var database = await TestDatabase.CreateAsync();
            var run = new Runner(program, work, database);

            var version = (await run.SucceedAsync("--version")).Trim();
            Assert.Matches(VersionPattern(), version);

            await run.SucceedAsync("migrate");
            var created = JsonNode.Parse(await run.SucceedAsync("instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator"))!;
            if (!TestDatabase.IsPostgres)
            {
                // The default connection string: a SQLite file relative to the working directory.
                Assert.True(File.Exists(Path.Combine(work, "data", "passline.db")));
            }

            using var server = run.Start("serve", "--urls", "http://127.0.0.1:0");
            var baseAddress = await server.ListeningAddressAsync();
            using var http = new HttpClient { BaseAddress = baseAddress };

            var health = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(version, (await health.ReadObjectAsync())["version"]!.GetValue<string>());

            http.DefaultRequestHeaders.Authorization = new("Bearer", created["token"]!.GetValue<string>());
            var (response, body) = await http.PostJsonAsync($"/api/otp/v2/{created["instance"]!.GetValue<string>()}/generate-link", """{"name": "Acme"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("https://wa.me/201553730661?text=Give+me+link+to+login+at+Acme+", body["data"]!["whatsapp_link"]!.GetValue<string>());
            var linkUrl = body["data"]!["link_url"]!.GetValue<string>();
            Assert.StartsWith(baseAddress.AbsoluteUri + "l/", linkUrl);

            // The link page and the stylesheet it names are served from the unpacked folder.
            var page = await http.GetStringAsync(linkUrl);
            var stylesheet = Stylesheet().Match(page);
            Assert.True(stylesheet.Success, page);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(stylesheet.Groups[1].Value)).StatusCode);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [GeneratedRegex("href=\"(/[^\"]+\\.css)\"")]
    private static partial Regex Stylesheet();

    /// <summary>X.Y.Z from a tag or 0.0.0-dev.N, then the commit id the SDK appends.</summary>
    [GeneratedRegex("^[0-9]+\\.[0-9]+\\.[0-9]+(-dev\\.[0-9]+)?\\+[0-9a-f]{40}$")]
    private static partial Regex VersionPattern();

    /// <summary>Checks the archive against <c>SHA256SUMS</c> beside it and unpacks it; returns the executable's path.</summary>
    private static async Task<string> UnpackAsync(string archive, string folder)
    {
        var sums = await File.ReadAllLinesAsync(Path.Combine(Path.GetDirectoryName(archive)!, "SHA256SUMS"));
        await using (var stream = File.OpenRead(archive))
        {
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
            Assert.Contains($"{hash}  {Path.GetFileName(archive)}", sums);
        }

        await using (var stream = File.OpenRead(archive))
        await using (var gzip = new GZipStream(stream, CompressionMode.Decompress))
        {
            await TarFile.ExtractToDirectoryAsync(gzip, folder, overwriteFiles: false);
        }

        var top = Path.Combine(folder, Path.GetFileName(archive)[..^".tar.gz".Length]);
        return Path.Combine(top, "passline");
    }

    /// <summary>Runs the executable with an environment of nothing but what an operator would set.</summary>
    private sealed class Runner(string program, string workingDirectory, TestDatabase database)
    {
        // One key for every command, as an operator's environment has: what instance create encrypts, serve decrypts.
        private readonly string secretsKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        public ProcessStartInfo StartInfo(string[] args)
        {
            var start = new ProcessStartInfo(program)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment.Clear();

            // An empty folder as PATH: no dotnet to fall back on.
            start.Environment["PATH"] = Directory.CreateDirectory(Path.Combine(workingDirectory, "empty-path")).FullName;
            start.Environment["HOME"] = workingDirectory;
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Passline__Simulator__Enabled"] = "true";
            start.Environment["Passline__Secrets__Key"] = secretsKey;
            if (TestDatabase.IsPostgres)
            {
                foreach (var (key, value) in database.Settings)
                {
                    start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
                }
            }

            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            return start;
        }

        public async Task<string> SucceedAsync(params string[] args)
        {
            using var process = Process.Start(StartInfo(args))!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"passline {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
            return await stdout;
        }

        public Server Start(params string[] args) => new(Process.Start(StartInfo(args))!);
    }

    private sealed partial class Server : IDisposable
    {
        private readonly Process process;
        private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Text.StringBuilder output = new();

        public Server(Process process)
        {
            this.process = process;
            process.OutputDataReceived += (_, e) => Read(e.Data);
            process.ErrorDataReceived += (_, e) => Read(e.Data);
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"passline serve exited {process.ExitCode}:\n{Output}"));
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        private string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        private void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        /// <summary>The address from the host's "Now listening on:" line (the port was left to the system).</summary>
        public Task<Uri> ListeningAddressAsync() => listening.Task.WaitAsync(TimeSpan.FromMinutes(1));

        [GeneratedRegex("Now listening on: (http://127\\.0\\.0\\.1:[0-9]+)")]
        private static partial Regex ListeningLine();

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}

/// <summary>The archives of <c>scripts/release</c> for the tests: those the test command made, or made once here.</summary>
internal static class ReleaseArchives
{
    private static readonly Lazy<Task<string>> Folder = new(PublishAsync);

    public static async Task<string> LinuxX64Async()
    {
        var folder = await Folder.Value;
        return Assert.Single(Directory.GetFiles(folder, "passline-*-linux-x64.tar.gz"));
    }

    private static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable("PASSLINE_TEST_RELEASE") is { Length: > 0 } given)
        {
            return given;
        }

        var folder = Directory.CreateTempSubdirectory("passline-release-").FullName;
        var start = new ProcessStartInfo(Path.Combine(Repository.Root, "scripts", "release")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(folder);
        start.ArgumentList.Add("linux-x64");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/release exited {process.ExitCode}: {await stdout}{await stderr}");
        return folder;
    }
}
