using System.Security.Cryptography;

namespace Passline.Pages;

/// <summary>
/// The frame of every page (SPEC 4): small, readable on a phone, no external assets, and sent with
/// <c>Cache-Control: no-store</c>, <c>Referrer-Policy: no-referrer</c>, <c>X-Frame-Options: DENY</c> and a strict
/// Content-Security-Policy whose nonce admits only this response's own style (and script, where a page has one).
/// </summary>
public static class Page
{
    /// <summary>HTML-escapes text for element content and quoted attributes, leaving other characters (Arabic, emoji, +) readable.</summary>
    public static string Encode(string text) => System.Net.WebUtility.HtmlEncode(text);

    /// <param name="formTargets">Origins a form on the page may lead to: CSP's form-action also governs the redirect after a POST.</param>
    public static IResult Render(HttpContext context, string title, string body, int statusCode = StatusCodes.Status200OK,
        IEnumerable<string>? formTargets = null, string? script = null, bool wide = false)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = string.Join("; ",
            "default-src 'none'",
            $"style-src 'nonce-{nonce}'",
            script is null ? "script-src 'none'" : $"script-src 'nonce-{nonce}'",
            "connect-src 'self'",
            "img-src 'self' data:",
            $"form-action 'self' {string.Join(' ', formTargets ?? [])}".TrimEnd(),
            "frame-ancestors 'none'",
            "base-uri 'none'");

        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <title>{{Encode(title)}}</title>
            <style nonce="{{nonce}}">{{Styles}}</style>
            </head>
            <body>
            <main class="card{{(wide ? " wide" : "")}}">
            {{body}}
            </main>
            <p class="foot">Secured by Passline</p>
            {{(script is null ? "" : $"<script nonce=\"{nonce}\">{script}</script>")}}
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: statusCode);
    }

    /// <summary>The page for a client over the per-IP limit (SPEC 6), with <c>Retry-After</c>.</summary>
    public static IResult TooManyRequests(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Render(context, "Too many requests", $"<h1>Too many requests</h1><p>Please wait {seconds} seconds and try again.</p>",
            StatusCodes.Status429TooManyRequests);
    }

    private const string Styles = """
        :root{color-scheme:light dark;--bg:#f4f6f8;--card:#fff;--text:#1b1f24;--muted:#5b6570;--accent:#128c4a;--danger:#b42318;--line:#e3e7eb}
        @media (prefers-color-scheme:dark){:root{--bg:#0f1418;--card:#182026;--text:#e8edf1;--muted:#9aa6b1;--line:#2a343c;--accent:#25d366}}
        *{box-sizing:border-box}
        body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:16px;
          background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        .card{width:100%;max-width:420px;background:var(--card);border:1px solid var(--line);border-radius:16px;padding:28px 24px;box-shadow:0 8px 24px rgba(0,0,0,.06)}
        h1{font-size:1.35rem;margin:0 0 8px;line-height:1.3}
        p{margin:8px 0;color:var(--muted)}
        dl{margin:20px 0;display:grid;grid-template-columns:auto 1fr;gap:8px 16px}
        dt{color:var(--muted)} dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        .warn{border-left:4px solid var(--danger);padding:8px 12px;background:rgba(180,35,24,.08);border-radius:8px;color:var(--text)}
        form{display:grid;gap:10px;margin-top:20px}
        button{font:inherit;font-weight:600;padding:14px;border-radius:12px;border:1px solid var(--line);cursor:pointer;background:transparent;color:var(--text)}
        button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
        button:focus-visible{outline:3px solid #5b9dff;outline-offset:2px}
        .icon{font-size:2.5rem;line-height:1;margin-bottom:8px}
        .foot{color:var(--muted);font-size:.8rem;margin-top:16px}
        .card.wide{max-width:960px}
        h2{font-size:1.05rem;margin:24px 0 8px}
        .row{display:flex;flex-wrap:wrap;gap:12px;align-items:end;grid-template-columns:none}
        label{display:grid;gap:4px;color:var(--muted);font-size:.9rem}
        input,select{font:inherit;padding:10px;border-radius:10px;border:1px solid var(--line);background:transparent;color:var(--text);min-width:0}
        .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:16px}
        .tile{border:1px solid var(--line);border-radius:12px;padding:12px;display:grid;gap:2px}
        .tile strong{font-size:1.4rem} .tile span{color:var(--muted);font-size:.85rem}
        svg{width:100%;height:240px;display:block}
        rect.verified,.k.verified{fill:#128c4a;background:#128c4a} rect.expired,.k.expired{fill:#d4a017;background:#d4a017}
        rect.failed,.k.failed{fill:#b42318;background:#b42318} rect.pending,.k.pending{fill:#8a94a0;background:#8a94a0}
        .axis{stroke:var(--line)} .legend{font-size:.85rem}
        .k{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px}
        """;
}
