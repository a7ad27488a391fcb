/* gisplan web map: draws the plan data embedded in the page with Leaflet.
 *
 * The page holds one JSON document (script#gisplan-data) written by
 * gisplan/outputs/webmap; GisplanMap.init(map, data) decodes it lazily, one layer
 * group per overlay, and binds one shared popup and tooltip per group.
 * Every text reaches the page as DOM text (kit.el, textContent), never as HTML; the
 * layer control's names come escaped from Python. In the coarse view the detail layers
 * come from map_data/*.js files, loaded by area when zoomed in.
 *
 * The map code is split by concept; the page loads, in this order: kit.js (the shared
 * helpers), app.js (decoding, the App object, styles, overlays with clustered facilities),
 * app_popups.js (tooltips and popups), app_labels.js (labels without overlap),
 * app_legend.js, app_search.js, app_table.js (the table of communities), app_page.js
 * (basemap notice, buttons, print mode) and app_panels.js (coarse view, finishing). The
 * later files extend App.prototype through the namespace window.GisplanApp.
 */
(function (root) {
  'use strict';

  const kit = root.GisplanKit || (typeof require === 'function' ? require('./kit.js') : undefined);
  const esc = kit.esc;

  // ---------------------------------------------------------------- helpers
  /** Value i of a column: a plain list, or {d: distinct values, i: codes}. */
  function col(c, i) {
    if (c === undefined || c === null) return null;
    if (Array.isArray(c)) return c[i];
    const k = c.i[i];
    return k === undefined || k < 0 ? null : c.d[k];
  }

  /** Decode one geometry family into per-feature nested vertex lists. */
  function decodeFamily(f, kind, scale, mk) {
    const c = f.c;
    const nv = c.length >> 1;
    const pts = new Array(nv);
    let lat = 0;
    let lon = 0;
    for (let k = 0; k < nv; k++) {
      lat += c[2 * k];
      lon += c[2 * k + 1];
      pts[k] = mk(lat / scale, lon / scale);
    }
    const feats = [];
    const g = f.g;
    let v = 0;
    if (kind === 'point') {
      const n = g ? g.length : nv;
      for (let i = 0; i < n; i++) {
        const m = g ? g[i] : 1;
        feats.push(pts.slice(v, v + m));
        v += m;
      }
    } else if (kind === 'line') {
      const r = f.r;
      const n = g ? g.length : r.length;
      let part = 0;
      for (let i = 0; i < n; i++) {
        const m = g ? g[i] : 1;
        const parts = [];
        for (let j = 0; j < m; j++, part++) {
          parts.push(pts.slice(v, v + r[part]));
          v += r[part];
        }
        feats.push(parts);
      }
    } else {
      const r = f.r;
      const p = f.p;
      const n = g ? g.length : (p ? p.length : r.length);
      let ring = 0;
      let poly = 0;
      for (let i = 0; i < n; i++) {
        const m = g ? g[i] : 1;
        const polys = [];
        for (let j = 0; j < m; j++, poly++) {
          const nr = p ? p[poly] : 1;
          const rings = [];
          for (let k = 0; k < nr; k++, ring++) {
            rings.push(pts.slice(v, v + r[ring]));
            v += r[ring];
          }
          polys.push(rings);
        }
        feats.push(polys);
      }
    }
    return feats;
  }

  /** Rows [a, b) of feature i in a grouped table ({n: rows per feature, ...columns}). */
  function rowRange(rows, i) {
    if (!rows) return [0, 0];
    if (!rows.o) {
      const o = new Array(rows.n.length + 1);
      o[0] = 0;
      for (let k = 0; k < rows.n.length; k++) o[k + 1] = o[k] + rows.n[k];
      rows.o = o;
    }
    return [rows.o[i], rows.o[i + 1]];
  }

  function interp(x, xs, ys) {
    if (!(x > xs[0])) return ys[0];
    for (let k = 1; k < xs.length; k++) {
      if (x <= xs[k]) return ys[k - 1] + (ys[k] - ys[k - 1]) * (x - xs[k - 1]) / (xs[k] - xs[k - 1]);
    }
    return ys[ys.length - 1];
  }

  const ORDER = ['communities', 'zones', 'buildings', 'structures', 'pipes', 'facilities', 'barriers'];

  // -------------------------------------------------------------------- app
  function App(map, data) {
    this.map = map;
    this.data = data;
    this.T = data.t;
    this.S = data.styles;
    this.metric = data.metric;
    this.bstyle = data.bstyle;
    this.groups = {};
    this.chunks = {};
    this.loadedFeatures = 0;
    const pw = this.S.pipe_width;
    const dn = Object.keys(pw).map(Number).sort((a, b) => a - b);
    this.pipeWidth = (d) => interp(d || 0, dn, dn.map((k) => Number(pw[String(k)].value)));
    if (data.bounds) map.fitBounds(data.bounds, Object.assign({ maxZoom: 18, animate: false }, this.viewPadding()));
    this.kindStyles();
    map.on('overlayadd', (e) => this.onOverlay(e.layer, true));
    map.on('overlayremove', (e) => this.onOverlay(e.layer, false));
    if (data.coarse) map.on('moveend', () => this.coarseUpdate());
  }

  App.prototype.label = function (prefix, value) {
    if (value === null || value === undefined) return '–';
    const t = this.T[prefix + '.' + value];
    return t === undefined ? value : t;
  };

  App.prototype.color = function (style, key) {
    const s = this.S[style] || {};
    const e = s[key] || s.other || this.S.nodata.value;
    return e.value;
  };

  App.prototype.keyOf = function (base, t, i) {
    return base === 'pipes' ? 'pipes:' + col(t.cols.net, i) : base;
  };

  // Overlays are built on first display, so hidden layers cost nothing on open.
  App.prototype.overlay = function (key) {
    const app = this;
    const Group = L.FeatureGroup.extend({
      onAdd: function (map) {
        if (!this._gpBuilt) {
          this._gpBuilt = true;
          app.fill(this);
        }
        L.FeatureGroup.prototype.onAdd.call(this, map);
      },
    });
    const group = new Group();
    group.gpKey = key;
    if (key === 'facilities' && L.MarkerClusterGroup) {
      // Thousands of points: clustered (a count per cluster) until zoomed in close.
      const ui = this.data.ui;
      group.gpCluster = L.markerClusterGroup({
        // Wide clusters at city zoom (a few dozen numbers), tighter ones close in.
        maxClusterRadius: (z) => (z < ui.buildingLabelZoom ? 2 : 1) * ui.clusterRadius,
        disableClusteringAtZoom: ui.clusterOffZoom,
        showCoverageOnHover: false, spiderfyOnMaxZoom: false, chunkedLoading: true,
        iconCreateFunction: (c) => {
          const n = c.getChildCount();
          const size = n < 10 ? 22 : n < 100 ? 27 : n < 1000 ? 33 : 39;
          return L.divIcon({ className: 'gp-cluster', html: String(n), iconSize: [size, size] });
        },
      });
      group.addLayer(group.gpCluster);
    }
    group.bindPopup((layer) => app.popup(layer), this.popupOptions());
    group.bindTooltip((layer) => app.tooltip(layer), { sticky: true, direction: 'top', opacity: 0.92 });
    this.groups[key] = group;
    return group;
  };

  App.prototype.fill = function (group) {
    const base = group.gpKey.split(':')[0];
    const t = this.data.layers[base];
    if (!t || t.chunked) return;
    this.addTable(base, t, group.gpKey);
  };

  /** A facility's marker icon, one per kind (coloured by CSS class gp-fk-<kind>). */
  App.prototype.facilityIcon = function (kind) {
    this.icons = this.icons || {};
    const k = Object.prototype.hasOwnProperty.call(this.S.facility_kind, kind) ? kind : 'other';
    if (!this.icons[k]) this.icons[k] = L.divIcon({ className: 'gp-fac gp-fk-' + k, iconSize: [11, 11] });
    return this.icons[k];
  };

  App.prototype.decoded = function (t) {
    if (!t._feats) {
      const mk = (a, b) => new L.LatLng(a, b);
      t._feats = {};
      for (const kind of ['polygon', 'line', 'point']) {
        const f = t.geom[kind];
        if (f) t._feats[kind] = decodeFamily(f, kind, this.data.scale, mk);
      }
    }
    return t._feats;
  };

  /** Create the Leaflet layers of table t (the whole layer or one chunk); returns
   * {groupKey: [layers]} as added. */
  App.prototype.addTable = function (base, t, onlyKey) {
    const feats = this.decoded(t);
    const made = {};
    for (const kind of ['polygon', 'line', 'point']) {
      const f = t.geom[kind];
      if (!f) continue;
      const list = feats[kind];
      for (let j = 0; j < list.length; j++) {
        const i = f.i ? f.i[j] : j;
        const key = this.keyOf(base, t, i);
        if (onlyKey && key !== onlyKey) continue;
        if (!this.groups[key]) continue;
        const style = this.style(base, t, i, kind);
        const gp = { k: base, key: key, i: i, t: t, id: col(t.cols.id, i) };
        const geom = list[j];
        const parts = [];
        if (kind === 'polygon' && base === 'zones') {
          // Outlines only: a zone is clicked on its line, the communities inside stay clickable.
          const rings = [];
          for (const poly of geom) for (const ring of poly) rings.push(ring.concat([ring[0]]));
          parts.push(L.polyline(rings, style));
        } else if (kind === 'polygon') parts.push(L.polygon(geom.length === 1 ? geom[0] : geom, style));
        else if (kind === 'line') parts.push(L.polyline(geom.length === 1 ? geom[0] : geom, style));
        else if (base === 'facilities') {
          const icon = this.facilityIcon(col(t.cols.kind, i));
          for (const pt of geom) parts.push(L.marker(pt, { icon: icon, keyboard: false }));
        } else for (const pt of geom) parts.push(L.circleMarker(pt, style));
        for (const layer of parts) {
          layer.gp = gp;
          (made[key] = made[key] || []).push(layer);
        }
      }
    }
    for (const key in made) {
      const group = this.groups[key];
      const cluster = group.gpCluster;
      if (!cluster) {
        for (const layer of made[key]) group.addLayer(layer);
        continue;
      }
      const points = made[key].filter((l) => l instanceof L.Marker);
      cluster.addLayers(points);
      for (const layer of made[key]) if (!(layer instanceof L.Marker)) group.addLayer(layer);
    }
    return made;
  };

  /** Remove layers made by addTable. */
  App.prototype.removeMade = function (made) {
    for (const key in made) {
      const group = this.groups[key];
      if (!group) continue;
      if (group.gpCluster) group.gpCluster.removeLayers(made[key].filter((l) => l instanceof L.Marker));
      for (const layer of made[key]) if (!(layer instanceof L.Marker)) group.removeLayer(layer);
    }
  };

  // ----------------------------------------------------------------- styles
  App.prototype.communityFill = function (t, i) {
    if (this.metric === 'renovation_type') return this.color('renovation_type', col(t.cols.rtype, i));
    const v = col(t.cols[this.metric], i);
    const ch = this.data.choropleth[this.metric];
    if (v === null || v === undefined) return this.S.nodata.value.value;
    let k = 0;
    while (k < ch.breaks.length && v > ch.breaks[k]) k++;
    return ch.colors[k];
  };

  App.prototype.style = function (base, t, i, kind) {
    const S = this.S;
    if (base === 'communities') {
      return { color: S.layer.communities.value, weight: 1.5, fillColor: this.communityFill(t, i), fillOpacity: 0.55 };
    }
    if (base === 'zones') return { color: S.layer.zones.value, weight: 3, dashArray: '8 5', fill: false, tolerance: 3 };
    if (base === 'buildings') {
      const c = this.bstyle === 'roof' ? this.color('roof', col(t.cols.roof, i))
        : this.color('renovation_type', col(t.cols.rtype, i));
      return { color: '#303030', weight: 0.7, fillColor: c, fillOpacity: 0.9 };
    }
    if (base === 'structures') {
      const c = this.color('status', col(t.cols.status, i));
      return { color: c, weight: 1, fillColor: c, fillOpacity: 0.7 };
    }
    if (base === 'pipes') {
      const net = this.data.nets[col(t.cols.net, i)] || {};
      const keep = col(t.cols.act, i) === 'keep';
      return { color: net.color || S.layer.pipes.value, weight: this.pipeWidth(col(t.cols.dn, i)),
               opacity: keep ? Number(S.pipe_keep.opacity.value) : 0.95,
               dashArray: keep ? '4 4' : null, lineCap: 'butt' };
    }
    if (base === 'facilities') {
      const c = this.color('facility_kind', col(t.cols.kind, i));
      return { color: '#333', weight: 1, dashArray: '3 2', fillColor: c, fillOpacity: 0.45 };
    }
    const c = this.color('barrier', col(t.cols.kind, i));
    return { color: c, weight: 4, opacity: 0.7, fillColor: c, fillOpacity: 0.25 };
  };

  App.prototype.restyle = function (base) {
    for (const key in this.groups) {
      if (key.split(':')[0] !== base) continue;
      this.groups[key].eachLayer((l) => {
        if (l.gp && l.setStyle) l.setStyle(this.style(base, l.gp.t, l.gp.i, l instanceof L.CircleMarker ? 'point' : ''));
      });
    }
  };

  App.prototype.setMetric = function (m) {
    this.metric = m;
    this.restyle('communities');
    this.legend.update();
  };

  App.prototype.setBuildingStyle = function (s) {
    this.bstyle = s;
    this.restyle('buildings');
    this.legend.update();
  };

  // ----------------------------------------------------------------- stacking
  App.prototype.onOverlay = function (group, added) {
    if (added && group.gpKey) {
      // The canvas draws in insertion order: keep layers above the re-added one on top.
      const base = group.gpKey.split(':')[0];
      const above = ORDER.slice(ORDER.indexOf(base) + 1);
      for (const key in this.groups) {
        const g = this.groups[key];
        if (above.indexOf(key.split(':')[0]) >= 0 && this.map.hasLayer(g)) {
          g.eachLayer((l) => { if (l.bringToFront) l.bringToFront(); });
        }
      }
    }
    if (this.legend) this.legend.update();
    if (this.data.coarse && added) this.coarseUpdate();
  };

  App.prototype.shown = function (base) {
    for (const key in this.groups) {
      if (key.split(':')[0] === base && this.map.hasLayer(this.groups[key])) return true;
    }
    return false;
  };

  const api = {
    esc: kit.esc,
    fmt: kit.fmt,
    fmtQ: kit.fmtQ,
    col: col,
    decodeFamily: decodeFamily,
    rowRange: rowRange,
    init: function (map, data) {
      const app = new App(map, data);
      root.gisplanMap = map;
      root.gisplan = app;
      return app;
    },
    chunk: function (file, k, t) {
      if (root.gisplan) root.gisplan.onChunk(file, k, t);
    },
  };
  root.GisplanMap = api;
  // Shared with app_popups.js and app_panels.js, which extend App.prototype.
  root.GisplanApp = { App: App, col: col, rowRange: rowRange };
  if (typeof module === 'object' && module.exports) module.exports = api;
})(typeof window !== 'undefined' ? window : globalThis);
