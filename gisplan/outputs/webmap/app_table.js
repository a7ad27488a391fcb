/* gisplan web map: the table of communities (street, type, zone, buildings, households,
 * floor area, cost), filterable by street and sortable by column; clicking a row shows
 * the community on the map with its popup. Built with DOM nodes and textContent (kit.el).
 * Extends App.prototype (app.js, through window.GisplanApp).
 */
(function (root) {
  'use strict';

  const { App, col } = root.GisplanApp;
  const { el, fmt } = root.GisplanKit;

  /** [column, header label key, format]: text, a label prefix, or decimals of a number. */
  const COLUMNS = [
    ['name', 'search.kind.community', 'text'], ['id', 'field.id', 'text'],
    ['street', 'field.street', 'text'], ['rtype', 'field.renovation_type', 'renovation_type'],
    ['zone', 'field.zone', 'text'], ['buildings', 'field.buildings', 0],
    ['households', 'field.households', 0], ['floor_area', 'field.floor_area', 0],
    ['cost', 'table.cost_wan', 1], ['cost_per_household', 'field.cost_per_household', 0],
  ];

  App.prototype.tableValue = function (key, i) {
    const v = col(this.data.layers.communities.cols[key], i);
    return key === 'cost' && typeof v === 'number' ? v / 1e4 : v;
  };

  App.prototype.tableCell = function (c, i) {
    const v = this.tableValue(c[0], i);
    if (typeof c[2] === 'number') return fmt(v, c[2]);
    if (c[2] === 'text') return v === null || v === undefined ? '–' : String(v);
    return this.label(c[2], v);
  };

  /** Community positions shown: of the chosen street, in the chosen order. */
  App.prototype.tableRows = function () {
    const com = this.data.layers.communities;
    const street = this.tableStreet || '';
    const rows = [];
    for (let i = 0; i < com.n; i++) if (!street || col(com.cols.street, i) === street) rows.push(i);
    const s = this.tableSort;
    if (s) {
      const num = typeof COLUMNS.find((c) => c[0] === s.key)[2] === 'number';
      rows.sort((a, b) => {
        const x = this.tableValue(s.key, a);
        const y = this.tableValue(s.key, b);
        const d = num ? (x === null ? -Infinity : x) - (y === null ? -Infinity : y) : String(x).localeCompare(String(y), 'zh');
        return s.dir * d || a - b;
      });
    }
    return rows;
  };

  App.prototype.renderTable = function () {
    const T = this.T;
    const rows = this.tableRows();
    const sum = (k) => rows.reduce((acc, i) => acc + (this.tableValue(k, i) || 0), 0);
    const totals = { buildings: sum('buildings'), households: sum('households'), floor_area: sum('floor_area'), cost: sum('cost') };
    totals.cost_per_household = totals.households > 0 ? totals.cost * 1e4 / totals.households : null;
    const body = rows.map((i) => el('tr', { dataset: { i: i }, className: i === this.tableActive ? 'gp-active' : '' },
      COLUMNS.map((c) => el('td', { className: typeof c[2] === 'number' ? 'gp-num' : '' }, this.tableCell(c, i)))));
    const line = (label, figures) => el('tr', null, COLUMNS.map((c, k) => el('td', { className: typeof c[2] === 'number' ? 'gp-num' : '' },
      k === 0 ? label : Object.prototype.hasOwnProperty.call(figures, c[0]) ? fmt(figures[c[0]], c[2]) : '')));
    const foot = [line(T['table.total'], totals)];
    const city = this.data.city;
    if (!this.tableStreet && city) {
      // Work outside every community (pipes between them, say) is in the city's total only:
      // shown as its own line, so that the table adds up to the title bar.
      const all = { buildings: city.buildings, households: city.households, floor_area: city.floor_area_m2, cost: city.cost / 1e4 };
      const rest = {};
      for (const k in all) rest[k] = all[k] - totals[k];
      if (Object.values(rest).some((v) => Math.abs(v) > 1e-6)) {
        foot.push(line(T.unassigned, rest));
        all.cost_per_household = all.households > 0 ? all.cost * 1e4 / all.households : null;
        foot.push(line(T['table.city'], all));
      }
    }
    this.tableParts.body.replaceChildren(...body);
    this.tableParts.foot.replaceChildren(...foot);
    this.tableParts.count.textContent = T['table.rows'].replace('{n}', rows.length);
    for (const th of this.tableParts.head.querySelectorAll('th')) {
      const s = this.tableSort;
      th.dataset.sort = s && s.key === th.dataset.key ? (s.dir > 0 ? 'asc' : 'desc') : '';
    }
  };

  App.prototype.setTableStreet = function (street) {
    this.tableStreet = street || '';
    if (!this.tableParts) return;
    this.tableParts.street.value = this.tableStreet;
    this.renderTable();
  };

  App.prototype.buildTable = function () {
    const T = this.T;
    const street = el('select', { className: 'gp-tb-street' },
      el('option', { value: '' }, T['table.all_streets']),
      [...this.streets().keys()].map((s) => el('option', { value: s }, s)));
    street.value = this.tableStreet || '';
    street.addEventListener('change', () => this.setTableStreet(street.value));
    const close = el('button', { type: 'button', className: 'gp-tb-close', title: T['table.close'] }, '×');
    close.addEventListener('click', () => this.toggleTable(false));
    const head = el('tr', null, COLUMNS.map((c) => el('th', { dataset: { key: c[0] }, className: typeof c[2] === 'number' ? 'gp-num' : '' }, T[c[1]])));
    head.addEventListener('click', (e) => {
      const th = e.target.closest('th');
      if (!th) return;
      const s = this.tableSort;
      this.tableSort = { key: th.dataset.key, dir: s && s.key === th.dataset.key ? -s.dir : 1 };
      this.renderTable();
    });
    const body = el('tbody');
    body.addEventListener('click', (e) => {
      const tr = e.target.closest('tr');
      if (!tr) return;
      const i = Number(tr.dataset.i);
      this.tableActive = i;
      for (const other of body.querySelectorAll('tr.gp-active')) other.classList.remove('gp-active');
      tr.classList.add('gp-active');
      const com = this.data.layers.communities;
      this.openFeature({ k: 'communities', t: com, i: i, id: col(com.cols.id, i) });
    });
    const foot = el('tfoot');
    const count = el('span', { className: 'gp-tb-count' });
    const panel = el('div', { className: 'gp-table-panel', style: { display: 'none' } },
      el('div', { className: 'gp-tb-head' }, el('b', null, T['table.title']),
        el('label', null, T['table.street'] + ' ', street), count, close),
      el('div', { className: 'gp-tb-scroll' }, el('table', { className: 'gp-table' }, el('thead', null, head), body, foot)));
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    this.map.getContainer().appendChild(panel);
    this.tablePanel = panel;
    this.tableParts = { street: street, head: head, body: body, foot: foot, count: count };
  };

  App.prototype.toggleTable = function (open) {
    if (!this.tablePanel) this.buildTable();
    const show = open === undefined ? this.tablePanel.style.display === 'none' : open;
    this.tablePanel.style.display = show ? '' : 'none';
    if (show) this.renderTable();
    if (this.tableButton) this.tableButton.classList.toggle('gp-on', show);
    this.scheduleLabels();
  };
})(typeof window !== 'undefined' ? window : globalThis);
