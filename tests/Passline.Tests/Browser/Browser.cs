using System.Collections.ObjectModel;
using System.Text.Json.Nodes;
using Deque.AxeCore.Commons;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using OpenQA.Selenium.Support.UI;

namespace Passline.Tests.Browser;

/// <summary>
/// A real headless Chromium (Debian's <c>chromium</c> and <c>chromium-driver</c>, which <c>scripts/test</c> installs),
/// driven over WebDriver. A browser that cannot start fails the test: it is never skipped. Host names other than
/// loopback do not resolve in it, so a page that leads to wa.me stops there instead of reaching the internet.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    public const string IPhone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

    public static readonly (string Name, int Width, int Height)[] Sizes = [("phone", 390, 844), ("desktop", 1280, 800)];

    private readonly DirectoryInfo profile;
    private readonly (int Width, int Height) size;

    private Browser(ChromeDriver driver, DirectoryInfo profile, (int, int) size)
    {
        Driver = driver;
        this.profile = profile;
        this.size = size;
        Resize(size.Item1, size.Item2);
    }

    public ChromeDriver Driver { get; }

    /// <summary>axe-core, from its NuGet package (Deque.AxeCore.Commons): no download.</summary>
    private static readonly Lazy<string> AxeScript = new(() => new BundledAxeScriptProvider().GetScript());

    /// <summary>
    /// A fresh browser with its own profile: a desktop, or a phone when <paramref name="userAgent"/> says so, asking for
    /// pages in <paramref name="language"/> (its <c>Accept-Language</c>).
    /// </summary>
    public static Browser Start(string? userAgent = null, string language = "en-US")
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: scripts/test installs Debian's chromium package");
        Assert.True(File.Exists(DriverPath), $"{DriverPath} is missing: scripts/test installs Debian's chromium-driver package");
        var profile = Directory.CreateTempSubdirectory("passline-chromium-");
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--force-color-profile=srgb", $"--lang={language}",
            $"--user-data-dir={profile.FullName}");
        if (userAgent is not null)
        {
            options.AddArgument($"--user-agent={userAgent}");
        }

        options.AddUserProfilePreference("intl.accept_languages", language);
        options.SetLoggingPreference(LogType.Browser, OpenQA.Selenium.LogLevel.All);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(60);
        return new Browser(driver, profile, userAgent is null ? (1280, 800) : (390, 844));
    }

    public string Url => Driver.Url;

    public void Go(Uri url) => Driver.Navigate().GoToUrl(url);

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public ReadOnlyCollection<IWebElement> FindAll(string css) => Driver.FindElements(By.CssSelector(css));

    public string Text(string css) => Find(css).Text;

    /// <summary>Waits (in real time: the page works in the background) until <paramref name="condition"/> holds.</summary>
    public void WaitUntil(Func<bool> condition, string what, int seconds = 15)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(50), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            wait.Until(_ => Holds(condition));
        }
        catch (WebDriverTimeoutException e)
        {
            var body = Driver.FindElements(By.TagName("body")).FirstOrDefault()?.Text;
            throw new WebDriverTimeoutException($"{e.Message}\nat {Driver.Url}\n{body}", e);
        }
    }

    /// <summary>
    /// A condition read while the page navigates (a form just posted) can reach an element of the document being left:
    /// chromedriver reports that as an unknown error, not as a stale element, and the next poll reads the new document.
    /// </summary>
    private static bool Holds(Func<bool> condition)
    {
        try
        {
            return condition();
        }
        catch (UnknownErrorException e) when (e.Message.Contains("does not belong to the document", StringComparison.Ordinal))
        {
            return false;
        }
    }

    /// <summary>Navigates to a page that cannot load here (wa.me: no name resolves but loopback) and stays there.</summary>
    public void GoUnreachable(Uri url)
    {
        try
        {
            Go(url);
        }
        catch (WebDriverException e) when (e.Message.Contains("ERR_NAME_NOT_RESOLVED", StringComparison.Ordinal))
        {
            // The navigation happened; its target is outside this machine.
        }
    }

    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    /// <summary>
    /// Saves the page at phone (390x844) and desktop (1280x800) sizes into <c>test-output/screenshots/</c>, after checking
    /// that the console shows no error (a Content-Security-Policy violation, a failed script, a missing asset).
    /// </summary>
    public void Screenshot(string name)
    {
        AssertNoConsoleErrors(name);
        var folder = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "test-output", "screenshots"));
        foreach (var (label, width, height) in Sizes)
        {
            Resize(width, height);
            Driver.GetScreenshot().SaveAsFile(Path.Combine(folder.FullName, $"{name}-{label}.png"));
        }

        Resize(size.Width, size.Height);
    }

    /// <summary>
    /// Runs axe-core on the page at phone and desktop sizes, in the light and the dark colour scheme, and fails on any
    /// serious or critical violation (WCAG 2.1 A and AA rules and axe's best practices).
    /// </summary>
    public void AssertAccessible(string page)
    {
        var problems = new List<string>();
        foreach (var scheme in new[] { "light", "dark" })
        {
            ColorScheme(scheme);
            foreach (var (label, width, height) in Sizes)
            {
                Resize(width, height);
                problems.AddRange(SeriousViolations().Select(v => $"{label}, {scheme}: {v}"));
            }
        }

        ColorScheme("light");
        Resize(size.Width, size.Height);
        Assert.True(problems.Count == 0, $"accessibility violations on {page}:\n{string.Join('\n', problems)}");
    }

    private List<string> SeriousViolations()
    {
        if (!Equals(Script("return typeof window.axe === 'object';"), true))
        {
            Driver.ExecuteScript(AxeScript.Value);
        }

        var json = (string?)Driver.ExecuteAsyncScript("""
            var done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(function (r) { done(JSON.stringify(r.violations)); }, function (e) { done(JSON.stringify([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }])); });
            """);
        return [.. JsonNode.Parse(json ?? "[]")!.AsArray()
            .Where(v => v!["impact"]?.GetValue<string>() is "serious" or "critical")
            .Select(v => $"{v!["impact"]} {v["id"]}: {v["help"]} at {string.Join(" | ", v["nodes"]!.AsArray().Select(n => n!["html"]?.GetValue<string>()))}")];
    }

    private void ColorScheme(string scheme) =>
        Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
        {
            ["features"] = new object[] { new Dictionary<string, object?> { ["name"] = "prefers-color-scheme", ["value"] = scheme } },
        });

    /// <summary>
    /// Presses Tab, as a keyboard user does, until the focused element matches <paramref name="css"/>; checks that the
    /// focus is visible there (an outline).
    /// </summary>
    public void TabTo(string css, int presses = 40)
    {
        for (var i = 0; i < presses; i++)
        {
            new Actions(Driver).SendKeys(Keys.Tab).Perform();
            if (Equals(Script("return document.activeElement !== null && document.activeElement.matches(arguments[0]);", css), true))
            {
                var outline = (string)Script("var s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth;")!;
                Assert.False(outline.StartsWith("none", StringComparison.Ordinal) || outline.EndsWith(" 0px", StringComparison.Ordinal), $"no visible focus on {css}: {outline}");
                return;
            }
        }

        Assert.Fail($"{css} was not reached with {presses} presses of Tab at {Driver.Url}");
    }

    /// <summary>Presses a key on the focused element (Enter follows a link or presses a button).</summary>
    public void Press(string key) => new Actions(Driver).SendKeys(key).Perform();

    public void AssertNoConsoleErrors(string where)
    {
        var errors = Driver.Manage().Logs.GetLog(LogType.Browser)
            .Where(e => e.Level >= OpenQA.Selenium.LogLevel.Severe)
            .Select(e => e.Message)
            .ToList();
        Assert.True(errors.Count == 0, $"console errors on {where}:\n{string.Join('\n', errors)}");
    }

    private void Resize(int width, int height) =>
        Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = width,
            ["height"] = height,
            ["deviceScaleFactor"] = 1,
            ["mobile"] = false,
        });

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Passline.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Passline.slnx not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile as it exits; the temporary folder is cleaned by the OS.
        }
    }
}
