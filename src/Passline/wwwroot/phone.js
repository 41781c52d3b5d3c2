// Keeps the simulated phone's chat current while the page is open (Passline's reply arrives a moment after sending),
// and sends with Enter as WhatsApp does (Shift+Enter for a new line). The chat is an aria-live log: new messages are
// announced.
(function () {
  var chat = document.getElementById('chat');
  if (!chat) return;
  var started = Date.now(), last = chat.innerHTML;
  chat.scrollTop = chat.scrollHeight;
  function refresh() {
    if (Date.now() - started > 10 * 60 * 1000) return;
    fetch(window.location.pathname.replace(/\/$/, '') + '/chat', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : last; })
      .then(function (html) {
        if (html === last) return;
        last = html;
        var fresh = Array.prototype.slice.call(new DOMParser().parseFromString(html, 'text/html').body.children);
        var shown = chat.querySelectorAll('.bubble').length;
        // Only the new messages are added, so that a screen reader announces them and not the whole chat again.
        if (shown > 0 && fresh.length > shown) fresh.slice(shown).forEach(function (node) { chat.appendChild(node); });
        else chat.replaceChildren.apply(chat, fresh);
        chat.scrollTop = chat.scrollHeight;
      })
      .finally(function () { setTimeout(refresh, 1000); });
  }
  setTimeout(refresh, 500);
  var text = document.getElementById('text');
  text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); document.getElementById('compose').requestSubmit(); }
  });
})();
