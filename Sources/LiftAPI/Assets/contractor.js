// The contractor page: live SLA countdowns, the next-step buttons, reload on the live stream.
(function () {
  'use strict';
  var texts = JSON.parse(document.getElementById('lw-i18n').textContent);
  function t(key, args) {
    var text = texts[key] == null ? '⟦' + key + '⟧' : texts[key];
    Object.keys(args || {}).forEach(function (name) { text = text.split('{' + name + '}').join(String(args[name])); });
    return text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('.countdown').forEach(function (cell) {
      var d = +cell.dataset.deadline;
      if (!d) { cell.textContent = '—'; return; }
      var left = d - now, abs = Math.abs(left), h = Math.floor(abs / 3600000), m = Math.floor(abs % 3600000 / 60000), s = Math.floor(abs % 60000 / 1000);
      var text = h > 48 ? t('js.time.days_hours', {d: Math.floor(h / 24), h: h % 24}) : h ? t('js.time.hours_minutes', {h: h, m: m}) : t('js.time.minutes_seconds', {m: m, s: s});
      cell.textContent = left < 0 ? t('js.time.late', {time: text}) : text;
      cell.className = 'countdown ' + (left < 0 ? 'late' : left < 600000 ? 'soon' : '');
    });
  }
  setInterval(tick, 1000); tick();
  document.querySelectorAll('button[data-action]').forEach(function (b) {
    b.addEventListener('click', function () {
      var note = b.dataset.action === 'cancel' ? prompt(t('js.ticket.why_cancel')) : null;
      var body = {action: b.dataset.action, note: note};
      var release = b.closest('[data-release]');
      if (b.dataset.action === 'release' && release) {
        body.passengers = +release.querySelector('[name=passengers]').value;
        body.injuries = +release.querySelector('[name=injuries]').value;
      }
      b.disabled = true;
      fetch('/api/v1/tickets/' + b.dataset.id + '/actions', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { alert(j.error.message); } location.reload(); }); });
    });
  });
  if (window.EventSource) {
    var source = new EventSource('/api/v1/stream');
    source.addEventListener('open', function () { document.getElementById('live').textContent = t('js.live'); });
    source.addEventListener('ticket', function () { setTimeout(function () { location.reload(); }, 300); });
  }
})();
