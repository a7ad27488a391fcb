/* gisplan web map: search by street, community, zone, building, facility and pipe, and
 * showing what was found (the street's communities, or the feature with its popup).
 * Extends App.prototype (app.js, through window.GisplanApp); kit.js gives the helpers.
 */
(function (root) {
  'use strict';

  const { App, col } = root.GisplanApp;
  const { esc } = root.GisplanKit;

  const LIMIT = 40;

  /** Tables of a detail layer: the page's own, or the area files loaded so far. */
  App.prototype.loadedTables = function (base) {
    const t = this.data.layers[base];
    const out = t && !t.chunked ? [t] : [];
    for (const f in this.chunks) if (this.chunks[f].k === base && this.chunks[f].t) out.push(this.chunks[f].t);
    return out;
  };

  /** Streets in order of first appearance -> community positions. */
  App.prototype.streets = function () {
    if (!this._streets) {
      const com = this.data.layers.communities;
      this._streets = new Map();
      for (let i = 0; i < com.n; i++) {
        const s = col(com.cols.street, i);
        if (s === null || s === undefined || s === '') continue;
        if (!this._streets.has(s)) this._streets.set(s, []);
        this._streets.get(s).push(i);
      }
    }
    return this._streets;
  };

  /** Search results {label: LatLng carrying .gp} for leaflet-search, at most LIMIT. */
  App.prototype.searchRecords = function (text) {
    const q = String(text).trim().toLowerCase();
    const T = this.T;
    const out = {};
    let n = 0;
    if (!q) return out;
    const hit = (...values) => values.some((v) => v !== null && v !== undefined && String(v).toLowerCase().indexOf(q) >= 0);
    const add = (kind, label, gp) => {
      const key = T['search.kind.' + kind] + ' · ' + label;
      if (n >= LIMIT || Object.prototype.hasOwnProperty.call(out, key)) return;
      const ll = L.latLng(0, 0);
      ll.gp = gp;
      out[key] = ll;
      n++;
    };
    const com = this.data.layers.communities;
    const streets = [];
    for (const [s, list] of this.streets()) {
      if (!hit(s)) continue;
      streets.push(s);
      add('street', s + '（' + T['search.communities'].replace('{n}', list.length) + '）', { k: 'streets', street: s });
    }
    for (let i = 0; i < com.n && n < LIMIT; i++) {
      const name = col(com.cols.name, i);
      const id = col(com.cols.id, i);
      if (hit(name, id) || streets.indexOf(col(com.cols.street, i)) >= 0) {
        add('community', name + ' · ' + id + ' · ' + (col(com.cols.street, i) || '–'), { k: 'communities', t: com, i: i, id: id });
      }
    }
    const zones = this.data.layers.zones;
    for (let i = 0; zones && i < zones.n && n < LIMIT; i++) {
      if (hit(col(zones.cols.id, i))) add('zone', col(zones.cols.id, i), { k: 'zones', t: zones, i: i, id: col(zones.cols.id, i) });
    }
    for (const t of this.loadedTables('buildings')) {
      for (let i = 0; i < t.n && n < LIMIT; i++) {
        const id = col(t.cols.id, i);
        const name = col(t.cols.name, i);
        if (hit(id, name)) add('building', id + (name ? ' · ' + name : ''), { k: 'buildings', t: t, i: i, id: id });
      }
    }
    const items = this.data.items.name;
    for (const t of this.loadedTables('facilities')) {
      for (let i = 0; i < t.n && n < LIMIT; i++) {
        const id = col(t.cols.id, i);
        const it = col(t.cols.item, i);
        const name = it === null || it < 0 ? '' : items[it];
        if (hit(id, name)) add('facility', name + ' · ' + id + ' · ' + this.comName(col(t.cols.com, i)), { k: 'facilities', t: t, i: i, id: id });
      }
    }
    for (const t of this.loadedTables('pipes')) {
      for (let i = 0; i < t.n && n < LIMIT; i++) {
        const id = col(t.cols.id, i);
        if (hit(id)) add('pipe', id + ' · ' + this.netName(col(t.cols.net, i)), { k: 'pipes', t: t, i: i, id: id });
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
    const match = (l) => l.gp && l.gp.t === gp.t && l.gp.i === gp.i;
    let found = null;
    group.eachLayer((l) => { if (!found && match(l)) found = l; });
    if (!found && group.gpCluster) found = group.gpCluster.getLayers().find(match) || null;
    return found;
  };

  /** fitBounds options keeping the target clear of the controls and the open table. */
  App.prototype.focusPadding = function () {
    const pad = this.viewPadding();
    const panel = this.tablePanel;
    if (panel && panel.style.display !== 'none') pad.paddingBottomRight[1] += panel.offsetHeight + 10;
    return Object.assign({ maxZoom: 18 }, pad);
  };

  App.prototype.openFeature = function (gp) {
    const layer = this.findLayer(gp);
    if (!layer) return;
    const open = () => {
      const at = layer.getCenter ? layer.getCenter() : layer.getLatLng();
      L.popup(this.popupOptions()).setLatLng(at).setContent(this.popup(layer)).openOn(this.map);
    };
    const cluster = this.groups.facilities && this.groups.facilities.gpCluster;
    if (cluster && layer instanceof L.Marker && cluster.hasLayer(layer)) {
      this.map.setView(layer.getLatLng(), Math.max(this.map.getZoom(), this.data.ui.clusterOffZoom), { animate: false });
      open();
      return;
    }
    const bounds = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
    this.map.fitBounds(bounds, Object.assign(this.focusPadding(), { animate: false }));
    open();
  };

  /** Fit the communities of a street, and filter the table to it. */
  App.prototype.showStreet = function (street) {
    const list = this.streets().get(street) || [];
    const group = this.groups.communities;
    if (group && !this.map.hasLayer(group)) this.map.addLayer(group);
    let bounds = null;
    if (group) {
      group.eachLayer((l) => {
        if (l.gp && list.indexOf(l.gp.i) >= 0) bounds = bounds ? bounds.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast());
      });
    }
    if (bounds) this.map.fitBounds(bounds, Object.assign(this.focusPadding(), { animate: false }));
    if (this.setTableStreet) this.setTableStreet(street);
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
      moveToLocation: (latlng) => {
        if (!latlng || !latlng.gp) return;
        if (latlng.gp.k === 'streets') app.showStreet(latlng.gp.street);
        else app.openFeature(latlng.gp);
      },
      marker: false,
      initial: false,
      minLength: 1,
      autoType: false,
      textPlaceholder: this.T['search.placeholder'],
      textErr: esc(this.T['search.not_found']),
      textCancel: '×',
    });
    this.map.addControl(control);
    // leaflet-search searches on keyup; Chinese typed through an input method (or pasted,
    // or filled in) may come without one, so every change of the text searches too.
    const input = control._input;
    if (input) {
      input.addEventListener('input', (e) => {
        if (!e.isComposing) control.searchText(input.value);
      });
    }
    this.search = control;
  };
})(typeof window !== 'undefined' ? window : globalThis);
