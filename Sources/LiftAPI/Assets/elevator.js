// The elevator page: its health signals over a chosen range, from /api/v1/elevators/{id}/series.
(function () {
  'use strict';
  var page = JSON.parse(document.getElementById('lw-elevator').textContent);
  var texts = JSON.parse(document.getElementById('lw-i18n').textContent);
  function t(key) { return texts[key] == null ? '⟦' + key + '⟧' : texts[key]; }
  var chart = null, now = page.now;
  // Beijing time, whatever the browser's zone.
  function label(ms) { return new Date(ms + 8 * 3600000).toISOString().slice(0, 16).replace('T', ' '); }
  function load() {
    var range = +document.getElementById('range').value, select = document.getElementById('metric'), metric = select.value;
    var name = select.options[select.selectedIndex].textContent;
    // Whole hours past two days: minute rollups are kept only for the last days, hours for years.
    var step = range > 172800000 ? Math.max(3600000, Math.round(range / 200 / 3600000) * 3600000) : Math.max(60000, Math.floor(range / 200 / 60000) * 60000);
    if (range >= 2592000000) { step = range >= 31536000000 ? 86400000 : 3600000 * 6; }
    fetch('/api/v1/elevators/' + encodeURIComponent(page.id) + '/series?metric=' + metric + '&from=' + (now - range) + '&to=' + now + '&step=' + step, {credentials: 'same-origin'})
      .then(function (r) { return r.json(); }).then(function (s) {
        document.getElementById('nodata').textContent = s.points.length ? '' : t('js.elevator.no_samples');
        if (chart) { chart.destroy(); }
        chart = new Chart(document.getElementById('signal'), {type: 'line', data: {labels: s.points.map(function (p) { return label(p.start); }), datasets: [
          {label: name + ' · ' + t('js.chart.mean'), data: s.points.map(function (p) { return p.mean; }), borderColor: '#1f77b4', pointRadius: 0, borderWidth: 1.5},
          {label: t('js.chart.min'), data: s.points.map(function (p) { return p.min; }), borderColor: '#9ecae1', pointRadius: 0, borderWidth: 1, fill: '+1', backgroundColor: 'rgba(158,202,225,.25)'},
          {label: t('js.chart.max'), data: s.points.map(function (p) { return p.max; }), borderColor: '#9ecae1', pointRadius: 0, borderWidth: 1}]},
          options: {animation: false, maintainAspectRatio: false, interaction: {mode: 'index', intersect: false}}});
      });
  }
  document.getElementById('range').addEventListener('change', load);
  document.getElementById('metric').addEventListener('change', load);
  load();
})();
