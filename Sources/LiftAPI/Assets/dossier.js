// The dossier's health charts: one per elevator, from the JSON block named by each canvas's data-series.
(function () {
  'use strict';
  var colors = ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c'];
  var block = document.getElementById('lw-i18n');
  var texts = block ? JSON.parse(block.textContent) : {};
  document.querySelectorAll('canvas[data-series]').forEach(function (canvas) {
    var history = JSON.parse(document.getElementById(canvas.dataset.series).textContent);
    if (typeof Chart === 'undefined' || history.labels.length === 0) {
      var note = document.createElement('p');
      note.className = 'muted';
      note.textContent = texts['js.dossier.no_history'] || '⟦js.dossier.no_history⟧';
      canvas.parentNode.replaceChild(note, canvas);
      return;
    }
    var labels = history.labels;
    new Chart(canvas, {type: 'line', data: {labels: labels, datasets: history.series.map(function (x, i) {
      return {label: x.label, data: x.points[0], borderColor: colors[i], backgroundColor: colors[i], yAxisID: 'y' + i,
        pointRadius: labels.length < 3 ? 3 : 0, spanGaps: true, borderWidth: 1.5};
    })}, options: {animation: false, maintainAspectRatio: false, interaction: {mode: 'index', intersect: false}, scales: {
      y0: {position: 'left', title: {display: true, text: history.axes[0]}},
      y1: {position: 'right', grid: {drawOnChartArea: false}, title: {display: true, text: history.axes[1]}},
      y2: {display: false}, y3: {display: false}}}});
  });
})();
