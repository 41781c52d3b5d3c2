// Shows each <time data-format> in the reader's own time zone and the page's language. Without scripts the server's
// UTC text stays, which is correct too.
(function () {
  var language = document.documentElement.lang || undefined;
  var formats = {
    datetime: { dateStyle: 'medium', timeStyle: 'short' },
    time: { timeStyle: 'short' }
  };
  document.querySelectorAll('time[data-format]').forEach(function (element) {
    var moment = new Date(element.getAttribute('datetime'));
    var format = formats[element.dataset.format];
    if (isNaN(moment.getTime()) || !format) return;
    try {
      element.textContent = new Intl.DateTimeFormat(language, format).format(moment);
      element.title = moment.toISOString().replace('.000Z', 'Z');
      element.removeAttribute('dir');
    } catch (e) {
      // An unknown language or an old browser: the UTC text stays.
    }
  });
})();
