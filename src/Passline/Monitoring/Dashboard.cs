using Passline.Pages;

namespace Passline.Monitoring;

/// <summary>
/// <c>GET /dashboard</c>: the figures of <c>GET /stats</c> with charts, for a person. The page holds no data of its own:
/// the browser asks the stats endpoint with the instance token the person enters (kept in this tab's session storage
/// only), so the page is protected exactly as the API is.
/// </summary>
public static class Dashboard
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", Show).ExcludeFromDescription();
        return app;
    }

    private static IResult Show(HttpContext context) => Page.Render(context, "Passline dashboard", Body, script: Script, wide: true);

    private const string Body = """
        <h1>Dashboard</h1>
        <form id="login" class="row">
          <label>Instance <input id="instance" required pattern="[0-9a-fA-F-]{36}" placeholder="01a2…" autocomplete="off"></label>
          <label>API token <input id="token" type="password" required autocomplete="off"></label>
          <label>Period <select id="days"><option value="1">24 hours</option><option value="7" selected>7 days</option><option value="30">30 days</option></select></label>
          <button class="primary" type="submit">Show</button>
        </form>
        <p id="error" class="warn" hidden></p>
        <section id="figures" hidden>
          <div class="tiles" id="tiles"></div>
          <h2>Link requests over time</h2>
          <svg id="chart" class="chart" role="img" aria-label="Link requests per period, by outcome" viewBox="0 0 720 240" preserveAspectRatio="none"></svg>
          <p class="legend"><span class="k verified"></span>verified <span class="k expired"></span>expired <span class="k failed"></span>failed <span class="k pending"></span>pending</p>
        </section>
        """;

    private const string Script = """
        const $ = id => document.getElementById(id);
        const saved = JSON.parse(sessionStorage.getItem('passline-dashboard') || '{}');
        if (saved.instance) { $('instance').value = saved.instance; $('token').value = saved.token; load(); }
        $('login').addEventListener('submit', e => {
          e.preventDefault();
          sessionStorage.setItem('passline-dashboard', JSON.stringify({ instance: $('instance').value.trim(), token: $('token').value.trim() }));
          load();
        });
        $('days').addEventListener('change', load);
        const pct = v => v == null ? '–' : (v * 100).toFixed(1) + ' %';
        const sec = v => v == null ? '–' : v < 120 ? v.toFixed(1) + ' s' : (v / 60).toFixed(1) + ' min';
        async function load() {
          const { instance, token } = JSON.parse(sessionStorage.getItem('passline-dashboard') || '{}');
          if (!instance) return;
          const to = new Date(), from = new Date(to - $('days').value * 86400000);
          const url = `/api/otp/v2/${encodeURIComponent(instance)}/stats?from=${from.toISOString()}&to=${to.toISOString()}`;
          const response = await fetch(url, { headers: { Authorization: 'Bearer ' + token } });
          const body = await response.json().catch(() => ({ message: 'Unexpected answer' }));
          if (!response.ok) { $('error').textContent = body.message; $('error').hidden = false; $('figures').hidden = true; return; }
          $('error').hidden = true; $('figures').hidden = false;
          const d = body.data;
          const tiles = [
            ['Links generated', d.links_generated], ['Link clicks', d.link_clicks], ['Click-through', pct(d.click_through_rate)],
            ['Messages received', d.messages_received], ['Verified', pct(d.verification_success_rate)], ['Expired', pct(d.expiration_rate)],
            ['Failed attempts', d.failed_attempts], ['Mean time to verify', sec(d.mean_time_to_verification_seconds)],
            ['p95 time to verify', sec(d.p95_time_to_verification_seconds)], ['Codes requested', d.codes_requested]];
          $('tiles').replaceChildren(...tiles.map(([label, value]) => {
            const tile = document.createElement('div'); tile.className = 'tile';
            const v = document.createElement('strong'); v.textContent = value;
            const l = document.createElement('span'); l.textContent = label;
            tile.append(v, l); return tile;
          }));
          draw(d.series);
        }
        function draw(series) {
          const svg = $('chart'), ns = 'http://www.w3.org/2000/svg', w = 720, h = 220;
          svg.replaceChildren();
          const max = Math.max(1, ...series.map(b => b.generated));
          const bw = w / Math.max(1, series.length);
          series.forEach((b, i) => {
            let y = h;
            for (const key of ['verified', 'expired', 'failed', 'pending']) {
              const bh = b[key] / max * (h - 10);
              if (!bh) continue;
              y -= bh;
              const r = document.createElementNS(ns, 'rect');
              r.setAttribute('x', i * bw + 1); r.setAttribute('y', y); r.setAttribute('width', Math.max(1, bw - 2)); r.setAttribute('height', bh);
              r.setAttribute('class', key);
              const t = document.createElementNS(ns, 'title'); t.textContent = `${new Date(b.start).toLocaleString()}: ${b[key]} ${key}`;
              r.append(t); svg.append(r);
            }
          });
          const axis = document.createElementNS(ns, 'line');
          axis.setAttribute('x1', 0); axis.setAttribute('x2', w); axis.setAttribute('y1', h); axis.setAttribute('y2', h); axis.setAttribute('class', 'axis');
          svg.append(axis);
        }
        """;
}
