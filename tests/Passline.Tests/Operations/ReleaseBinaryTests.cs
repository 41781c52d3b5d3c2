using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
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
            // The executable (runtime and assemblies inside), native SQLite, the settings, the pages' static assets, and the
            // systemd unit that runs it.
            Assert.Equal(["appsettings.json", "libe_sqlite3.so", "passline", "passline.service", "passline.staticwebassets.endpoints.json", "wwwroot"],
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

    /// <summary>
    /// The release executable is trimmed (<c>src/Passline/Passline.csproj</c>): the runtime and ASP.NET Core keep only
    /// what the trimmer saw Passline reach, and what Passline reaches by reflection (JSON of its own types, EF Core's
    /// model, options, the pages' components, resources) is what it could miss. So whole flows run here, in the
    /// executable, through each provider: a login in French with its signed callback, a code, WAHA's and the Cloud API's
    /// signed webhooks and their replies (the Cloud API's a button), the pages, the API reference, the metrics, and a
    /// rejected body.
    /// </summary>
    [Fact]
    public async Task TrimmedExecutableRunsWholeFlowsThroughEachProvider()
    {
        var archive = await ReleaseArchives.LinuxX64Async();
        var folder = Directory.CreateTempSubdirectory("passline-release-test-");
        await using var callbacks = await LoopbackServer.StartAsync();
        await using var waha = await LoopbackServer.StartAsync();
        await using var graph = await LoopbackServer.StartAsync();
        graph.Respond = _ => new Answer(200, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cloud-api-send-response.json")));
        try
        {
            var program = await UnpackAsync(archive, folder.FullName);
            var work = Directory.CreateDirectory(Path.Combine(folder.FullName, "work")).FullName;
            await using var database = await TestDatabase.CreateAsync();
            var run = new Runner(program, work, database) { AllowPrivateNetworks = true };
            await run.SucceedAsync("migrate");
            var simulator = JsonNode.Parse(await run.SucceedAsync(
                "instance", "create", "--name", "Acme", "--phone", "201553730661", "--provider", "simulator", "--redirect-origin", "https://acme.example"))!;
            var wahaInstance = JsonNode.Parse(await run.SucceedAsync(
                "instance", "create", "--name", "Acme", "--phone", "201553730662", "--provider", "waha",
                "--waha-url", waha.BaseAddress.ToString(), "--waha-api-key", "waha-key", "--waha-hmac-key", "waha-hmac"))!;
            var cloud = JsonNode.Parse(await run.SucceedAsync(
                "instance", "create", "--name", "Acme", "--phone", "201553730663", "--provider", "cloud-api", "--graph-url", graph.BaseAddress.ToString(),
                "--phone-number-id", "106540352242922", "--access-token", "EAAG", "--app-secret", "app-secret", "--verify-token", "verify",
                "--auth-template", "login_code"))!;

            using var server = run.Start("serve", "--urls", "http://127.0.0.1:0");
            var baseAddress = await server.ListeningAddressAsync();
            // A browser and an application's backend: the browser keeps its cookies and sees the redirects itself.
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };
            HttpClient Backend(JsonNode instance) =>
                new() { BaseAddress = new Uri(baseAddress, $"/api/otp/v2/{instance["instance"]!.GetValue<string>()}/"), DefaultRequestHeaders = { Authorization = new("Bearer", instance["token"]!.GetValue<string>()) } };

            // A login in French on the simulator, to its signed callback.
            using var backend = Backend(simulator);
            var instanceId = simulator["instance"]!.GetValue<string>();
            var (_, link) = await backend.PostJsonAsync("generate-link",
                $$"""{"name": "Acme", "language": "fr", "callback": {"success": "{{callbacks.BaseAddress}}cb"}, "redirect": "https://acme.example/in"}""");
            var uuid = link["data"]!["uuid"]!.GetValue<string>();
            var prompt = Passline.Requests.MessageTemplates.For("fr").Prompt.Replace("{name}", "Acme", StringComparison.Ordinal);
            var (_, inbound) = await backend.PostJsonAsync($"/simulator/{instanceId}/inbound",
                $$"""{"from": "201063178738", "text": "{{prompt}} [{{link["data"]!["code"]}}] - DO NOT CHANGE THIS MESSAGE"}""");
            Assert.Equal("matched", inbound["data"]!["outcome"]!.GetValue<string>());
            var outbox = await backend.GetStringAsync($"/simulator/{instanceId}/outbox?chat_id=201063178738%40c.us&wait=20");
            var path = LinkFlow.VerificationPath(outbox);
            var (page, html, _) = await LinkFlow.OpenAsync(browser, path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("""<html lang="fr" dir="ltr">""", html);
            Assert.Contains("Se connecter à Acme\u00a0?", html);
            var verified = await LinkFlow.PressAsync(browser, path);
            Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
            var exchangeToken = System.Web.HttpUtility.ParseQueryString(verified.Headers.Location!.Query)["otp_token"]!;
            var (exchanged, identity) = await backend.PostJsonAsync("exchange", $$"""{"token": "{{exchangeToken}}"}""");
            Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
            Assert.Equal(uuid, identity["data"]!["uuid"]!.GetValue<string>());
            var callback = Assert.Single(await callbacks.WaitForAsync());
            var secret = Convert.FromBase64String(simulator["webhook_secret"]!.GetValue<string>()["whsec_".Length..]);
            var signed = $"{callback.Headers["webhook-id"]}.{callback.Headers["webhook-timestamp"]}.{callback.Body}";
            Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(secret, System.Text.Encoding.UTF8.GetBytes(signed))), callback.Headers["webhook-signature"]);
            Assert.Equal(uuid, JsonNode.Parse(callback.Body)!["uuid"]!.GetValue<string>());
            Assert.Equal("verified", (await backend.GetFromJsonAsync<JsonObject>($"requests/{uuid}"))!["data"]!["status"]!.GetValue<string>());

            // A code, sent and checked; and a body the API turns away with the field named.
            var (_, requested) = await backend.PostJsonAsync("request-code", """{"chatId": "201063178739"}""");
            var code = requested["data"]!["code"]!.GetValue<string>();
            Assert.Contains(code, await backend.GetStringAsync($"/simulator/{instanceId}/outbox?chat_id=201063178739%40c.us&wait=20"));
            var (validated, _) = await backend.PostJsonAsync("validate-code", $$"""{"chatId": "201063178739", "code": "{{code}}"}""");
            Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
            var (rejected, error) = await backend.PostJsonAsync("generate-link", """{"expires": "soon"}""");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
            Assert.Contains("expires", error.ToJsonString(), StringComparison.Ordinal);

            // WAHA: a signed webhook in, the reply out through WAHA's API with its key.
            using var wahaBackend = Backend(wahaInstance);
            var (_, wahaLink) = await wahaBackend.PostJsonAsync("generate-link", """{"name": "Acme"}""");
            var wahaId = Guid.Parse(wahaInstance["instance"]!.GetValue<string>());
            var wahaBody = Webhooks.WahaMessage(Webhooks.Message(wahaLink["data"]!["code"]!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Webhooks.SignedWaha(wahaId, wahaBody, "waha-hmac"))).StatusCode);
            var wahaReply = Assert.Single(await waha.WaitForAsync());
            Assert.Equal("waha-key", wahaReply.Headers["X-Api-Key"]);
            Assert.Equal(HttpStatusCode.OK, (await LinkFlow.OpenAsync(browser, LinkFlow.VerificationPath(wahaReply.Body))).Response.StatusCode);

            // The Cloud API: a signed webhook in, the reply a button; a code through the authentication template.
            using var cloudBackend = Backend(cloud);
            var (_, cloudLink) = await cloudBackend.PostJsonAsync("generate-link", """{"name": "Acme"}""");
            var cloudId = Guid.Parse(cloud["instance"]!.GetValue<string>());
            var cloudBody = Webhooks.CloudApiText(Webhooks.Message(cloudLink["data"]!["code"]!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Webhooks.SignedCloudApi(cloudId, cloudBody, "app-secret"))).StatusCode);
            var button = JsonNode.Parse(Assert.Single(await graph.WaitForAsync()).Body)!;
            Assert.Equal("interactive", button["type"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await LinkFlow.OpenAsync(browser, LinkFlow.VerificationPath(button.ToJsonString()))).Response.StatusCode);
            await cloudBackend.PostJsonAsync("request-code", """{"chatId": "16505551234"}""");
            var template = JsonNode.Parse((await graph.WaitForAsync(2))[1].Body)!;
            Assert.Equal("login_code", template["template"]!["name"]!.GetValue<string>());

            // The other pages, the API reference and the metrics.
            var (_, pending) = await backend.PostJsonAsync("generate-link", "{}");
            var linkPage = new Uri(pending["data"]!["link_url"]!.GetValue<string>()).AbsolutePath;
            foreach (var other in new[] { linkPage, $"/simulator/{instanceId}", "/demo", "/dashboard", "/docs/" })
            {
                Assert.True((await browser.GetAsync(other)).StatusCode == HttpStatusCode.OK, other);
            }

            var document = JsonNode.Parse(await browser.GetStringAsync("/openapi/v1.json"))!;
            Assert.NotNull(document["paths"]!["/api/otp/v2/{instance}/generate-link"]);
            Assert.Contains("passline_", await browser.GetStringAsync("/metrics"), StringComparison.Ordinal);
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
        /// <summary>Callbacks to loopback: the tests' receivers listen there.</summary>
        public bool AllowPrivateNetworks { get; init; }

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
            if (AllowPrivateNetworks)
            {
                start.Environment["Passline__Callbacks__AllowPrivateNetworks"] = "true";
            }

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
