/* gisplan web map: labels on the map -- zone ids, community names and, zoomed in, building
 * numbers -- placed without overlap.
 *
 * Each time the view settles, the labels of the shown layers that lie in view are taken in
 * priority order (zones, then communities by households, then buildings by size), and one
 * is drawn only where its box overlaps no label already drawn and no control of the page
 * (title bar, buttons, layer control, legend, table); off a facility cluster's number when
 * a place just above or below its point is free. Text widths are measured on a canvas
 * in the label's own CSS font. Label text goes into the page through textContent only.
 * Extends App.prototype (app.js, through window.GisplanApp).
 */
(function (root) {
  'use strict';

  const { App, col } = root.GisplanApp;
  const { el } = root.GisplanKit;

  const GAP = 3;      // px kept free around every label
  const MAX = 600;    // labels drawn at most at once
  const CELL = 64;    // grid cell (px) of the overlap index

  /** Boxes [x0, y0, x1, y1] in a uniform grid, to test a new box against those placed. */
  function Boxes() {
    this.cells = new Map();
  }
  Boxes.prototype.each = function (r, fn) {
    for (let x = Math.floor(r[0] / CELL); x <= Math.floor(r[2] / CELL); x++) {
      for (let y = Math.floor(r[1] / CELL); y <= Math.floor(r[3] / CELL); y++) {
        if (fn(x + ':' + y)) return true;
      }
    }
    return false;
  };
  Boxes.prototype.hits = function (r) {
    return this.each(r, (k) => {
      const list = this.cells.get(k);
      if (!list) return false;
      for (const o of list) if (r[0] < o[2] && o[0] < r[2] && r[1] < o[3] && o[1] < r[3]) return true;
      return false;
    });
  };
  Boxes.prototype.add = function (r) {
    this.each(r, (k) => {
      if (!this.cells.has(k)) this.cells.set(k, []);
      this.cells.get(k).push(r);
      return false;
    });
  };

  App.prototype.initLabels = function () {
    const map = this.map;
    this.labelPane = map.createPane('gp-labels');
    this.labelPane.classList.add('leaflet-zoom-hide');
    this.labelCanvas = document.createElement('canvas').getContext('2d');
    this.labelFonts = {};
    this.labelWidths = new Map();
    map.on('moveend overlayadd overlayremove', () => this.scheduleLabels());
    const fac = this.groups.facilities;
    if (fac && fac.gpCluster) fac.gpCluster.on('animationend spiderfied unspiderfied', () => this.scheduleLabels());
    this.placeLabels();
  };

  App.prototype.scheduleLabels = function () {
    if (!this.labelPane || this._labelFrame) return;
    this._labelFrame = requestAnimationFrame(() => {
      this._labelFrame = null;
      this.placeLabels();
    });
  };

  /** Font, height and horizontal padding of a label class, read from its CSS once. */
  App.prototype.labelFont = function (cls) {
    if (!this.labelFonts[cls]) {
      const probe = el('div', { className: 'gp-label ' + cls, style: { visibility: 'hidden' } }, '社');
      this.labelPane.appendChild(probe);
      const cs = getComputedStyle(probe);
      const px = (k) => parseFloat(cs[k]) || 0;
      this.labelFonts[cls] = {
        font: cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily,
        h: probe.offsetHeight,
        pad: px('paddingLeft') + px('paddingRight') + px('borderLeftWidth') + px('borderRightWidth'),
      };
      probe.remove();
    }
    return this.labelFonts[cls];
  };

  /** Width (px) of a label's box; measured once per text and font. */
  App.prototype.labelWidth = function (text, f) {
    const key = f.font + '|' + text;
    let w = this.labelWidths.get(key);
    if (w === undefined) {
      if (this.labelCanvas.font !== f.font) this.labelCanvas.font = f.font;
      w = Math.ceil(this.labelCanvas.measureText(text).width + f.pad);
      if (this.labelWidths.size > 50000) this.labelWidths.clear();
      this.labelWidths.set(key, w);
    }
    return w;
  };

  /** A building's number: its name without the community's name in front ("3号楼"), or
   * its id when it has no name. */
  App.prototype.buildingNumber = function (t, i) {
    const name = col(t.cols.name, i);
    if (!name) return String(col(t.cols.id, i));
    const c = col(t.cols.com, i);
    const com = c === null || c < 0 ? null : col(this.data.layers.communities.cols.name, c);
    return com && name.length > com.length && name.startsWith(com) ? name.slice(com.length) : name;
  };

  /** Boxes of the page's controls, in map container pixels: labels keep out of them. */
  App.prototype.controlBoxes = function () {
    return this.boxesOf('.leaflet-control, #gp-title, #gp-banner, .gp-table-panel');
  };

  /** Boxes of the visible elements matching `sel`, in map container pixels. */
  App.prototype.boxesOf = function (sel) {
    const box = this.map.getContainer().getBoundingClientRect();
    const out = [];
    for (const node of document.querySelectorAll(sel)) {
      if (!node.offsetParent && getComputedStyle(node).position !== 'fixed') continue;
      const r = node.getBoundingClientRect();
      if (r.width && r.height) out.push([r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top]);
    }
    return out;
  };

  /** Candidate labels in view, in priority order: {text, cls, at (LatLng), minWidth}. */
  App.prototype.labelCandidates = function (view) {
    const out = [];
    const z = this.map.getZoom();
    const T = this.T;
    const L_ = this.data.layers;
    const zones = this.groups.zones;
    if (zones && this.map.hasLayer(zones) && L_.zones && L_.zones.geom.polygon) {
      const t = L_.zones;
      const f = t.geom.polygon;
      this.decoded(t).polygon.forEach((polys, j) => {
        const i = f.i ? f.i[j] : j;
        let top = polys[0][0][0];
        for (const p of polys[0][0]) if (p.lat > top.lat) top = p;
        if (view.contains(top)) out.push({ text: T['label.zone'].replace('{id}', col(t.cols.id, i)), cls: 'gp-lbl-zone', at: top, minWidth: 0 });
      });
    }
    const coms = [];
    const cg = this.groups.communities;
    if (cg && this.map.hasLayer(cg)) {
      const t = L_.communities;
      const s = this.data.scale;
      cg.eachLayer((l) => {
        if (!l.gp) return;
        const i = l.gp.i;
        const at = L.latLng(t.at[2 * i] / s, t.at[2 * i + 1] / s);
        if (!view.contains(at) || !col(t.cols.name, i)) return;
        coms.push({ text: String(col(t.cols.name, i)), cls: 'gp-lbl-com', at: at, layer: l, rank: -(col(t.cols.households, i) || 0) });
      });
    }
    coms.sort((a, b) => a.rank - b.rank);
    const blds = [];
    const bg = this.groups.buildings;
    if (bg && this.map.hasLayer(bg) && z >= this.data.ui.buildingLabelZoom) {
      bg.eachLayer((l) => {
        if (!l.gp || !l.getBounds || !view.intersects(l.getBounds())) return;
        const b = l.getBounds();
        const span = b.getNorthEast().lng - b.getSouthWest().lng;
        blds.push({ text: this.buildingNumber(l.gp.t, l.gp.i), cls: 'gp-lbl-bld', at: null, layer: l, rank: -span });
      });
    }
    blds.sort((a, b) => a.rank - b.rank);
    return out.concat(coms, this.contextLabels ? this.contextLabels(view) : [], blds);
  };

  /** Place the labels of the current view (see the top of this file). */
  App.prototype.placeLabels = function () {
    const map = this.map;
    const pane = this.labelPane;
    if (!pane) return [];
    const size = map.getSize();
    const taken = new Boxes();
    for (const r of this.controlBoxes()) taken.add([r[0] - GAP, r[1] - GAP, r[2] + GAP, r[3] + GAP]);
    const soft = new Boxes();
    for (const r of this.boxesOf('.gp-cluster')) soft.add(r);
    const view = map.getBounds();
    const placed = [];
    for (const c of this.labelCandidates(view)) {
      if (placed.length >= MAX) break;
      const f = this.labelFont(c.cls);
      let span = Infinity;
      if (c.layer) {
        const b = c.layer.getBounds();
        span = map.latLngToContainerPoint(b.getNorthEast()).x - map.latLngToContainerPoint(b.getSouthWest()).x;
        if (span < 2 * f.h) continue;                   // too small on screen for any label
      }
      const w = this.labelWidth(c.text, f);
      if (c.layer) {
        // Only where the label fits its feature's width on screen (half of it for names).
        if (span < w * (c.cls === 'gp-lbl-com' ? 0.5 : 0.9)) continue;
        if (!c.at) c.at = c.layer.getCenter();
      }
      const p = map.latLngToContainerPoint(c.at);
      // On its point if free; else just above or below it, off a facility cluster's number.
      let best = null;
      for (const dy of [0, -(f.h + GAP), f.h + GAP, -2 * (f.h + GAP), 2 * (f.h + GAP)]) {
        const r = [p.x - w / 2, p.y + dy - f.h / 2, p.x + w / 2, p.y + dy + f.h / 2];
        if (r[0] < GAP || r[1] < GAP || r[2] > size.x - GAP || r[3] > size.y - GAP) continue;
        const padded = [r[0] - GAP, r[1] - GAP, r[2] + GAP, r[3] + GAP];
        if (taken.hits(padded)) continue;
        if (!soft.hits(padded)) {
          best = { r: r, padded: padded };
          break;
        }
        if (!best) best = { r: r, padded: padded };
      }
      if (!best) continue;
      taken.add(best.padded);
      placed.push({ c: c, r: best.r });
    }
    const frag = document.createDocumentFragment();
    for (const { c, r } of placed) {
      const at = map.containerPointToLayerPoint([r[0], r[1]]);
      frag.appendChild(el('div', { className: 'gp-label ' + c.cls, style: { left: at.x + 'px', top: at.y + 'px' } }, c.text));
    }
    pane.replaceChildren(frag);
    return placed;
  };
})(typeof window !== 'undefined' ? window : globalThis);
