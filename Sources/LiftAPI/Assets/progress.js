// The progress report's chart: this year's cumulative approvals, construction starts and completions month by month,
// against the year's targets (flat lines).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lw-progress').textContent);
  var labels = data.months.map(function (m) { return m + '月'; });
  function target(value, colour, label) {
    return value == null ? null : {label: label, data: data.months.map(function () { return value; }), borderColor: colour,
      borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, fill: false};
  }
  var sets = [
    {label: '联合审批 approvals', data: data.approvals, borderColor: '#6baed6', backgroundColor: '#6baed6', borderWidth: 2},
    {label: '开工 starts', data: data.construction_starts, borderColor: '#fd8d3c', backgroundColor: '#fd8d3c', borderWidth: 2},
    {label: '竣工 completions', data: data.completions, borderColor: '#31a354', backgroundColor: '#31a354', borderWidth: 2.5},
    target(data.targets.approvals, '#6baed6', '审批目标 target'),
    target(data.targets.construction_starts, '#fd8d3c', '开工目标 target'),
    target(data.targets.completions, '#31a354', '竣工目标 target')
  ].filter(function (s) { return s; });
  new Chart(document.getElementById('progress-chart'), {type: 'line', data: {labels: labels, datasets: sets},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
})();
