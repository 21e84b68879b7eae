// The regulator's overview: the one map (一张图) and the monthly charts. The map asks /api/v1/map for what the view
// shows: units counted per city, district or street while zoomed out, one by one once zoomed in. Every text (a
// unit's address is whatever a CSV or a PUT put there) is set as text, never parsed as HTML.
(function () {
  'use strict';
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }
  var texts = data('lw-i18n') || {};
  function t(key, args) {
    var text = texts[key] == null ? '⟦' + key + '⟧' : texts[key];
    Object.keys(args || {}).forEach(function (name) { text = text.split('{' + name + '}').join(String(args[name])); });
    return text;
  }
  function named(prefix, raw) { var key = prefix + '.' + raw; return texts[key] == null ? raw : texts[key]; }
  var months = data('lw-months') || [];
  var config = data('lw-config') || {};
  var palettes = {
    rating: {suitable: '#2e7d32', difficult: '#f9a825', unsuitable: '#9e9e9e', unrated: '#bdbdbd'},
    stage: {surveyed: '#bdbdbd', approved: '#90caf9', under_construction: '#42a5f5', accepted: '#1e88e5', registered: '#3949ab',
      in_service: '#2e7d32', suspended: '#ef6c00', decommissioned: '#6d4c41'},
    health: {ok: '#2e7d32', watch: '#f9a825', degraded: '#ef6c00', out_of_service: '#c62828', offline: '#607d8b', none: '#d0d0d0'}
  };
  var colourBy = 'rating';
  function text(value) { return document.createTextNode(value == null ? '' : String(value)); }
  function line(box, value) { box.appendChild(document.createElement('br')); box.appendChild(text(value)); }

  var map = L.map('map', {preferCanvas: true, attributionControl: false, minZoom: 5, maxZoom: 18});
  map.setView([27.6, 111.7], 7);
  if (config.tile_url) { L.tileLayer(config.tile_url, {maxZoom: 19}).addTo(map); }
  var outlines = {city: null, district: null};
  var layer = L.layerGroup().addTo(map);
  var status = document.getElementById('map-status');

  function loadOutlines(level, style) {
    return fetch('/api/v1/map/outlines?level=' + level + (config.region ? '&region=' + config.region : ''), {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (geo) {
      outlines[level] = L.geoJSON(geo, {style: style, interactive: false});
      return geo;
    });
  }
  function showOutlines() {
    var zoom = map.getZoom();
    if (outlines.city && !map.hasLayer(outlines.city)) { outlines.city.addTo(map).bringToBack(); }
    if (outlines.district) {
      if (zoom >= 8 && !map.hasLayer(outlines.district)) { outlines.district.addTo(map); }
      if (zoom < 8 && map.hasLayer(outlines.district)) { map.removeLayer(outlines.district); }
    }
  }
  var ready = Promise.all([
    loadOutlines('city', {color: '#1f3a5f', weight: 1.6, fillColor: '#ffffff', fillOpacity: 0.5}),
    loadOutlines('district', {color: '#5c7894', weight: 0.8, dashArray: '3 3', fill: false})
  ]).then(function (geos) {
    var bounds = outlines.city.getBounds();
    if (config.region && config.region.length > 4 && outlines.district.getLayers().length) { bounds = outlines.district.getBounds(); }
    if (bounds.isValid()) { map.fitBounds(bounds, {padding: [8, 8]}); }
    showOutlines();
    return geos;
  }).catch(function () { return null; });

  function filters() {
    var q = [];
    var place = document.getElementById('place').value, estate = document.getElementById('estate').value;
    if (place) { q.push('region=' + place); }
    if (estate) { q.push('estate=' + encodeURIComponent(estate)); }
    ['rating', 'stage', 'health'].forEach(function (name) {
      var value = document.getElementById('f-' + name).value;
      if (value) { q.push(name + '=' + value); }
    });
    return q;
  }

  function dominant(counts) {
    var best = null;
    Object.keys(counts || {}).forEach(function (key) { if (best === null || counts[key] > counts[best]) { best = key; } });
    return best;
  }

  function groupPopup(group) {
    var box = document.createElement('div');
    var title = document.createElement('b');
    title.textContent = (group.name || group.code) + ' · ' + t('js.map.units', {n: group.count});
    box.appendChild(title);
    ['rating', 'stage', 'health'].forEach(function (by) {
      var counts = group[by] || {};
      var keys = Object.keys(counts);
      if (!keys.length) { return; }
      line(box, t('js.map.by_' + by) + ': ' + keys.map(function (k) { return named(by, k) + ' ' + counts[k]; }).join('，'));
    });
    return box;
  }

  function unitPopup(unit) {
    var box = document.createElement('div');
    var title = document.createElement('b');
    title.textContent = unit.id;
    box.appendChild(title);
    line(box, unit.address);
    line(box, t('js.map.rating') + ': ' + named('rating', unit.rating));
    line(box, t('js.map.stage') + ': ' + named('stage', unit.stage));
    if (unit.estate) { line(box, t('js.map.estate') + ': ' + unit.estate); }
    if (unit.households != null) { line(box, t('js.map.households') + ': ' + unit.households); }
    if (unit.elevator) {
      box.appendChild(document.createElement('br'));
      var link = document.createElement('a');
      link.href = '/elevators/' + encodeURIComponent(unit.elevator);
      link.textContent = unit.elevator;
      box.appendChild(link);
      box.appendChild(text(' · ' + (unit.health ? named('health', unit.health) : '—')));
    }
    return box;
  }

  var last = null, controller = null;
  function draw(answer) {
    last = answer;
    layer.clearLayers();
    var palette = palettes[colourBy];
    if (answer.level === 'unit') {
      answer.units.forEach(function (unit) {
        var key = colourBy === 'health' ? (unit.health || 'none') : unit[colourBy];
        var marker = L.circleMarker([unit.lat, unit.lon], {radius: 5, weight: 0.6, color: '#333', fillOpacity: 0.9, fillColor: palette[key] || '#999'});
        marker.bindPopup(function () { return unitPopup(unit); });
        layer.addLayer(marker);
      });
    } else {
      var biggest = answer.groups.reduce(function (m, g) { return Math.max(m, g.count); }, 1);
      answer.groups.forEach(function (group) {
        var counts = colourBy === 'health' ? group.health : group[colourBy];
        var key = dominant(counts) || 'none';
        var marker = L.circleMarker([group.lat, group.lon], {radius: 6 + 22 * Math.sqrt(group.count / biggest), weight: 1, color: '#1f3a5f',
          fillOpacity: 0.75, fillColor: palette[key] || '#999'});
        var label = document.createElement('span');
        label.textContent = (group.name || group.code) + ' ' + group.count;
        marker.bindTooltip(label, {direction: 'top'});
        marker.bindPopup(function () { return groupPopup(group); });
        marker.on('dblclick', function () { map.setView([group.lat, group.lon], Math.min(map.getZoom() + 2, 16)); });
        layer.addLayer(marker);
      });
    }
    status.textContent = t('js.map.status.' + answer.level, {n: answer.total});
  }

  function load() {
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var b = map.getBounds();
    var q = filters();
    q.push('zoom=' + map.getZoom());
    q.push('bbox=' + [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (v) { return Math.max(-180, Math.min(180, v)).toFixed(5); }).join(','));
    status.textContent = t('js.map.loading');
    fetch('/api/v1/map?' + q.join('&'), {credentials: 'same-origin', signal: controller ? controller.signal : undefined})
      .then(function (r) { return r.json(); }).then(draw).catch(function (e) { if (e.name !== 'AbortError') { status.textContent = t('js.map.failed'); } });
  }

  function legend() {
    var box = document.getElementById('legend');
    box.textContent = '';
    Object.keys(palettes[colourBy]).forEach(function (key) {
      var swatch = document.createElement('span');
      swatch.style.background = palettes[colourBy][key];
      box.appendChild(swatch);
      box.appendChild(text(named(colourBy, key)));
    });
  }

  document.getElementById('colour').addEventListener('change', function (e) { colourBy = e.target.value; legend(); if (last) { draw(last); } });
  ['f-rating', 'f-stage', 'f-health', 'estate'].forEach(function (id) { document.getElementById(id).addEventListener('change', load); });
  var estate = document.getElementById('estate');
  document.getElementById('place').addEventListener('change', function (e) {
    var code = e.target.value;
    estate.length = 1;
    estate.value = '';
    estate.disabled = code.length < 6;
    var layers = [];
    [outlines.city, outlines.district].forEach(function (group) {
      if (group) { group.eachLayer(function (l) { if (l.feature && l.feature.properties.code === code) { layers.push(l); } }); }
    });
    if (layers.length) { map.fitBounds(L.featureGroup(layers).getBounds(), {padding: [8, 8]}); } else { load(); }
    if (code.length >= 6) {
      fetch('/api/v1/map/estates?region=' + code, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (answer) {
        answer.items.forEach(function (item) {
          var option = document.createElement('option');
          option.value = item.id;
          option.textContent = (item.name || item.id) + ' (' + item.units + ')';
          estate.appendChild(option);
        });
      });
    }
  });
  map.on('moveend', function () { showOutlines(); load(); });
  legend();
  ready.then(function () {
    var select = document.getElementById('place');
    if (config.place && select.querySelector('option[value="' + config.place + '"]')) {
      select.value = config.place;
      select.dispatchEvent(new Event('change'));
    } else {
      load();
    }
  });
  // For the page benchmark and the screenshots, which zoom the map as a reader would.
  window.liftwatchMap = map;

  var labels = months.map(function (m) { return m.label; });
  new Chart(document.getElementById('rates'), {type: 'line', data: {labels: labels, datasets: [
    {label: t('js.chart.faults'), data: months.map(function (m) { return m.faults; }), borderColor: '#1f77b4', backgroundColor: '#1f77b4', spanGaps: true},
    {label: t('js.chart.entrapments'), data: months.map(function (m) { return m.entrapments; }), borderColor: '#c62828', backgroundColor: '#c62828', spanGaps: true}]},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true}}}});
  new Chart(document.getElementById('ontime'), {type: 'bar', data: {labels: labels, datasets: [
    {label: t('js.chart.on_time'), data: months.map(function (m) { return m.onTime; }), backgroundColor: '#2e7d32'}]},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, max: 100}}}});
})();
