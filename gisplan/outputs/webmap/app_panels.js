/* gisplan web map: the legend, search, coarse view and finishing controls.
 * Extends App.prototype (app.js, through window.GisplanApp); kit.js gives the helpers.
 */
(function (root) {
  'use strict';

  const { App, col } = root.GisplanApp;
  const { esc, fmt, ready } = root.GisplanKit;

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
    ready();
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
})(typeof window !== 'undefined' ? window : globalThis);
