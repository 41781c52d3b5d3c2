// The dashboard: asks GET /stats with the instance token the person entered (kept in this tab's session storage only)
// and fills the figures and the chart. Labels come from the page, in its language.
(function () {
  const $ = id => document.getElementById(id);
  if (!$('login')) return;
  const language = document.documentElement.lang || undefined;
  const saved = JSON.parse(sessionStorage.getItem('passline-dashboard') || '{}');
  if (saved.instance) { $('instance').value = saved.instance; $('token').value = saved.token; load(); }
  $('login').addEventListener('submit', e => {
    e.preventDefault();
    sessionStorage.setItem('passline-dashboard', JSON.stringify({ instance: $('instance').value.trim(), token: $('token').value.trim() }));
    load();
  });
  $('days').addEventListener('change', load);
  const number = new Intl.NumberFormat(language);
  const percent = new Intl.NumberFormat(language, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const seconds = v => new Intl.NumberFormat(language, { style: 'unit', unit: v < 120 ? 'second' : 'minute', maximumFractionDigits: 1 }).format(v < 120 ? v : v / 60);
  const formats = {
    click_through_rate: v => percent.format(v), verification_success_rate: v => percent.format(v), expiration_rate: v => percent.format(v),
    mean_time_to_verification_seconds: seconds, p95_time_to_verification_seconds: seconds
  };
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
    document.querySelectorAll('[data-figure]').forEach(element => {
      const value = d[element.dataset.figure];
      element.textContent = value == null ? '–' : (formats[element.dataset.figure] || (v => number.format(v)))(value);
    });
    draw(d.series);
  }
  function draw(series) {
    const svg = $('chart'), ns = 'http://www.w3.org/2000/svg', w = 720, h = 220;
    const names = {};
    document.querySelectorAll('[data-series]').forEach(element => { names[element.dataset.series] = element.textContent; });
    const when = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
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
        const t = document.createElementNS(ns, 'title'); t.textContent = `${when.format(new Date(b.start))}: ${number.format(b[key])} ${names[key] || key}`;
        r.append(t); svg.append(r);
      }
    });
    const axis = document.createElementNS(ns, 'line');
    axis.setAttribute('x1', 0); axis.setAttribute('x2', w); axis.setAttribute('y1', h); axis.setAttribute('y2', h); axis.setAttribute('class', 'axis');
    svg.append(axis);
  }
})();
