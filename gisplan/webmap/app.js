/* gisplan web map: draws the plan data embedded in the page with Leaflet.
 *
 * The page holds one JSON document (script#gisplan-data) written by
 * gisplan/webmap; GisplanMap.init(map, data) decodes it lazily, one layer
 * group per overlay, and binds one shared popup and tooltip per group.
 * Every text that reaches HTML goes through esc(). In the coarse view the
 * detail layers come from map_data/*.js files, loaded by area when zoomed in.
 */
(function (root) {
  'use strict';

  // ---------------------------------------------------------------- helpers
  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

  /** HTML-escape any value; null and undefined become ''. */
  function esc(v) {
    return v === null || v === undefined ? '' : String(v).replace(/[&<>"'`]/g, (c) => ESC[c]);
  }

  /** Fixed decimals with comma thousands; '–' when missing. Locale independent. */
  function fmt(x, dp) {
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) return '–';
    const s = Math.abs(x).toFixed(dp || 0);
    const parts = s.split('.');
    const int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const neg = x < 0 && Number(s) !== 0;
    return (neg ? '-' : '') + int + (parts.length > 1 ? '.' + parts[1] : '');
  }

  /** A quantity: whole numbers without decimals, others with two. */
  function fmtQ(x) {
    if (typeof x === 'number' && isFinite(x) && Math.abs(x - Math.round(x)) < 1e-9) return fmt(x, 0);
    return fmt(x, 2);
  }

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
  const DETAIL = ['buildings', 'structures', 'pipes', 'facilities'];

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
    if (data.bounds) map.fitBounds(data.bounds, { maxZoom: 18, animate: false });
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
    group.bindPopup((layer) => app.popup(layer), { maxWidth: 480, minWidth: 240, maxHeight: 380 });
    group.bindTooltip((layer) => app.tooltip(layer), { sticky: true, direction: 'top', opacity: 0.92 });
    this.groups[key] = group;
    return group;
  };

  App.prototype.fill = function (group) {
    const base = group.gpKey.split(':')[0];
    const t = this.data.layers[base];
    if (!t || t.chunked) return;
    this.addTable(base, t, group.gpKey);
    if (base === 'zones') this.zoneLabels(group, t);
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

  /** Create the Leaflet layers of table t (the whole layer or one chunk). */
  App.prototype.addTable = function (base, t, onlyKey) {
    const feats = this.decoded(t);
    const made = [];
    for (const kind of ['polygon', 'line', 'point']) {
      const f = t.geom[kind];
      if (!f) continue;
      const list = feats[kind];
      for (let j = 0; j < list.length; j++) {
        const i = f.i ? f.i[j] : j;
        const key = this.keyOf(base, t, i);
        if (onlyKey && key !== onlyKey) continue;
        const group = this.groups[key];
        if (!group) continue;
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
        else for (const pt of geom) parts.push(L.circleMarker(pt, style));
        for (const layer of parts) {
          layer.gp = gp;
          group.addLayer(layer);
          made.push(layer);
        }
      }
    }
    return made;
  };

  App.prototype.zoneLabels = function (group, t) {
    const feats = this.decoded(t).polygon || [];
    const f = t.geom.polygon;
    for (let j = 0; j < feats.length; j++) {
      const i = f.i ? f.i[j] : j;
      const ring = feats[j][0][0];
      let top = ring[0];
      for (const p of ring) if (p.lat > top.lat) top = p;
      const icon = L.divIcon({ className: 'gp-zone-label', html: esc(col(t.cols.id, i)), iconSize: null });
      group.addLayer(L.marker(top, { icon: icon, interactive: false, keyboard: false }));
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
      const it = col(t.cols.item, i);
      const c = this.color('aspect', it >= 0 ? this.data.items.aspect[it] : 'other');
      if (kind === 'point') return { radius: 3, color: c, weight: 1, fillColor: c, fillOpacity: 0.85 };
      return { color: c, weight: 1, fillColor: c, fillOpacity: 0.35 };
    }
    const c = this.color('barrier', col(t.cols.kind, i));
    return { color: c, weight: 4, opacity: 0.7, fillColor: c, fillOpacity: 0.25 };
  };

  App.prototype.restyle = function (base) {
    for (const key in this.groups) {
      if (key.split(':')[0] !== base) continue;
      this.groups[key].eachLayer((l) => {
        if (l.gp) l.setStyle(this.style(base, l.gp.t, l.gp.i, l instanceof L.CircleMarker ? 'point' : ''));
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

  // --------------------------------------------------------------- popups
  App.prototype.tooltip = function (layer) {
    const g = layer.gp;
    if (!g) return '';
    const t = g.t;
    const i = g.i;
    const T = this.T;
    if (g.k === 'communities') return esc(col(t.cols.name, i));
    if (g.k === 'zones') return esc(T['field.zone'] + ' ' + col(t.cols.id, i));
    if (g.k === 'buildings') return esc(col(t.cols.name, i) || col(t.cols.id, i));
    if (g.k === 'pipes') {
      const dn = col(t.cols.dn, i);
      return esc(this.netName(col(t.cols.net, i)) + (dn ? ' DN' + dn : ''));
    }
    if (g.k === 'facilities') return esc(this.itemName(col(t.cols.item, i)));
    if (g.k === 'structures') return esc(col(t.cols.kind, i) + ' · ' + this.label('status', col(t.cols.status, i)));
    return esc(this.label('barrier', col(t.cols.kind, i)));
  };

  App.prototype.netName = function (net) {
    const n = this.data.nets[net];
    return n ? n.name : net;
  };

  App.prototype.itemName = function (it) {
    return it === null || it < 0 ? '–' : this.data.items.name[it];
  };

  App.prototype.comName = function (c) {
    if (c === null || c === undefined || c < 0) return this.T.unassigned;
    const com = this.data.layers.communities;
    return col(com.cols.name, c) + ' (' + col(com.cols.id, c) + ')';
  };

  function attrs(pairs) {
    let h = '<table class="gp-attrs">';
    for (const [k, v] of pairs) h += '<tr><th>' + esc(k) + '</th><td>' + esc(v) + '</td></tr>';
    return h + '</table>';
  }

  /** The scope table of feature i: item, unit, quantity, cost (given or quantity x price). */
  App.prototype.scopeTable = function (rows, i) {
    const T = this.T;
    const items = this.data.items;
    const [a, b] = rowRange(rows, i);
    if (b <= a) return '<p class="gp-empty">' + esc(T['scope.empty']) + '</p>';
    const declared = new Set(rows.d || []);
    let total = 0;
    let h = '<h5>' + esc(T['scope.title']) + '</h5><table class="gp-scope"><thead><tr><th>' +
      esc(T['scope.item']) + '</th><th>' + esc(T['scope.unit']) + '</th><th>' +
      esc(T['scope.quantity']) + '</th><th>' + esc(T['scope.cost']) + '</th></tr></thead><tbody>';
    for (let r = a; r < b; r++) {
      const it = rows.item[r];
      const q = rows.q[r];
      const cost = rows.cost ? rows.cost[r] : q * items.price[it];
      if (typeof cost === 'number' && isFinite(cost)) total += cost;
      const mark = declared.has(r) ? ' <span class="gp-decl" title="' + esc(T['source.declared']) + '">' +
        esc(T['scope.declared']) + '</span>' : '';
      h += '<tr><td>' + esc(items.name[it]) + mark + '</td><td>' + esc(items.unit[it]) +
        '</td><td class="gp-num">' + esc(fmtQ(q)) + '</td><td class="gp-num">' + esc(fmt(cost, 0)) + '</td></tr>';
    }
    h += '<tr class="gp-total"><td colspan="3">' + esc(T['scope.total']) + '</td><td class="gp-num">' +
      esc(fmt(total, 0)) + '</td></tr></tbody></table>';
    return h;
  };

  App.prototype.popup = function (layer) {
    const g = layer.gp;
    if (!g) return '';
    return '<div class="gp-popup gp-popup-' + esc(g.k) + '">' + this['popup_' + g.k](g.t, g.i) + '</div>';
  };

  App.prototype.popup_communities = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return '<h4>' + esc(col(c.name, i)) + '</h4>' + attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.street'], col(c.street, i)],
      [T['field.renovation_type'], this.label('renovation_type', col(c.rtype, i))],
      [T['field.zone'], col(c.zone, i) || T['field.none']],
      [T['field.buildings'], fmt(col(c.buildings, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
      [T['field.cost_per_household'], fmt(col(c.cost_per_household, i), 0)],
    ]) + this.scopeTable(t.rows, i);
  };

  App.prototype.popup_zones = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const id = col(c.id, i);
    const com = this.data.layers.communities;
    const names = [];
    for (let k = 0; k < com.n; k++) if (col(com.cols.zone, k) === id) names.push(col(com.cols.name, k));
    return '<h4>' + esc(T['field.zone'] + ' ' + id) + '</h4>' + attrs([
      [T['field.members'], names.join('、')],
      [T['field.buildings'], fmt(col(c.buildings, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
    ]) + this.scopeTable(t.rows, i);
  };

  App.prototype.popup_buildings = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const name = col(c.name, i);
    return '<h4>' + esc(name || col(c.id, i)) + '</h4>' + attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.community'], this.comName(col(c.com, i))],
      [T['field.renovation_type'], this.label('renovation_type', col(c.rtype, i))],
      [T['field.floors'], fmt(col(c.floors, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.units'], fmt(col(c.units, i), 0)],
      [T['field.roof'], this.label('roof', col(c.roof, i))],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
    ]) + this.scopeTable(t.rows, i);
  };

  App.prototype.popup_pipes = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const dn = col(c.dn, i);
    const through = [];
    const [a, b] = rowRange(t.rows, i);
    for (let r = a; r < b; r++) through.push(this.comName(t.rows.com[r]) + ' ' + fmt(t.rows.len[r], 1) + ' m');
    const it = col(c.item, i);
    let scope;
    if (it === null || it < 0) {
      scope = '<p class="gp-empty">' + esc(T['scope.keep']) + '</p>';
    } else {
      scope = this.scopeTable({ n: [1], item: [it], q: [col(c.len, i)], cost: [col(c.cost, i)] }, 0);
    }
    return '<h4>' + esc(this.netName(col(c.net, i)) + (dn ? ' DN' + dn : '')) + '</h4>' + attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.network'], this.netName(col(c.net, i))],
      [T['field.diameter'], dn ? 'DN' + dn : '–'],
      [T['field.action'], this.label('action', col(c.act, i))],
      [T['field.length'], fmt(col(c.len, i), 1)],
      [T['field.through'], through.join('；') || '–'],
    ]) + scope;
  };

  App.prototype.popup_facilities = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const it = col(c.item, i);
    const unit = it >= 0 ? this.data.items.unit[it] : '';
    return '<h4>' + esc(this.itemName(it)) + '</h4>' + attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.quantity'], fmtQ(col(c.q, i)) + ' ' + unit],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
      [T['field.community'], this.comName(col(c.com, i))],
    ]);
  };

  App.prototype.popup_structures = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return '<h4>' + esc(col(c.kind, i)) + '</h4>' + attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.status'], this.label('status', col(c.status, i))],
      [T['field.area'], fmt(col(c.area, i), 1)],
      [T['field.community'], this.comName(col(c.com, i))],
    ]);
  };

  App.prototype.popup_barriers = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return '<h4>' + esc(this.label('barrier', col(c.kind, i))) + '</h4>' + attrs([[T['field.id'], col(c.id, i)]]);
  };

  // ------------------------------------------------------- stacking, legend
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

  function swatch(color, kind, extra) {
    const style = kind === 'line' ? 'border-top:' + (extra || 3) + 'px solid ' + color
      : kind === 'outline' ? 'border:2px dashed ' + color + ';background:transparent'
        : 'background:' + color;
    return '<i class="gp-sw gp-sw-' + kind + '" style="' + esc(style) + '"></i>';
  }

  function select(name, options, current) {
    let h = '<select data-gp="' + esc(name) + '">';
    for (const [v, label] of options) {
      h += '<option value="' + esc(v) + '"' + (v === current ? ' selected' : '') + '>' + esc(label) + '</option>';
    }
    return h + '</select>';
  }

  App.prototype.legendHtml = function () {
    const T = this.T;
    const S = this.S;
    const row = (sw, text) => '<div class="gp-lg-row">' + sw + '<span>' + esc(text) + '</span></div>';
    let h = '<div class="gp-lg-title">' + esc(T['legend.title']) + '</div>';
    if (this.shown('communities')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.communities.label_zh) + '</b> ' +
        select('metric', this.data.metrics.map((m) => [m, T['metric.' + m]]), this.metric);
      if (this.metric === 'renovation_type') {
        for (const k of ['basic', 'upgrade']) h += row(swatch(this.color('renovation_type', k), 'fill'), this.label('renovation_type', k));
      } else {
        const ch = this.data.choropleth[this.metric];
        const b = ch.breaks;
        for (let k = 0; k < ch.colors.length && k <= b.length; k++) {
          const lo = k === 0 ? '≤ ' + fmt(b[0], 0) : (k === b.length ? '> ' + fmt(b[k - 1], 0) : fmt(b[k - 1], 0) + ' – ' + fmt(b[k], 0));
          h += row(swatch(ch.colors[k], 'fill'), b.length ? lo : T['metric.' + this.metric]);
        }
      }
      h += '</div>';
    }
    if (this.shown('zones')) h += '<div class="gp-lg-sec">' + row(swatch(S.layer.zones.value, 'outline'), S.layer.zones.label_zh) + '</div>';
    if (this.shown('buildings')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.buildings.label_zh) + '</b> ' +
        select('bstyle', [['renovation_type', T['building_style.renovation_type']], ['roof', T['building_style.roof']]], this.bstyle);
      const keys = this.bstyle === 'roof' ? ['flat', 'pitched'] : ['basic', 'upgrade', 'unassigned'];
      for (const k of keys) h += row(swatch(this.color(this.bstyle, k), 'fill'), this.label(this.bstyle === 'roof' ? 'roof' : 'renovation_type', k));
      h += '</div>';
    }
    if (this.shown('structures')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.structures.label_zh) + '</b>';
      for (const k of Object.keys(S.status)) h += row(swatch(S.status[k].value, 'fill'), this.label('status', k));
      h += '</div>';
    }
    if (this.shown('pipes')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.pipes.label_zh) + '</b>';
      for (const net of Object.keys(this.data.nets)) {
        const g = this.groups['pipes:' + net];
        if (g && this.map.hasLayer(g)) h += row(swatch(this.data.nets[net].color, 'line'), this.data.nets[net].name);
      }
      h += row(swatch('#555', 'line', 1) + swatch('#555', 'line', 5), T['legend.pipe_width']);
      h += row('<i class="gp-sw gp-sw-line" style="border-top:3px dashed rgba(85,85,85,' +
        esc(S.pipe_keep.opacity.value) + ')"></i>', S.pipe_keep.opacity.label_zh) + '</div>';
    }
    if (this.shown('facilities')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.facilities.label_zh) + '</b>';
      for (const k of Object.keys(S.aspect)) h += row(swatch(S.aspect[k].value, 'dot'), S.aspect[k].label_zh);
      h += '</div>';
    }
    if (this.shown('barriers')) {
      h += '<div class="gp-lg-sec"><b>' + esc(S.layer.barriers.label_zh) + '</b>';
      const kinds = this.data.layers.barriers.cols.kind.d;
      for (const k of kinds) h += row(swatch(this.color('barrier', k), 'line', 4), this.label('barrier', k));
      h += '</div>';
    }
    return h;
  };

  App.prototype.addLegend = function () {
    const app = this;
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        const div = L.DomUtil.create('div', 'gp-legend leaflet-bar');
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.addEventListener('change', (e) => {
          const which = e.target.getAttribute('data-gp');
          if (which === 'metric') app.setMetric(e.target.value);
          if (which === 'bstyle') app.setBuildingStyle(e.target.value);
        });
        this._div = div;
        this.update();
        return div;
      },
      update: function () {
        if (this._div) this._div.innerHTML = app.legendHtml();
      },
    });
    this.legend = new Legend().addTo(this.map);
  };

  // ----------------------------------------------------------------- search
  App.prototype.searchRecords = function (text) {
    const q = String(text).toLowerCase();
    const out = {};
    let n = 0;
    const add = (label, base, t, i) => {
      if (n >= 30 || Object.prototype.hasOwnProperty.call(out, label)) return;
      const ll = L.latLng(0, 0);
      ll.gp = { k: base, t: t, i: i, id: col(t.cols.id, i) };
      out[label] = ll;
      n++;
    };
    const com = this.data.layers.communities;
    for (let i = 0; i < com.n && n < 30; i++) {
      const name = String(col(com.cols.name, i));
      const id = String(col(com.cols.id, i));
      if (name.toLowerCase().indexOf(q) >= 0 || id.toLowerCase().indexOf(q) >= 0) add(name + ' · ' + id, 'communities', com, i);
    }
    const tables = [];
    const b = this.data.layers.buildings;
    if (b && !b.chunked) tables.push(b);
    for (const f in this.chunks) if (this.chunks[f].k === 'buildings' && this.chunks[f].t) tables.push(this.chunks[f].t);
    for (const t of tables) {
      for (let i = 0; i < t.n && n < 30; i++) {
        const id = String(col(t.cols.id, i));
        const name = col(t.cols.name, i);
        if (id.toLowerCase().indexOf(q) >= 0 || (name && String(name).toLowerCase().indexOf(q) >= 0)) {
          add(this.T['head.buildings'] + ' ' + id + (name ? ' · ' + name : ''), 'buildings', t, i);
        }
      }
    }
    return out;
  };

  /** The drawn layer of a feature, adding its overlay to the map if needed. */
  App.prototype.findLayer = function (gp) {
    const key = this.keyOf(gp.k, gp.t, gp.i);
    const group = this.groups[key];
    if (!group) return null;
    if (!this.map.hasLayer(group)) this.map.addLayer(group);
    let found = null;
    group.eachLayer((l) => { if (!found && l.gp && l.gp.t === gp.t && l.gp.i === gp.i) found = l; });
    return found;
  };

  App.prototype.openFeature = function (gp) {
    const layer = this.findLayer(gp);
    if (!layer) return;
    const bounds = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
    this.map.fitBounds(bounds, { maxZoom: 18, padding: [40, 40] });
    const at = layer.getCenter ? layer.getCenter() : layer.getLatLng();
    L.popup({ maxWidth: 480, minWidth: 240, maxHeight: 380 }).setLatLng(at).setContent(this.popup(layer)).openOn(this.map);
  };

  App.prototype.addSearch = function () {
    if (!L.Control.Search) return;
    const app = this;
    const control = new L.Control.Search({
      position: 'topleft',
      sourceData: (text, cb) => { cb(app.searchRecords(text)); return { abort: () => null }; },
      formatData: (records) => records,
      filterData: (text, records) => records,
      buildTip: (text) => { const li = document.createElement('li'); li.textContent = text; return li; },
      moveToLocation: (latlng) => { if (latlng && latlng.gp) app.openFeature(latlng.gp); },
      marker: false,
      initial: false,
      minLength: 1,
      autoType: false,
      textPlaceholder: this.T['search.placeholder'],
      textErr: esc(this.T['search.not_found']),
      textCancel: '×',
    });
    this.map.addControl(control);
    this.search = control;
  };

  // ------------------------------------------------------------ coarse view
  App.prototype.coarseUpdate = function () {
    const c = this.data.coarse;
    const status = document.getElementById('gp-coarse-status');
    const z = this.map.getZoom();
    if (status) status.textContent = z < c.minZoom ? c.zoomHint : c.loadedText + ' ' + this.loadedFeatures;
    if (z < c.minZoom) return;
    const view = this.map.getBounds().pad(0.25);
    const want = c.chunks.filter((ch) => !this.chunks[ch.f] && this.shown(ch.k) &&
      view.intersects(L.latLngBounds([ch.b[0], ch.b[1]], [ch.b[2], ch.b[3]])));
    for (const ch of want) {
      this.chunks[ch.f] = { k: ch.k, b: ch.b, layers: null, t: null };
      const s = document.createElement('script');
      s.src = ch.f;
      s.onerror = () => { delete this.chunks[ch.f]; };
      document.head.appendChild(s);
    }
    this.evict(view);
  };

  App.prototype.onChunk = function (file, k, t) {
    const entry = this.chunks[file];
    if (!entry) return;
    entry.t = t;
    entry.layers = this.addTable(k, t, null);
    this.loadedFeatures += t.n;
    const status = document.getElementById('gp-coarse-status');
    if (status) status.textContent = this.data.coarse.loadedText + ' ' + this.loadedFeatures;
    this.evict(this.map.getBounds().pad(0.25));
  };

  /** Number of area files requested and not yet drawn. */
  App.prototype.pending = function () {
    let n = 0;
    for (const f in this.chunks) if (!this.chunks[f].t) n++;
    return n;
  };

  /** Drop loaded chunks out of view while more than the budget is loaded. */
  App.prototype.evict = function (view) {
    const budget = this.data.coarse.budget;
    for (const f in this.chunks) {
      if (this.loadedFeatures <= budget) return;
      const e = this.chunks[f];
      if (!e.t || view.intersects(L.latLngBounds([e.b[0], e.b[1]], [e.b[2], e.b[3]]))) continue;
      for (const l of e.layers) {
        const g = this.groups[l.gp.key];
        if (g) g.removeLayer(l);
      }
      this.loadedFeatures -= e.t.n;
      delete this.chunks[f];
    }
  };

  // ------------------------------------------------------------ finishing
  App.prototype.finish = function () {
    const map = this.map;
    const T = this.T;
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
    if (L.Control.FullScreen) {
      new L.Control.FullScreen({ position: 'topleft', title: T['fullscreen.on'], titleCancel: T['fullscreen.off'] }).addTo(map);
    }
    if (L.Control.Measure) {
      // leaflet-measure with Leaflet >= 1.8 (ljagis/leaflet-measure#171).
      L.Control.Measure.include({
        _setCaptureMarkerIcon: function () {
          this._captureMarker.options.autoPanOnFocus = false;
          this._captureMarker.setIcon(L.divIcon({ iconSize: this._map.getSize().multiplyBy(2) }));
        },
      });
      new L.Control.Measure({
        position: 'topleft', primaryLengthUnit: 'meters', secondaryLengthUnit: 'kilometers',
        primaryAreaUnit: 'sqmeters', secondaryAreaUnit: 'hectares',
        activeColor: '#e31a1c', completedColor: '#b10026',
      }).addTo(map);
    }
    this.addSearch();
    this.addLegend();
    if (this.data.coarse) this.coarseUpdate();
    root.gisplanReady = false;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      root.gisplanReady = true;
      root.gisplanReadyMs = performance.now();
    }));
    return this;
  };

  /** Distinct drawn features per overlay key (what is on the map right now). */
  App.prototype.counts = function () {
    const seen = {};
    this.map.eachLayer((l) => {
      if (!l.gp) return;
      (seen[l.gp.key] = seen[l.gp.key] || new Set()).add(l.gp.id);
    });
    const out = {};
    for (const k in seen) out[k] = seen[k].size;
    return out;
  };

  const api = {
    esc: esc,
    fmt: fmt,
    fmtQ: fmtQ,
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
  if (typeof module === 'object' && module.exports) module.exports = api;
})(typeof window !== 'undefined' ? window : globalThis);
