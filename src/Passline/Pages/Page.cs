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
    /// <param name="wide">A wider card, for pages with two columns on a desktop (the link page, the demo).</param>
    public static IResult Render(HttpContext context, string title, string body, int statusCode = StatusCodes.Status200OK,
        IEnumerable<string>? formTargets = null, string? script = null, bool wide = false)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        SecurityHeaders(context.Response, string.Join("; ",
            "default-src 'none'",
            $"style-src 'nonce-{nonce}'",
            script is null ? "script-src 'none'" : $"script-src 'nonce-{nonce}'",
            "connect-src 'self'",
            "img-src 'self' data:",
            $"form-action 'self' {string.Join(' ', formTargets ?? [])}".TrimEnd(),
            "frame-ancestors 'none'",
            "base-uri 'none'"));

        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <link rel="icon" href="data:,">
            <title>{{Encode(title)}}</title>
            <style nonce="{{nonce}}">{{Styles}}</style>
            </head>
            <body>
            <main class="card{{(wide ? " wide" : "")}}">
            {{body}}
            </main>
            <p class="foot">{{Icon("lock", "small")}} Secured by Passline</p>
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

    /// <summary>The headers every page sends (SPEC 4), with the page's own Content-Security-Policy.</summary>
    public static void SecurityHeaders(HttpResponse response, string contentSecurityPolicy)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = contentSecurityPolicy;
    }

    /// <summary>A 302/303 to <paramref name="location"/> that keeps the page's caching and referrer rules.</summary>
    public static IResult Redirect(HttpContext context, string location, int statusCode = StatusCodes.Status303SeeOther)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Headers.Location = location;
        return Results.StatusCode(statusCode);
    }

    /// <summary>A small inline SVG icon (no emoji: not every device has a colour emoji font).</summary>
    public static string Icon(string name, string size = "") =>
        $"""<svg class="i {size}" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{IconPaths(name)}</svg>""";

    /// <summary>A round badge with an icon, at the top of a page that reports an outcome.</summary>
    public static string Badge(string icon, string tone) => $"""<div class="badge {tone}">{Icon(icon)}</div>""";

    private static string IconPaths(string name) => name switch
    {
        "check" => """<path d="M20 6 9 17l-5-5"/>""",
        "shield" => """<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/><path d="m9 12 2 2 4-4"/>""",
        "clock" => """<circle cx="12" cy="12" r="10"/><path d="M12 6v6l4 2"/>""",
        "link" => """<path d="M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71"/><path d="M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71"/>""",
        "x" => """<circle cx="12" cy="12" r="10"/><path d="m15 9-6 6M9 9l6 6"/>""",
        "phone" => """<rect x="5" y="2" width="14" height="20" rx="2"/><path d="M12 18h.01"/>""",
        "monitor" => """<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/>""",
        "chat" => """<path d="M21 11.5a8.4 8.4 0 0 1-9 8.4 8.5 8.5 0 0 1-3.8-.9L3 21l1.9-5.2A8.4 8.4 0 0 1 12 3a8.4 8.4 0 0 1 9 8.5z"/>""",
        "lock" => """<rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>""",
        "send" => """<path d="m22 2-7 20-4-9-9-4z"/><path d="M22 2 11 13"/>""",
        "alert" => """<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4M12 17h.01"/>""",
        _ => "",
    };

    private const string Styles = """
        :root{color-scheme:light dark;--bg:#f3f5f7;--card:#fff;--text:#16191d;--muted:#5b6570;--accent:#128c4a;--accent-text:#fff;--accent-soft:#e7f6ee;
          --danger:#b42318;--danger-soft:#fdecea;--warn:#9a6700;--warn-soft:#fff6db;--line:#e3e7eb;--chat:#efeae2;--bubble-in:#fff;--bubble-out:#d9fdd3}
        @media (prefers-color-scheme:dark){:root{--bg:#0f1418;--card:#182026;--text:#e8edf1;--muted:#9aa6b1;--line:#2a343c;--accent:#25d366;--accent-text:#062b16;
          --accent-soft:#173a27;--danger-soft:#3a1c1a;--warn:#f0c35a;--warn-soft:#3a3117;--chat:#0b141a;--bubble-in:#202c33;--bubble-out:#005c4b}}
        *{box-sizing:border-box}
        body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:16px;
          background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif}
        .card{width:100%;max-width:440px;background:var(--card);border:1px solid var(--line);border-radius:18px;padding:28px 24px;box-shadow:0 10px 30px rgba(16,24,40,.07)}
        .card.wide{max-width:820px}
        @media (max-width:480px){body{padding:10px}.card{padding:22px 16px;border-radius:16px}}
        h1{font-size:1.4rem;margin:0 0 8px;line-height:1.3}
        h2{font-size:1.05rem;margin:0 0 6px}
        p{margin:8px 0;color:var(--muted)}
        a{color:var(--accent)}
        code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);padding:1px 5px;border-radius:6px}
        dl{margin:20px 0;display:grid;grid-template-columns:auto 1fr;gap:8px 16px}
        dt{color:var(--muted)} dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        dd small{display:block;font-weight:400;color:var(--muted)}
        .notice{display:flex;gap:10px;align-items:flex-start;border-radius:12px;padding:12px 14px;margin:16px 0;color:var(--text)}
        .notice .i{flex:none;margin-top:2px}
        .notice.warn{background:var(--warn-soft)} .notice.warn .i{color:var(--warn)}
        .notice.danger{background:var(--danger-soft)} .notice.danger .i{color:var(--danger)}
        .notice.ok{background:var(--accent-soft)} .notice.ok .i{color:var(--accent)}
        .notice p{margin:0;color:inherit}
        form{display:grid;gap:10px;margin-top:20px}
        button,.button{font:inherit;font-weight:600;padding:13px 16px;border-radius:12px;border:1px solid var(--line);cursor:pointer;background:transparent;
          color:var(--text);text-decoration:none;display:inline-flex;align-items:center;justify-content:center;gap:8px;text-align:center}
        button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-text)}
        button:focus-visible,.button:focus-visible,a:focus-visible{outline:3px solid #5b9dff;outline-offset:2px}
        .i{width:1.25em;height:1.25em;vertical-align:-.25em}
        .i.small{width:1em;height:1em;vertical-align:-.15em}
        .badge{width:56px;height:56px;border-radius:50%;display:flex;align-items:center;justify-content:center;margin-bottom:14px}
        .badge .i{width:28px;height:28px}
        .badge.ok{background:var(--accent-soft);color:var(--accent)} .badge.danger{background:var(--danger-soft);color:var(--danger)}
        .badge.warn{background:var(--warn-soft);color:var(--warn)} .badge.muted{background:var(--bg);color:var(--muted)}
        .foot{color:var(--muted);font-size:.8rem;margin-top:16px}
        .row{display:flex;flex-wrap:wrap;gap:12px;align-items:end;grid-template-columns:none}
        label{display:grid;gap:4px;color:var(--muted);font-size:.9rem}
        input,select{font:inherit;padding:10px;border-radius:10px;border:1px solid var(--line);background:transparent;color:var(--text);min-width:0}
        .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:16px}
        .tile{border:1px solid var(--line);border-radius:12px;padding:12px;display:grid;gap:2px}
        .tile strong{font-size:1.4rem} .tile span{color:var(--muted);font-size:.85rem}
        svg.chart{width:100%;height:240px;display:block}
        rect.verified,.k.verified{fill:#128c4a;background:#128c4a} rect.expired,.k.expired{fill:#d4a017;background:#d4a017}
        rect.failed,.k.failed{fill:#b42318;background:#b42318} rect.pending,.k.pending{fill:#8a94a0;background:#8a94a0}
        .axis{stroke:var(--line)} .legend{font-size:.85rem}
        .k{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px}
        .split{display:grid;grid-template-columns:280px 1fr;gap:32px;align-items:start}
        @media (max-width:700px){.split{grid-template-columns:1fr;gap:20px}}
        .qr{background:#fff;border:1px solid var(--line);border-radius:16px;padding:14px;text-align:center}
        .qr img{display:block;width:100%;max-width:250px;height:auto;margin:0 auto;image-rendering:pixelated}
        .qr p{color:#5b6570;font-size:.85rem;margin:8px 0 0}
        .actions{display:grid;gap:10px;margin-top:18px}
        .status{display:flex;gap:12px;align-items:flex-start;border:1px solid var(--line);border-radius:14px;padding:14px;margin-top:18px}
        .status .dot{flex:none;width:12px;height:12px;border-radius:50%;margin-top:6px;background:var(--muted)}
        .status[data-state=waiting] .dot,.status[data-state=received] .dot{background:var(--accent);animation:pulse 1.4s ease-in-out infinite}
        .status[data-state=verified] .dot,.status[data-state=redirect] .dot{background:var(--accent)}
        .status[data-state=declined] .dot,.status[data-state=failed] .dot{background:var(--danger)}
        .status[data-state=expired] .dot{background:var(--warn)}
        .status strong{display:block} .status p{margin:2px 0 0}
        @keyframes pulse{0%,100%{opacity:1;transform:scale(1)}50%{opacity:.35;transform:scale(.8)}}
        @media (prefers-reduced-motion:reduce){.status .dot{animation:none!important}}
        ol.steps{margin:12px 0 0;padding-left:20px;color:var(--muted)} ol.steps li{margin:4px 0}
        .muted{color:var(--muted)} .center{text-align:center}
        .brand{display:flex;align-items:center;gap:10px;margin-bottom:18px;font-weight:700}
        .brand .logo{width:36px;height:36px;border-radius:10px;background:var(--accent);color:var(--accent-text);display:flex;align-items:center;justify-content:center}
        .brand small{display:block;font-weight:400;color:var(--muted);font-size:.8rem}
        .phone{border:1px solid var(--line);border-radius:22px;overflow:hidden;background:var(--chat);display:flex;flex-direction:column;min-height:480px;margin:-8px -4px 0}
        .phone header{background:#075e54;color:#fff;padding:12px 16px;display:flex;gap:12px;align-items:center}
        .phone header .avatar{width:38px;height:38px;border-radius:50%;background:#25d366;display:flex;align-items:center;justify-content:center;color:#063;font-weight:700}
        .phone header small{display:block;opacity:.8;font-size:.8rem}
        .chat{flex:1;padding:14px 12px;display:flex;flex-direction:column;gap:8px;overflow-y:auto;max-height:55vh}
        .bubble{max-width:85%;padding:8px 10px 6px;border-radius:10px;box-shadow:0 1px .5px rgba(0,0,0,.13);overflow-wrap:anywhere;white-space:pre-wrap;font-size:.95rem}
        .bubble time{display:block;text-align:right;font-size:.7rem;color:var(--muted);margin-top:2px}
        .bubble.in{align-self:flex-start;background:var(--bubble-in);border-top-left-radius:2px}
        .bubble.out{align-self:flex-end;background:var(--bubble-out);border-top-right-radius:2px}
        .chat .empty{align-self:center;background:var(--card);color:var(--muted);font-size:.85rem;padding:6px 12px;border-radius:8px;text-align:center}
        .compose{display:flex;gap:8px;padding:10px;margin:0;background:var(--card);border-top:1px solid var(--line);align-items:flex-end}
        .compose textarea{flex:1;font:inherit;font-size:.95rem;padding:10px 12px;border-radius:20px;border:1px solid var(--line);background:var(--bg);color:var(--text);resize:none;min-height:44px}
        .compose button{border-radius:50%;width:48px;height:48px;padding:0;flex:none}
        .who{font-size:.85rem;color:var(--muted);margin:10px 0 0;text-align:center}
        """;
}
