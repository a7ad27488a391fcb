/* gisplan web map: the legend, one collapsible section per shown layer.
 *
 * Communities and buildings open, the long lists (pipes, structures, barriers) folded to
 * one line of swatches, so that the legend fits a 900 px high window; the whole legend
 * folds to its title too. Built with DOM nodes and textContent (kit.el), never HTML text.
 * Extends App.prototype (app.js, through window.GisplanApp).
 */
(function (root) {
  'use strict';

  const { App } = root.GisplanApp;
  const { el, fmt } = root.GisplanKit;

  /** A swatch: 'fill', 'line' (px width, dashed), 'outline' or 'dot'. */
  function swatch(color, kind, opts) {
    const o = opts || {};
    const style = {};
    if (kind === 'line') {
      style.borderTop = (o.width || 3) + 'px ' + (o.dashed ? 'dashed ' : 'solid ') + color;
      if (o.opacity) style.opacity = o.opacity;
    } else if (kind === 'outline') {
      style.border = '2px dashed ' + color;
      style.background = 'transparent';
    } else style.background = color;
    return el('i', { className: 'gp-sw gp-sw-' + kind, style: style });
  }

  function row(sw, text) {
    return el('div', { className: 'gp-lg-row' }, sw, el('span', null, text));
  }

  function select(name, options, current) {
    const node = el('select', { dataset: { gp: name } }, options.map(([v, label]) => el('option', { value: v }, label)));
    node.value = current;
    return node;
  }

  /** Default open state of each section (the user's choices are kept while the page is open). */
  const OPEN = { communities: true, buildings: true, facilities: true };

  App.prototype.legendSection = function (key, title, rows, extra) {
    this.legendOpen = this.legendOpen || Object.assign({}, OPEN);
    const mini = el('span', { className: 'gp-lg-mini' },
      rows.filter((r) => r.sw).slice(0, 9).map((r) => r.sw.cloneNode(true)));
    const sec = el('details', { className: 'gp-lg-sec', open: !!this.legendOpen[key], dataset: { sec: key } },
      el('summary', null, el('b', null, title), mini),
      extra || null,
      rows.map((r) => row(r.sw, r.text)));
    sec.addEventListener('toggle', () => {
      this.legendOpen[key] = sec.open;
      this.scheduleLabels();
    });
    return sec;
  };

  App.prototype.legendBody = function () {
    const T = this.T;
    const S = this.S;
    const out = [];
    const lab = (style, k) => S[style][k].label_zh;
    if (this.shown('communities')) {
      const rows = [];
      if (this.metric === 'renovation_type') {
        for (const k of ['basic', 'upgrade']) rows.push({ sw: swatch(this.color('renovation_type', k), 'fill'), text: this.label('renovation_type', k) });
      } else {
        const ch = this.data.choropleth[this.metric];
        const b = ch.breaks;
        for (let k = 0; k < ch.colors.length && k <= b.length; k++) {
          const text = !b.length ? T['metric.' + this.metric] : k === 0 ? '≤ ' + fmt(b[0], 0)
            : k === b.length ? '> ' + fmt(b[k - 1], 0) : fmt(b[k - 1], 0) + ' – ' + fmt(b[k], 0);
          rows.push({ sw: swatch(ch.colors[k], 'fill'), text: text });
        }
      }
      out.push(this.legendSection('communities', lab('layer', 'communities'), rows,
        select('metric', this.data.metrics.map((m) => [m, T['metric.' + m]]), this.metric)));
    }
    if (this.data.context && this.data.context.n) out.push(row(swatch('#7a7a7a', 'outline'), T['legend.neighbours']));
    if (this.shown('zones')) out.push(row(swatch(S.layer.zones.value, 'outline'), lab('layer', 'zones')));
    if (this.shown('buildings')) {
      const keys = this.bstyle === 'roof' ? ['flat', 'pitched'] : ['basic', 'upgrade', 'unassigned'];
      const rows = keys.map((k) => ({ sw: swatch(this.color(this.bstyle, k), 'fill'), text: this.label(this.bstyle === 'roof' ? 'roof' : 'renovation_type', k) }));
      rows.push({ sw: null, text: T['legend.building_labels'].replace('{z}', this.data.ui.buildingLabelZoom) });
      out.push(this.legendSection('buildings', lab('layer', 'buildings'), rows,
        select('bstyle', [['renovation_type', T['building_style.renovation_type']], ['roof', T['building_style.roof']]], this.bstyle)));
    }
    if (this.shown('structures')) {
      out.push(this.legendSection('structures', lab('layer', 'structures'),
        Object.keys(S.status).map((k) => ({ sw: swatch(S.status[k].value, 'fill'), text: this.label('status', k) }))));
    }
    if (this.shown('pipes')) {
      const rows = [];
      for (const net of Object.keys(this.data.nets)) {
        const g = this.groups['pipes:' + net];
        if (g && this.map.hasLayer(g)) rows.push({ sw: swatch(this.data.nets[net].color, 'line'), text: this.data.nets[net].name });
      }
      rows.push({ sw: el('span', { className: 'gp-sw-pair' }, swatch('#555', 'line', { width: 1 }), swatch('#555', 'line', { width: 5 })), text: T['legend.pipe_width'] });
      rows.push({ sw: swatch('#555', 'line', { dashed: true, opacity: S.pipe_keep.opacity.value }), text: S.pipe_keep.opacity.label_zh });
      out.push(this.legendSection('pipes', lab('layer', 'pipes'), rows));
    }
    if (this.shown('facilities')) {
      const kinds = this.data.layers.facilities.cols && this.data.layers.facilities.cols.kind;
      const present = kinds ? new Set(kinds.d) : null;
      const rows = Object.keys(S.facility_kind).filter((k) => !present || present.has(k))
        .map((k) => ({ sw: el('i', { className: 'gp-sw gp-sw-fac gp-fk-' + k }), text: S.facility_kind[k].label_zh }));
      if (this.groups.facilities && this.groups.facilities.gpCluster) {
        rows.push({ sw: el('i', { className: 'gp-sw gp-sw-cluster' }, 'n'), text: T['legend.cluster'] });
      }
      out.push(this.legendSection('facilities', lab('layer', 'facilities') + ' · ' + T['legend.facility_kind'], rows));
    }
    if (this.shown('barriers')) {
      out.push(this.legendSection('barriers', lab('layer', 'barriers'),
        this.data.layers.barriers.cols.kind.d.map((k) => ({ sw: swatch(this.color('barrier', k), 'line', { width: 4 }), text: this.label('barrier', k) }))));
    }
    return out;
  };

  App.prototype.addLegend = function () {
    const app = this;
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        const div = el('div', { className: 'gp-legend leaflet-bar', style: { width: app.LEGEND_WIDTH + 'px' } });
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
        if (!this._div) return;
        const T = app.T;
        const toggle = el('button', { type: 'button', className: 'gp-lg-toggle', title: T['legend.toggle'] },
          app.legendFolded ? '+' : '−');
        toggle.addEventListener('click', () => {
          app.legendFolded = !app.legendFolded;
          this.update();
          app.scheduleLabels();
        });
        const head = el('div', { className: 'gp-lg-title' }, el('span', null, T['legend.title']), toggle);
        this._div.classList.toggle('gp-folded', !!app.legendFolded);
        this._div.replaceChildren(head, el('div', { className: 'gp-lg-body' }, app.legendBody()));
      },
    });
    this.legend = new Legend().addTo(this.map);
  };
})(typeof window !== 'undefined' ? window : globalThis);
