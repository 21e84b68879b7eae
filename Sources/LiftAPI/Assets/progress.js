// The progress report's chart: this year's cumulative approvals, construction starts and completions month by month,
// against the year's targets (flat lines).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lw-progress').textContent);
  var texts = JSON.parse(document.getElementById('lw-i18n').textContent);
  function t(key, args) {
    var text = texts[key] == null ? '⟦' + key + '⟧' : texts[key];
    Object.keys(args || {}).forEach(function (name) { text = text.split('{' + name + '}').join(String(args[name])); });
    return text;
  }
  var labels = data.months.map(function (m) { return t('js.progress.month', {m: m}); });
  function target(value, colour, label) {
    return value == null ? null : {label: label, data: data.months.map(function () { return value; }), borderColor: colour,
      borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, fill: false};
  }
  var sets = [
    {label: t('js.progress.approvals'), data: data.approvals, borderColor: '#6baed6', backgroundColor: '#6baed6', borderWidth: 2},
    {label: t('js.progress.starts'), data: data.construction_starts, borderColor: '#fd8d3c', backgroundColor: '#fd8d3c', borderWidth: 2},
    {label: t('js.progress.completions'), data: data.completions, borderColor: '#31a354', backgroundColor: '#31a354', borderWidth: 2.5},
    target(data.targets.approvals, '#6baed6', t('js.progress.approvals_target')),
    target(data.targets.construction_starts, '#fd8d3c', t('js.progress.starts_target')),
    target(data.targets.completions, '#31a354', t('js.progress.completions_target'))
  ].filter(function (s) { return s; });
  new Chart(document.getElementById('progress-chart'), {type: 'line', data: {labels: labels, datasets: sets},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
})();
