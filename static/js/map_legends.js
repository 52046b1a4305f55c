/* The app's additions to its Folium maps, served as a file so that no inline script is needed for them
   (the policy allows only the map's own script, with the response's nonce):

   - campaignMap.point(shape) and campaignMap.pin(shape): how a GeoJSON layer draws its points, in its
     theme's shape (campaign/maps/palettes.py names them): on the canvas, or as small markers for the
     layers the cluster plugin groups;
   - one legend per layer: the page holds them in div.map-legends, each naming its layer's JS variable
     (data-layer); they go into a control at the bottom right, and each shows while its layer is on
     the map;
   - village names, written from data-label-zoom on, leaving out any that would cover another.

   Loaded after Leaflet and before the map's script, so that the init hook sees the map being made. */
(function () {
  'use strict';
  if (!window.L) return;

  // Marks in a 2 x 2 box centred on the point, y down (as campaign/maps/builders.py OUTLINES).
  const star = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? 0.45 : 1, a = Math.PI * (i / 5 - 0.5);
    star.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  const OUTLINES = {
    square: [[-0.8, -0.8], [0.8, -0.8], [0.8, 0.8], [-0.8, 0.8]],
    triangle: [[0, -1], [0.95, 0.8], [-0.95, 0.8]],
    star: star,
    cross: [[-1, -0.6], [-0.6, -1], [0, -0.4], [0.6, -1], [1, -0.6], [0.4, 0], [1, 0.6], [0.6, 1], [0, 0.4],
            [-0.6, 1], [-1, 0.6], [-0.4, 0]],
    house: [[0, -1], [0.9, -0.15], [0.9, 0.9], [-0.9, 0.9], [-0.9, -0.15]]
  };
  // The zero-incident square is drawn around the coverage circle (6 px), hollow, so both show.
  const RADIUS = {circle: 6, square: 10, triangle: 8, star: 10, cross: 7, house: 8};
  const COLOUR = /^#[0-9a-fA-F]{6}$/;

  // A circle marker drawn as another shape, ``offset`` pixels away from its point (a badge beside the
  // village's own mark, so that neither hides the other); clicks hit within its radius.
  const ShapeMarker = L.CircleMarker.extend({
    options: {shape: 'square', offset: [0, 0]},
    _centre: function () { return this._point.add(L.point(this.options.offset)); },
    _updateBounds: function () {
      const r = this._radius + this._clickTolerance(), c = this._centre();
      this._pxBounds = new L.Bounds(c.subtract([r, r]), c.add([r, r]));
    },
    _containsPoint: function (p) { return p.distanceTo(this._centre()) <= this._radius + this._clickTolerance(); },
    _updatePath: function () {
      const outline = OUTLINES[this.options.shape];
      if (!outline) return L.CircleMarker.prototype._updatePath.call(this);
      const renderer = this._renderer, c = this._centre(), r = this._radius;
      const points = outline.map(function (xy) { return [c.x + xy[0] * r, c.y + xy[1] * r]; });
      if (renderer instanceof L.Canvas) {
        if (!renderer._drawing || this._empty()) return;
        const ctx = renderer._ctx;
        ctx.beginPath();
        points.forEach(function (xy, i) { if (i) ctx.lineTo(xy[0], xy[1]); else ctx.moveTo(xy[0], xy[1]); });
        ctx.closePath();
        renderer._fillStroke(ctx, this);
      } else {
        renderer._setPath(this, 'M' + points.map(function (xy) { return xy[0] + ' ' + xy[1]; }).join('L') + 'Z');
      }
    }
  });

  function shapeOf(feature, shape) {
    const own = feature.properties && feature.properties.m;
    return (OUTLINES[own] || own === 'circle') ? own : shape;
  }

  function svg(shape, colour, edge) {
    const fill = COLOUR.test(colour) ? colour : '#bdbdbd';
    const mark = OUTLINES[shape]
      ? '<path d="M' + OUTLINES[shape].map(function (xy) { return xy[0] + ' ' + xy[1]; }).join('L') + 'Z"'
      : '<circle r=".8"';
    return '<svg viewBox="-1.2 -1.2 2.4 2.4" width="100%" height="100%">' + mark + ' fill="' + fill +
      '" stroke="' + edge + '" stroke-width=".18"/></svg>';
  }

  function plainText(html) {
    return html ? new DOMParser().parseFromString(String(html), 'text/html').documentElement.textContent : '';
  }

  window.campaignMap = {
    point: function (shape, offset) {
      return function (feature, latlng) {
        const own = shapeOf(feature, shape);
        return own === 'circle' ? L.circleMarker(latlng, {radius: RADIUS.circle})
          : new ShapeMarker(latlng, {shape: own, radius: RADIUS[own] || 7, offset: offset || [0, 0]});
      };
    },
    // A pin is a button (Leaflet gives it role=button and a tab stop): its title, the feature's name, is
    // what a screen reader calls it. The name arrives as HTML text; the title takes plain text.
    pin: function (shape) {
      return function (feature, latlng) {
        const own = shapeOf(feature, shape), size = 2 * (RADIUS[own] || 7) + 2;
        return L.marker(latlng, {title: plainText(feature.properties && feature.properties.n), icon: L.divIcon({
          className: 'map-pin', html: svg(own, feature.properties.c, '#333333'),
          iconSize: [size, size], iconAnchor: [size / 2, size / 2]})});
      };
    }
  };

  const Legends = L.Control.extend({
    options: {position: 'bottomright'},
    initialize: function (box) { this._box = box; },
    onAdd: function () {
      L.DomEvent.disableClickPropagation(this._box);
      L.DomEvent.disableScrollPropagation(this._box);
      return this._box;
    }
  });

  L.Map.addInitHook(function () {
    const box = document.querySelector('.map-legends');
    if (!box || box.dataset.bound) return;
    box.dataset.bound = '1';
    const map = this, sections = Array.prototype.slice.call(box.querySelectorAll('.map-legend'));
    const labelZoom = parseInt(box.dataset.labelZoom, 10) || 12;
    new Legends(box).addTo(map);
    map.createPane('campaignLabels').style.zIndex = 450;
    const labels = L.layerGroup([], {pane: 'campaignLabels'}).addTo(map);

    function group(section) {
      const layer = window[section.dataset.layer];
      return layer instanceof L.Layer ? layer : null;
    }

    function features(layer, out) {
      if (layer.feature) out.push(layer);
      else if (layer.eachLayer) layer.eachLayer(function (child) { features(child, out); });
      return out;
    }

    function place(layer) {
      if (layer.getLatLng) return layer.getLatLng();
      return layer.getBounds && layer.getBounds().isValid() ? layer.getBounds().getCenter() : null;
    }

    function relabel() {
      labels.clearLayers();
      box.dataset.labels = '0';
      if (map.getZoom() < labelZoom) return;
      const view = map.getBounds(), taken = [], seen = {};
      let shown = 0;
      sections.forEach(function (section) {
        const layer = group(section);
        if (!('labels' in section.dataset) || !layer || !map.hasLayer(layer)) return;
        features(layer, []).forEach(function (item) {
          const p = item.feature.properties, at = place(item);
          if (!p.n || !at || seen[p.k || p.n] || shown >= 400 || !view.contains(at)) return;
          seen[p.k || p.n] = true;
          // The label's box under the mark, roughly: 12 px a character, 16 px high.
          const xy = map.latLngToContainerPoint(at), half = 6 * String(p.n).length + 4;
          const rect = [xy.x - half, xy.y + 6, xy.x + half, xy.y + 24];
          if (taken.some(function (o) { return rect[0] < o[2] && o[0] < rect[2] && rect[1] < o[3] && o[1] < rect[3]; })) return;
          taken.push(rect);
          shown++;
          // p.n is HTML text already (campaign/maps/builders.py html_text).
          labels.addLayer(L.marker(at, {pane: 'campaignLabels', interactive: false, keyboard: false,
            icon: L.divIcon({className: 'map-label', html: '<span>' + p.n + '</span>', iconSize: null})}));
        });
      });
      box.dataset.labels = String(shown);
    }

    // The legends column stops short of the layer switch above it; it scrolls when it is taller.
    function fit() {
      const above = map.getContainer().querySelector('.leaflet-top.leaflet-right');
      const attribution = map.getContainer().querySelector('.leaflet-control-attribution');
      const room = map.getSize().y - (above ? above.offsetHeight : 0) - (attribution ? attribution.offsetHeight : 0) - 30;
      box.style.maxHeight = Math.max(room, 80) + 'px';
    }
    map.on('resize', fit);

    let pending = false;
    function sync() {
      if (pending) return;
      pending = true;
      setTimeout(function () {
        pending = false;
        sections.forEach(function (section) {
          const layer = group(section);
          section.hidden = !(layer && map.hasLayer(layer));
        });
        fit();
        relabel();
      }, 0);
    }
    map.on('layeradd layerremove zoomend moveend', function (e) {
      if (e.layer && labels.hasLayer(e.layer)) return;
      sync();
    });
    sync();
  });
}());
