// The technician's maintenance record: check-in, checklist, photos, check-out and send. A record is first put
// in a queue on the phone (IndexedDB, photos included) and then sent: without signal it waits there and is sent
// when signal returns (the `online` event, and every 30 s while anything waits). The server recognises the
// record's client_key, so a record sent twice (an answer lost on the way back) is stored once.
(function () {
  'use strict';
  var texts = JSON.parse(document.getElementById('lw-i18n').textContent);
  function t(key, args) {
    var text = texts[key] == null ? '⟦' + key + '⟧' : texts[key];
    Object.keys(args || {}).forEach(function (name) { text = text.split('{' + name + '}').join(String(args[name])); });
    return text;
  }
  var queueBox = document.getElementById('queue');
  var form = document.getElementById('record');

  // IndexedDB: one store of queued records, keyed by client_key.
  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open('liftwatch-records', 1);
      request.onupgradeneeded = function () { request.result.createObjectStore('queue', {keyPath: 'clientKey'}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function store(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction('queue', mode), result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        result = work(tx.objectStore('queue'));
      });
    });
  }
  function all() {
    return store('readonly', function (s) { var r = s.getAll(); return r; }).then(function (r) { return r.result || []; });
  }
  function put(item) { return store('readwrite', function (s) { s.put(item); }); }
  function remove(key) { return store('readwrite', function (s) { s.delete(key); }); }

  function showQueue() {
    return all().then(function (items) {
      queueBox.className = 'queue' + (items.length ? '' : ' empty');
      queueBox.textContent = items.map(function (item) {
        return t('js.record.queued', {ticket: item.ticketID}) + (item.error ? ' — ' + item.error : '');
      }).join(' · ');
    });
  }

  // Sends each queued record: its photos first (each answered with its SHA-256), then the record.
  var flushing = false;
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all().then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function () { return send(item); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { flushing = false; return showQueue(); });
  }
  function send(item) {
    var hashes = [];
    return item.photos.reduce(function (chain, photo) {
      return chain.then(function () {
        return fetch('/api/v1/photos', {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': photo.type}, body: photo})
          .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw {server: j.error.message}; hashes.push(j.sha256); }); });
      });
    }, Promise.resolve()).then(function () {
      var record = Object.assign({}, item.record, {photos: hashes, client_key: item.clientKey});
      return fetch('/api/v1/tickets/' + item.ticketID + '/maintenance-record', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(record)});
    }).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) {
          return remove(item.clientKey).then(function () {
            if (form && +form.dataset.ticket === item.ticketID) { window.location.reload(); }
          });
        }
        // Refused (a bad record): kept, with the reason, for the technician to see; never dropped.
        item.error = j.error.message;
        return put(item);
      });
    }, function (failure) {
      if (failure && failure.server) { item.error = failure.server; return put(item); }
      // No signal: it waits in the queue.
    });
  }

  window.addEventListener('online', flush);
  setInterval(function () { all().then(function (items) { if (items.length) flush(); }); }, 30000);
  showQueue().then(flush);

  if (!form) return;
  var ticketID = +form.dataset.ticket;
  var checkIn = null, place = null;
  var draftKey = 'lw-record-' + ticketID;
  var draft = JSON.parse(localStorage.getItem(draftKey) || '{}');
  if (draft.checkIn) { checkIn = draft.checkIn; place = draft.place || null; showCheckIn(); }
  function showCheckIn() {
    document.getElementById('checked-in').textContent = t('js.record.checked_in', {time: new Date(checkIn).toLocaleTimeString()})
      + (place ? '' : ' ' + t('js.record.no_location'));
  }
  document.getElementById('check-in').addEventListener('click', function () {
    checkIn = Date.now();
    function save() { localStorage.setItem(draftKey, JSON.stringify({checkIn: checkIn, place: place})); showCheckIn(); }
    save();
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (p) { place = {lat: p.coords.latitude, lon: p.coords.longitude}; save(); },
        function () { save(); }, {enableHighAccuracy: true, timeout: 15000});
    }
  });
  document.getElementById('all-ok').addEventListener('click', function () {
    form.querySelectorAll('.checklist select').forEach(function (s) { s.value = 'ok'; });
  });
  var photoInput = document.getElementById('photos');
  photoInput.addEventListener('change', function () {
    document.getElementById('photo-count').textContent = t('js.record.photos', {n: photoInput.files.length});
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var message = document.getElementById('message');
    var technicians = Array.prototype.map.call(form.querySelectorAll('[name=technician]:checked'), function (c) { return c.value; });
    if (!checkIn) { message.textContent = t('js.record.check_in_first'); return; }
    if (!technicians.length) { message.textContent = t('js.record.technicians_first'); return; }
    if (!photoInput.files.length) { message.textContent = t('js.record.photos_first'); return; }
    var items = [];
    for (var no = 1; no <= +form.dataset.items; no++) {
      var note = form.querySelector('[name=n' + no + ']').value.trim();
      items.push({no: no, result: form.querySelector('[name=r' + no + ']').value, note: note || null});
    }
    var record = {technicians: technicians, check_in_at: checkIn, check_out_at: Date.now(), items: items};
    if (place) { record.lat = place.lat; record.lon = place.lon; }
    var key = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : 'r' + Date.now() + '-' + Math.random().toString(16).slice(2, 10);
    var item = {clientKey: key, ticketID: ticketID, record: record, photos: Array.prototype.slice.call(photoInput.files)};
    document.getElementById('submit').disabled = true;
    put(item).then(function () {
      localStorage.removeItem(draftKey);
      message.textContent = navigator.onLine ? t('js.record.sending') : t('js.record.saved_offline');
      return flush();
    });
  });
})();
