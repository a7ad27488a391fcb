/* gisplan web map: the page around the map -- the view kept clear of the controls, the
 * facility colours, basemaps that say when they cannot load,
 * the table and print buttons, and the print mode (A4 or A3 landscape: title with the
 * date, legend, scale bar and north arrow; buttons and controls hidden by app.css).
 * Extends App.prototype (app.js, through window.GisplanApp); kit.js gives the helpers.
 */
(function (root) {
  'use strict';

  const { App } = root.GisplanApp;
  const { el } = root.GisplanKit;

  /** Printable map area (mm) of each paper, landscape, inside 8 mm margins. */
  const PAPER = { A4: [281, 192], A3: [404, 279] };

  // ------------------------------------------------------------ the view
  /** Width of the legend (px), fixed so that the map can keep the data clear of it. */
  App.prototype.LEGEND_WIDTH = 214;

  /** fitBounds padding that keeps data out from under the title bar (top), the zoom and
   * tool buttons (left), the layer control and legend (right) and the scale bar (bottom). */
  App.prototype.viewPadding = function () {
    const box = this.map.getContainer().getBoundingClientRect();
    const title = document.getElementById('gp-title');
    const top = title ? Math.max(10, title.getBoundingClientRect().bottom - box.top + 8) : 10;
    const wide = box.width >= 900;
    return { paddingTopLeft: [wide ? 56 : 10, top], paddingBottomRight: [wide ? this.LEGEND_WIDTH + 24 : 10, 30] };
  };

  /** CSS classes gp-fk-<kind>: the facility markers' colours (map_styles.csv). */
  App.prototype.kindStyles = function () {
    const kinds = this.S.facility_kind || {};
    const rules = [];
    for (const k of Object.keys(kinds)) {
      const c = kinds[k].value;
      if (/^[a-z_]+$/.test(k) && /^#[0-9a-fA-F]{6}$/.test(c)) rules.push('.gp-fk-' + k + ' { background: ' + c + '; }');
    }
    const style = document.createElement('style');
    style.textContent = rules.join('\n');
    document.head.appendChild(style);
  };

  /** Popup options: auto-panned clear of the title bar, the buttons and the legend. */
  App.prototype.popupOptions = function () {
    const pad = this.viewPadding();
    return { maxWidth: 480, minWidth: 240, maxHeight: 380, autoPanPaddingTopLeft: pad.paddingTopLeft,
      autoPanPaddingBottomRight: pad.paddingBottomRight };
  };

  // --------------------------------------------------------------- basemaps
  /** A basemap: its tile layers in one group; failing tiles show the notice. */
  App.prototype.basemap = function (label, tiles) {
    if (!this.watchingBasemaps) {
      this.watchingBasemaps = true;
      this.map.on('baselayerchange', () => {
        this.tileErrors = 0;
        this.hideBanner();
      });
    }
    const group = L.layerGroup();
    for (const [url, options] of tiles) {
      const layer = L.tileLayer(url, options);
      layer.on('tileerror', () => this.tileFailed(label, group));
      group.addLayer(layer);
    }
    return group;
  };

  App.prototype.tileFailed = function (label, group) {
    if (!this.map.hasLayer(group)) return;
    this.tileErrors = (this.tileErrors || 0) + 1;
    const fill = (t) => (t || '').replace('{name}', label).replace('{n}', this.tileErrors);
    const banner = this.banner();
    banner.children[0].textContent = fill(this.T['basemap.error']);
    banner.children[1].textContent = fill(this.T['basemap.error_en']);
    if (banner.style.display === 'none') {
      const title = document.getElementById('gp-title');
      banner.style.top = (title ? title.getBoundingClientRect().bottom + 6 : 8) + 'px';
      banner.style.display = '';
      this.scheduleLabels();
    }
  };

  /** The notice element (#gp-banner), created hidden on first use. */
  App.prototype.banner = function () {
    let banner = document.getElementById('gp-banner');
    if (!banner) {
      const close = el('button', { type: 'button', title: this.T['basemap.close'] }, '×');
      banner = el('div', { id: 'gp-banner', role: 'alert', style: { display: 'none' } },
        el('div', { className: 'gp-banner-zh' }), el('div', { className: 'gp-banner-en', lang: 'en' }), close);
      close.addEventListener('click', () => this.hideBanner());
      document.body.appendChild(banner);
    }
    return banner;
  };

  App.prototype.hideBanner = function () {
    this.banner().style.display = 'none';
    this.scheduleLabels();
  };

  // ---------------------------------------------------------------- buttons
  App.prototype.addTools = function () {
    const app = this;
    const T = this.T;
    const Tools = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        const button = (text, title, fn) => {
          const b = el('a', { href: '#', role: 'button', title: title, className: 'gp-tool' }, text);
          L.DomEvent.on(b, 'click', (e) => { L.DomEvent.preventDefault(e); fn(); });
          return b;
        };
        const menu = el('div', { className: 'gp-print-menu', style: { display: 'none' } },
          Object.keys(PAPER).map((p) => button(T['print.' + p.toLowerCase()], T['print.title'], () => {
            menu.style.display = 'none';
            app.print(p);
          })));
        app.tableButton = button(T['table.button'], T['table.title'], () => app.toggleTable());
        const print = button(T['print.button'], T['print.title'], () => {
          menu.style.display = menu.style.display === 'none' ? '' : 'none';
        });
        const div = el('div', { className: 'gp-tools leaflet-bar' }, app.tableButton, print, menu);
        L.DomEvent.disableClickPropagation(div);
        return div;
      },
    });
    new Tools().addTo(this.map);
    const North = L.Control.extend({
      options: { position: 'topright' },
      onAdd: () => el('div', { className: 'gp-north', title: T['print.north'] },
        el('div', { className: 'gp-north-arrow' }), el('div', { className: 'gp-north-text' }, T['print.north'])),
    });
    new North().addTo(this.map);
  };

  // ------------------------------------------------------------------ print
  App.prototype.pageStyle = function (paper) {
    let style = document.getElementById('gp-page');
    if (!style) {
      style = el('style', { id: 'gp-page' });
      document.head.appendChild(style);
    }
    style.textContent = '@page { size: ' + paper + ' landscape; margin: 8mm; }';
    return style;
  };

  /** Lay the page out for printing on `paper` (A4 or A3, landscape): the map takes the
   * printable area, keeping the view's centre and extent; every legend section opens. */
  App.prototype.preparePrint = function (paper) {
    if (this.printing) this.endPrint();
    const map = this.map;
    // What to print: the data in view (the whole plan when zoomed out beyond it).
    const view = map.getBounds();
    const data = this.data.bounds ? L.latLngBounds(this.data.bounds) : view;
    const target = view.contains(data) ? data : view;
    this.printing = { paper: paper, center: map.getCenter(), zoom: map.getZoom(), snap: map.options.zoomSnap,
      legendOpen: Object.assign({}, this.legendOpen), folded: this.legendFolded };
    this.pageStyle(paper);
    document.body.classList.add('gp-printing', 'gp-print-' + paper.toLowerCase());
    const box = map.getContainer().style;
    box.width = PAPER[paper][0] + 'mm';
    box.height = PAPER[paper][1] + 'mm';
    this.legendOpen = { communities: true, buildings: true, structures: true, pipes: true, facilities: true, barriers: true };
    this.legendFolded = false;
    let right = 10;
    if (this.legend) {
      this.legend.update();
      const div = this.legend.getContainer();
      // Two columns when one would run off the paper.
      div.classList.toggle('gp-lg-2col', div.scrollHeight > 0.8 * map.getContainer().clientHeight);
      right = div.offsetWidth + 20;
    }
    map.invalidateSize({ pan: false });
    const title = document.getElementById('gp-title');
    const top = title ? title.getBoundingClientRect().bottom - map.getContainer().getBoundingClientRect().top + 10 : 10;
    map.options.zoomSnap = 0;
    map.fitBounds(target, { animate: false, paddingTopLeft: [10, top], paddingBottomRight: [right, 30] });
    this.redrawNow();
  };

  App.prototype.endPrint = function () {
    const p = this.printing;
    if (!p) return;
    this.printing = null;
    document.body.classList.remove('gp-printing', 'gp-print-a4', 'gp-print-a3');
    const box = this.map.getContainer().style;
    box.width = '';
    box.height = '';
    this.legendOpen = p.legendOpen;
    this.legendFolded = p.folded;
    if (this.legend) {
      this.legend.getContainer().classList.remove('gp-lg-2col');
      this.legend.update();
    }
    this.map.options.zoomSnap = p.snap;
    this.map.invalidateSize({ pan: false });
    this.map.setView(p.center, p.zoom, { animate: false });
    this.pageStyle('A4');
  };

  /** Draw the canvas and the labels now (the print snapshot does not wait for a frame). */
  App.prototype.redrawNow = function () {
    this.map.eachLayer((l) => { if (l instanceof L.Canvas && l._redraw) l._redraw(); });
    if (this._labelFrame) {
      cancelAnimationFrame(this._labelFrame);
      this._labelFrame = null;
    }
    this.placeLabels();
  };

  App.prototype.print = function (paper) {
    this.preparePrint(paper);
    requestAnimationFrame(() => requestAnimationFrame(() => root.print()));
  };

  App.prototype.initPrint = function () {
    const info = document.getElementById('gp-print-info');
    if (info) {
      const d = new Date();
      const pad = (x) => String(x).padStart(2, '0');
      info.textContent = this.T['print.date'] + ' ' + d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    }
    this.pageStyle('A4');
    // Ctrl+P prints on A4 unless a paper was chosen with the button.
    root.addEventListener('beforeprint', () => { if (!this.printing) this.preparePrint('A4'); });
    root.addEventListener('afterprint', () => this.endPrint());
  };
})(typeof window !== 'undefined' ? window : globalThis);
