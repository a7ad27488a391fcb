/* gisplan web map: context areas around the plan (a 一区一案 package's neighbouring
 * communities). They are drawn grey and dashed below the data, cannot be clicked or
 * searched, do not frame the map, and are named by app_labels.js after the plan's own
 * community names, so a label of the package's own data always wins a place first. */
(function (root) {
  'use strict';
  const { App, col } = root.GisplanApp;

  App.prototype.addContext = function () {
    const c = this.data.context;
    if (!c || !c.n) return;
    const pane = this.map.createPane('gp-context');
    pane.style.zIndex = 350;  // above the basemap (200), below the data (overlayPane 400)
    pane.style.pointerEvents = 'none';
    const style = { pane: 'gp-context', interactive: false, color: '#7a7a7a', weight: 1.2,
      dashArray: '4 3', fillColor: '#bdbdbd', fillOpacity: 0.18 };
    const polys = this.decoded(c).polygon || [];
    this.contextLayer = L.layerGroup(polys.map((g) => L.polygon(g.length === 1 ? g[0] : g, style)));
    this.contextLayer.addTo(this.map);
  };

  /** Label candidates of the context areas whose label point is in view. */
  App.prototype.contextLabels = function (view) {
    const c = this.data.context;
    if (!c || !c.n) return [];
    const s = this.data.scale;
    const out = [];
    for (let i = 0; i < c.n; i++) {
      const name = col(c.cols.name, i);
      const at = L.latLng(c.at[2 * i] / s, c.at[2 * i + 1] / s);
      if (name && view.contains(at)) {
        out.push({ text: this.T['label.neighbour'].replace('{name}', name), cls: 'gp-lbl-ctx', at: at, minWidth: 0 });
      }
    }
    return out;
  };
})(typeof window !== 'undefined' ? window : globalThis);
