// The technician's maintenance record: check-in, checklist, photos, check-out and send. A record is first put
// in a queue on the phone (IndexedDB, photos included) and then sent: without signal it waits there and is sent
// when signal returns (the `online` event, and every 30 s while anything waits), from this page or the ticket
// list. The server recognises the record's client_key, so a record sent twice (an answer lost on the way back) is
// stored once. A record the server refuses is kept, with the reason, until the technician sends it again or
// discards it: it is never dropped silently, and never resent on its own.
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
  function all() { return store('readonly', function (s) { return s.getAll(); }).then(function (r) { return r.result || []; }); }
  function put(item) { return store('readwrite', function (s) { s.put(item); }); }
  function remove(key) { return store('readwrite', function (s) { s.delete(key); }); }

  function showQueue() {
    if (!queueBox) return Promise.resolve();
    return all().then(function (items) {
      queueBox.className = 'queue' + (items.length ? '' : ' empty');
      queueBox.textContent = '';
      items.forEach(function (item) {
        var line = document.createElement('div');
        line.textContent = t('js.record.queued', {ticket: item.ticketID}) + (item.error ? ' — ' + item.error : '');
        if (item.failed) {
          [['js.record.retry', function () { item.failed = false; item.error = null; put(item).then(flush); }],
           ['js.record.discard', function () { if (confirm(t('js.record.discard_confirm'))) remove(item.clientKey).then(showQueue); }]]
            .forEach(function (b) {
              var button = document.createElement('button');
              button.type = 'button'; button.className = 'secondary'; button.textContent = t(b[0]);
              button.addEventListener('click', b[1]);
              line.appendChild(button);
            });
        }
        queueBox.appendChild(line);
      });
    }).catch(function () { queueBox.className = 'queue'; queueBox.textContent = t('js.record.no_storage'); });
  }

  // Sends each queued record that is not waiting for the technician: its photos first (each answered with its
  // SHA-256), then the record.
  var flushing = false;
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all().then(function (items) {
      return items.filter(function (item) { return !item.failed; }).reduce(function (chain, item) {
        return chain.then(function () { return send(item); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { flushing = false; return showQueue(); });
  }
  // An answer as {status, json}; a body that is not JSON (a proxy's page) still has its status.
  function answer(r) {
    return r.json().catch(function () { return {error: {message: 'HTTP ' + r.status}}; }).then(function (j) { return {status: r.status, json: j}; });
  }
  function refused(item, message) { item.failed = true; item.error = message; return put(item); }
  function send(item) {
    var hashes = [];
    var photoURL = '/api/v1/photos' + (item.contractor ? '?contractor=' + encodeURIComponent(item.contractor) : '');
    return item.photos.reduce(function (chain, photo) {
      return chain.then(function () {
        return fetch(photoURL, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': photo.type || 'image/jpeg'}, body: photo})
          .then(answer).then(function (a) {
            if (a.status >= 200 && a.status < 300) { hashes.push(a.json.sha256); return; }
            throw {status: a.status, message: a.json.error ? a.json.error.message : 'HTTP ' + a.status};
          });
      });
    }, Promise.resolve()).then(function () {
      var record = Object.assign({}, item.record, {photos: hashes, client_key: item.clientKey});
      return fetch('/api/v1/tickets/' + item.ticketID + '/maintenance-record', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(record)}).then(answer);
    }).then(function (a) {
      if (a.status >= 200 && a.status < 300) { return accepted(item); }
      if (a.status === 409) {
        // The ticket has its record already (sent from another tab or phone): nothing more to send for it.
        return fetch('/api/v1/tickets/' + item.ticketID + '/maintenance-record', {credentials: 'same-origin'}).then(answer).then(function (b) {
          return b.json.record ? accepted(item) : refused(item, a.json.error.message);
        });
      }
      if (a.status >= 500) { item.error = a.json.error.message; return put(item); }  // tried again later
      return refused(item, a.json.error ? a.json.error.message : 'HTTP ' + a.status);
    }, function (failure) {
      if (failure && failure.status && failure.status < 500) { return refused(item, failure.message); }
      // No signal, or the server down: it waits in the queue.
    });
  }
  function accepted(item) {
    return remove(item.clientKey).then(function () {
      localStorage.removeItem('lw-record-' + item.ticketID);
      if (form && +form.dataset.ticket === item.ticketID) { window.location.reload(); }
    });
  }

  window.addEventListener('online', flush);
  setInterval(function () { all().then(function (items) { if (items.some(function (i) { return !i.failed; })) flush(); }).catch(function () {}); }, 30000);
  showQueue().then(flush);

  if (!form) return;
  var ticketID = +form.dataset.ticket;
  var draftKey = 'lw-record-' + ticketID;
  var draft = JSON.parse(localStorage.getItem(draftKey) || '{}');
  var pictures = [];
  // The form as it stands, kept on the phone on every change: a reload (or a browser that closed the tab to open
  // the camera) loses nothing but the photos.
  function saveDraft() {
    draft.technicians = Array.prototype.map.call(form.querySelectorAll('[name=technician]:checked'), function (c) { return c.value; });
    draft.items = {};
    form.querySelectorAll('.checklist select').forEach(function (s) { draft.items[s.name] = s.value; });
    form.querySelectorAll('.checklist input[type=text]').forEach(function (n) { if (n.value) draft.items[n.name] = n.value; });
    localStorage.setItem(draftKey, JSON.stringify(draft));
  }
  (draft.technicians || []).forEach(function (id) {
    var box = form.querySelector('[name=technician][value="' + CSS.escape(id) + '"]');
    if (box) box.checked = true;
  });
  Object.keys(draft.items || {}).forEach(function (name) { var field = form.querySelector('[name="' + CSS.escape(name) + '"]'); if (field) field.value = draft.items[name]; });
  form.addEventListener('change', saveDraft);
  function showCheckIn() {
    if (!draft.checkIn) return;
    document.getElementById('checked-in').textContent = t('js.record.checked_in', {time: new Date(draft.checkIn).toLocaleTimeString()})
      + (draft.place ? '' : ' ' + t('js.record.no_location'));
  }
  showCheckIn();
  document.getElementById('check-in').addEventListener('click', function () {
    draft.checkIn = Date.now();
    draft.place = null;
    saveDraft();
    showCheckIn();
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition(function (p) { draft.place = {lat: p.coords.latitude, lon: p.coords.longitude}; saveDraft(); showCheckIn(); },
        function () {}, {enableHighAccuracy: true, timeout: 15000});
    }
  });
  document.getElementById('all-ok').addEventListener('click', function () {
    form.querySelectorAll('.checklist select').forEach(function (s) { s.value = 'ok'; });
    saveDraft();
  });
  // A phone's photo, made at most 1600 px on its long side as a JPEG (a camera's original is several MiB; the
  // server takes 2 MiB). A file the browser cannot draw is kept as it is.
  function shrink(file) {
    return createImageBitmap(file).then(function (image) {
      var scale = Math.min(1, 1600 / Math.max(image.width, image.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(image.width * scale); canvas.height = Math.round(image.height * scale);
      canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(function (blob) { resolve(blob || file); }, 'image/jpeg', 0.82); });
    }).catch(function () { return file; });
  }
  var photoInput = document.getElementById('photos');
  photoInput.addEventListener('change', function () {
    // Each picture taken is added to those before it (a camera input holds only the last one).
    Promise.all(Array.prototype.map.call(photoInput.files, shrink)).then(function (blobs) {
      pictures = pictures.concat(blobs).slice(0, 20);
      photoInput.value = '';
      document.getElementById('photo-count').textContent = t('js.record.photos', {n: pictures.length});
    });
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var message = document.getElementById('message');
    saveDraft();
    if (!draft.checkIn) { message.textContent = t('js.record.check_in_first'); return; }
    if (!draft.technicians.length) { message.textContent = t('js.record.technicians_first'); return; }
    if (!pictures.length) { message.textContent = t('js.record.photos_first'); return; }
    var items = [];
    for (var no = 1; no <= +form.dataset.items; no++) {
      var note = form.querySelector('[name=n' + no + ']').value.trim();
      items.push({no: no, result: form.querySelector('[name=r' + no + ']').value, note: note || null});
    }
    var record = {technicians: draft.technicians, check_in_at: draft.checkIn, check_out_at: Date.now(), items: items};
    if (draft.place) { record.lat = draft.place.lat; record.lon = draft.place.lon; }
    var key = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : 'r' + Date.now() + '-' + Math.random().toString(16).slice(2, 10);
    var item = {clientKey: key, ticketID: ticketID, contractor: form.dataset.contractor || null, record: record, photos: pictures};
    document.getElementById('submit').disabled = true;
    put(item).then(function () {
      message.textContent = navigator.onLine ? t('js.record.sending') : t('js.record.saved_offline');
      return flush();
    }, function () {
      document.getElementById('submit').disabled = false;
      message.textContent = t('js.record.no_storage');
    });
  });
})();
