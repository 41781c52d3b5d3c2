// The link page's live status (SPEC 4.3): server-sent events, and after repeated errors (a proxy that buffers, no
// EventSource, a stream refused) polling of the JSON status, which waits longer after an error (a 429 among them). A
// redirect in the status is where the sign-in continues. The status box is an aria-live region: screen readers
// announce each change.
(function () {
  var box = document.getElementById('status');
  if (!box) return;
  var title = document.getElementById('status-title'), text = document.getElementById('status-text');
  var query = '?lang=' + encodeURIComponent(box.dataset.language || '');
  var base = box.dataset.request, done = false, failures = 0, source = null;
  function show(s) {
    if (done) return;
    if (box.dataset.state !== s.state || title.textContent !== s.title) {
      box.dataset.state = s.state; title.textContent = s.title; text.textContent = s.text;
    }
    if (s.redirect) { done = true; window.location.replace(s.redirect); return; }
    if (s.final) { done = true; document.getElementById('qr').hidden = true; if (source) source.close(); }
  }
  function poll() {
    if (done) return;
    fetch(base + '/status' + query, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (s) { show(s); setTimeout(poll, 2000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (!('EventSource' in window)) { poll(); return; }
  source = new EventSource(base + '/events' + query);
  source.addEventListener('status', function (e) { failures = 0; show(JSON.parse(e.data)); });
  // CLOSED: the server refused the stream (a 429: too many open from this address), which EventSource never retries.
  source.onerror = function () {
    if (!done && (source.readyState === EventSource.CLOSED || ++failures >= 3)) { source.close(); poll(); }
  };
})();
