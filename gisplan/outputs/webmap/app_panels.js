/* gisplan web map: the coarse view (detail loaded by area) and finishing: the controls
 * (scale, fullscreen, measure, search, legend, table and print buttons) and the labels.
 * Extends App.prototype (app.js, through window.GisplanApp); kit.js gives the helpers.
 */
(function (root) {
  'use strict';

  const { App } = root.GisplanApp;
  const { ready } = root.GisplanKit;

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
      this.chunks[ch.f] = { k: ch.k, b: ch.b, made: null, t: null };
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
    entry.made = this.addTable(k, t, null);
    this.loadedFeatures += t.n;
    const status = document.getElementById('gp-coarse-status');
    if (status) status.textContent = this.data.coarse.loadedText + ' ' + this.loadedFeatures;
    this.evict(this.map.getBounds().pad(0.25));
    this.scheduleLabels();
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
      this.removeMade(e.made);
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
    this.addTools();
    this.addLegend();
    this.initPrint();
    this.addContext();
    this.initLabels();
    if (this.data.coarse) this.coarseUpdate();
    ready();
    return this;
  };

  /** Distinct features per overlay key on the map right now (a clustered facility counts:
   * it is on the map inside its cluster's number). */
  App.prototype.counts = function () {
    const seen = {};
    const see = (l) => { if (l.gp) (seen[l.gp.key] = seen[l.gp.key] || new Set()).add(l.gp.id); };
    this.map.eachLayer(see);
    for (const key in this.groups) {
      const c = this.groups[key].gpCluster;
      if (c && this.map.hasLayer(c)) c.eachLayer(see);
    }
    const out = {};
    for (const k in seen) out[k] = seen[k].size;
    return out;
  };

  /** Facility markers drawn one by one, and cluster icons, on the map right now. */
  App.prototype.facilityMarks = function () {
    const out = { markers: 0, clusters: 0 };
    this.map.eachLayer((l) => {
      if (L.MarkerCluster && l instanceof L.MarkerCluster) out.clusters++;
      else if (l.gp && l.gp.k === 'facilities' && l instanceof L.Marker) out.markers++;
    });
    return out;
  };
})(typeof window !== 'undefined' ? window : globalThis);
