using System.Text;
using System.Text.RegularExpressions;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Docs;

/// <summary>
/// README.md and docs/ stand alone: every link in them is relative, stays inside the repository and resolves to a file
/// or folder that exists (and, with a <c>#fragment</c>, to a heading of that Markdown file). Links in code are not links.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    public static TheoryData<string> Documents()
    {
        var files = new TheoryData<string> { "README.md" };
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            files.Add(Path.GetRelativePath(Repository.Root, file));
        }

        return files;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void EveryLinkStaysInTheRepositoryAndResolves(string document)
    {
        var path = Repository.PathOf(document);
        var problems = new List<string>();
        foreach (var (line, target) in Links(File.ReadAllText(path)))
        {
            if (Problem(path, target) is { } problem)
            {
                problems.Add($"{document}:{line}: {target}: {problem}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void TheCheckerFindsLinksThatLeaveOrDoNotResolve()
    {
        var text = "[a](https://example.com) <http://127.0.0.1:5080/demo> [b](../shared/SPEC.md) [c](docs/nothing.md) "
            + "[d](README.md#no-such-heading) <a href=\"//cdn.example.com/x.js\">e</a>\n[f]: mailto:x@example.com\n"
            + "`[g](https://in-code.example.com)`\n```\n[h](https://in-a-block.example.com)\n```\n[ok](docs/) [ok2](#the-checker)\n# The checker\n";
        var file = Repository.PathOf("README.md");
        var found = Links(text).ToDictionary(l => l.Target, l => Problem(file, l.Target, text));

        string[] bad = ["https://example.com", "http://127.0.0.1:5080/demo", "../shared/SPEC.md", "docs/nothing.md", "README.md#no-such-heading",
            "//cdn.example.com/x.js", "mailto:x@example.com"];
        Assert.Equal(new[] { "#the-checker", "docs/" }.Concat(bad).Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.All(bad, target => Assert.NotNull(found[target]));
        Assert.Null(found["docs/"]);
        Assert.Null(found["#the-checker"]);
    }

    /// <summary>Why <paramref name="target"/>, linked from <paramref name="file"/>, is not a good link; null when it is.</summary>
    private static string? Problem(string file, string target, string? text = null)
    {
        if (Scheme().IsMatch(target) || target.StartsWith("//", StringComparison.Ordinal))
        {
            return "leaves the repository";
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var (relative, fragment) = hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
        relative = relative.Split('?')[0];
        var resolved = relative.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(relative)));
        var root = Repository.Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!resolved.StartsWith(root, StringComparison.Ordinal) && resolved != Repository.Root)
        {
            return "leaves the repository";
        }

        if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            return "does not exist";
        }

        if (fragment is { Length: > 0 } && resolved.EndsWith(".md", StringComparison.Ordinal))
        {
            var headings = Headings(text is not null && resolved == file ? text : File.ReadAllText(resolved));
            if (!headings.Contains(fragment))
            {
                return $"no heading #{fragment} there";
            }
        }

        return null;
    }

    /// <summary>Link targets with their line numbers: Markdown links and images, reference definitions, autolinks, HTML href/src; not in code.</summary>
    private static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        var inFence = false;
        var number = 0;
        foreach (var raw in markdown.Split('\n'))
        {
            number++;
            if (raw.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                continue;
            }

            var line = CodeSpan().Replace(raw, "");
            foreach (Match match in InlineLink().Matches(line))
            {
                yield return (number, match.Groups[1].Value);
            }

            foreach (Match match in AutoLink().Matches(line))
            {
                yield return (number, match.Groups[1].Value);
            }

            foreach (Match match in HtmlLink().Matches(line))
            {
                yield return (number, match.Groups[1].Value);
            }

            if (ReferenceDefinition().Match(line) is { Success: true } definition)
            {
                yield return (number, definition.Groups[1].Value);
            }
        }
    }

    /// <summary>The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> Headings(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }

            if (inFence || !line.StartsWith('#'))
            {
                continue;
            }

            var title = line.TrimStart('#').Trim();
            var slug = new StringBuilder();
            foreach (var c in title.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var anchor = slug.ToString();
            for (var n = 1; !anchors.Add(anchor); n++)
            {
                anchor = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"<((?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)[^>\s]+)>")]
    private static partial Regex AutoLink();

    [GeneratedRegex(@"<(?:a|img|script|link|iframe|source)\b[^>]*?\b(?:href|src)\s*=\s*[""']([^""']+)[""']", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")]
    private static partial Regex ReferenceDefinition();
}
