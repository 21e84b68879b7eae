// The property manager's page: one tap to answer a rescue call, confirm a record, record a duty, close a hazard.
(function () {
  'use strict';
  var texts = JSON.parse(document.getElementById('lw-i18n').textContent);
  var root = document.getElementById('manager');
  var base = '/api/v1/property-managers/' + encodeURIComponent(root.dataset.manager);
  function post(url, body, button) {
    if (button) button.disabled = true;
    return fetch(url, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body || {})})
      .then(function (r) {
        return r.json().catch(function () { return {error: {message: 'HTTP ' + r.status}}; })
          .then(function (j) { if (!r.ok) { alert(j.error.message); } location.reload(); });
      }, function () { alert(texts['js.offline'] || 'offline'); if (button) button.disabled = false; });
  }
  root.addEventListener('click', function (event) {
    var b = event.target.closest('button');
    if (!b || b.closest('form')) return;
    if (b.dataset.action) post('/api/v1/tickets/' + b.dataset.id + '/actions', {action: b.dataset.action}, b);
    else if (b.dataset.confirm) post('/api/v1/tickets/' + b.dataset.confirm + '/maintenance-record/confirm', {}, b);
    else if (b.dataset.duty) post(base + '/duties', {kind: b.dataset.duty, elevator_id: b.dataset.elevator || null}, b);
    else if (b.dataset.fix) post(base + '/hazards/' + b.dataset.fix + '/fix', {note: null}, b);
  });
  var form = document.getElementById('hazard');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    // The end of the chosen day in China Standard Time.
    var day = form.fix_by.value.split('-').map(Number);
    var fixBy = Date.UTC(day[0], day[1] - 1, day[2] + 1) - 8 * 3600000 - 1;
    post(base + '/hazards', {elevator_id: form.elevator.value, description: form.description.value, fix_by: fixBy}, form.querySelector('button'));
  });
})();
