// The regulator's overview: the one map (一张图) and the monthly charts. Everything it shows comes from the JSON
// blocks of the page, and every text (a unit's address is whatever a CSV or a PUT put there) is set as text, never
// parsed as HTML.
(function () {
  'use strict';
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }
  var units = data('lw-units') || [];
  var districts = data('lw-districts');
  var months = data('lw-months') || [];
  var config = data('lw-config') || {};
  var palettes = {
    rating: {suitable: '#2e7d32', difficult: '#f9a825', unsuitable: '#9e9e9e', unrated: '#bdbdbd'},
    stage: {surveyed: '#bdbdbd', approved: '#90caf9', under_construction: '#42a5f5', accepted: '#1e88e5', registered: '#3949ab',
      in_service: '#2e7d32', suspended: '#ef6c00', decommissioned: '#6d4c41'},
    health: {ok: '#2e7d32', watch: '#f9a825', degraded: '#ef6c00', out_of_service: '#c62828', offline: '#607d8b', none: '#d0d0d0'}
  };

  function text(value) { return document.createTextNode(value == null ? '' : String(value)); }

  // A unit's popup, built from text nodes.
  function popup(unit) {
    var box = document.createElement('div');
    var title = document.createElement('b');
    title.textContent = unit.id;
    box.appendChild(title);
    var lines = [unit.address, 'rating: ' + unit.rating, 'stage: ' + unit.stage];
    if (unit.estate) { lines.push('estate: ' + unit.estate); }
    if (unit.households != null) { lines.push('households: ' + unit.households); }
    lines.forEach(function (line) {
      box.appendChild(document.createElement('br'));
      box.appendChild(text(line));
    });
    if (unit.elevator) {
      box.appendChild(document.createElement('br'));
      var link = document.createElement('a');
      link.href = '/elevators/' + encodeURIComponent(unit.elevator);
      link.textContent = unit.elevator;
      box.appendChild(link);
      box.appendChild(text(' · ' + (unit.health || '—')));
    }
    return box;
  }

  var map = L.map('map', {preferCanvas: true, attributionControl: false});
  // The view first: a canvas renderer cannot draw layers on a map that has none yet.
  var bounds = units.length ? L.latLngBounds(units.map(function (u) { return [u.lat, u.lon]; })) : null;
  if (bounds) { map.fitBounds(bounds.pad(0.05)); } else { map.setView([28.2, 112.97], 10); }
  if (config.tile_url) { L.tileLayer(config.tile_url, {maxZoom: 19}).addTo(map); }
  if (districts) {
    L.geoJSON(districts, {
      style: {color: '#1f3a5f', weight: 1.2, fillColor: '#ffffff', fillOpacity: 0.55},
      onEachFeature: function (feature, layer) {
        var label = document.createElement('span');
        label.textContent = (feature.properties.name || '') + ' ' + (feature.properties.region || '');
        layer.bindTooltip(label, {sticky: true});
      }
    }).addTo(map);
  }
  var markers = units.map(function (unit) {
    var marker = L.circleMarker([unit.lat, unit.lon], {radius: 3.5, weight: 0.5, color: '#333', fillOpacity: 0.9});
    marker.bindPopup(function () { return popup(unit); });
    return marker.addTo(map);
  });

  function colour(by) {
    var palette = palettes[by];
    markers.forEach(function (marker, i) {
      var key = by === 'health' ? (units[i].health || 'none') : units[i][by];
      marker.setStyle({fillColor: palette[key] || '#999'});
    });
    var legend = document.getElementById('legend');
    legend.textContent = '';
    Object.keys(palette).forEach(function (key) {
      var swatch = document.createElement('span');
      swatch.style.background = palette[key];
      legend.appendChild(swatch);
      legend.appendChild(text(key.replace(/_/g, ' ')));
    });
  }
  document.querySelectorAll('input[name=colour]').forEach(function (radio) {
    radio.addEventListener('change', function () { colour(radio.value); });
  });
  colour('rating');

  // The estate filter, by estate id (names repeat across a city): only that estate's units on the map, and the map on them.
  var estates = new Map();
  units.forEach(function (u) { if (u.estate_id && !estates.has(u.estate_id)) { estates.set(u.estate_id, u.estate || u.estate_id); } });
  var select = document.getElementById('estate');
  Array.from(estates.entries()).sort(function (a, b) { return a[1].localeCompare(b[1], 'zh') || a[0].localeCompare(b[0]); }).forEach(function (entry) {
    var option = document.createElement('option');
    option.value = entry[0];
    option.textContent = entry[1] === entry[0] ? entry[0] : entry[1] + ' · ' + entry[0];
    select.appendChild(option);
  });
  select.addEventListener('change', function () {
    var chosen = select.value, shown = [];
    markers.forEach(function (marker, i) {
      var visible = !chosen || units[i].estate_id === chosen;
      if (visible) { shown.push([units[i].lat, units[i].lon]); marker.addTo(map); } else { marker.remove(); }
    });
    if (shown.length) { map.fitBounds(L.latLngBounds(shown).pad(0.2), {maxZoom: 17}); }
  });

  var labels = months.map(function (m) { return m.label; });
  new Chart(document.getElementById('rates'), {type: 'line', data: {labels: labels, datasets: [
    {label: 'faults', data: months.map(function (m) { return m.faults; }), borderColor: '#1f77b4', backgroundColor: '#1f77b4', spanGaps: true},
    {label: 'entrapments', data: months.map(function (m) { return m.entrapments; }), borderColor: '#c62828', backgroundColor: '#c62828', spanGaps: true}]},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true}}}});
  new Chart(document.getElementById('ontime'), {type: 'bar', data: {labels: labels, datasets: [
    {label: 'on time %', data: months.map(function (m) { return m.onTime; }), backgroundColor: '#2e7d32'}]},
    options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true, max: 100}}}});
})();
