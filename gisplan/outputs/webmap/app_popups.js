/* gisplan web map: tooltips and popups (one shared popup and tooltip per layer group).
 * Both are DOM nodes whose text goes in through textContent (kit.el), never HTML text.
 * Extends App.prototype (app.js, through window.GisplanApp); kit.js gives the helpers.
 */
(function (root) {
  'use strict';

  const { App, col, rowRange } = root.GisplanApp;
  const { el, fmt, fmtQ } = root.GisplanKit;

  /** A two-column table of [label, value] pairs. */
  function attrs(pairs) {
    return el('table', { className: 'gp-attrs' }, pairs.map(([k, v]) => el('tr', null, el('th', null, k), el('td', null, v === null || v === undefined ? '' : String(v)))));
  }

  // --------------------------------------------------------------- popups
  App.prototype.tooltip = function (layer) {
    return document.createTextNode(this.tooltipText(layer));
  };

  App.prototype.tooltipText = function (layer) {
    const g = layer.gp;
    if (!g) return '';
    const t = g.t;
    const i = g.i;
    const T = this.T;
    if (g.k === 'communities') return String(col(t.cols.name, i));
    if (g.k === 'zones') return T['field.zone'] + ' ' + col(t.cols.id, i);
    if (g.k === 'buildings') return String(col(t.cols.name, i) || col(t.cols.id, i));
    if (g.k === 'pipes') {
      const dn = col(t.cols.dn, i);
      return this.netName(col(t.cols.net, i)) + (dn ? ' DN' + dn : '');
    }
    if (g.k === 'facilities') return this.itemName(col(t.cols.item, i));
    if (g.k === 'structures') return col(t.cols.kind, i) + ' · ' + this.label('status', col(t.cols.status, i));
    return String(this.label('barrier', col(t.cols.kind, i)));
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

  /** The scope table of feature i: item, unit, quantity, cost (given or quantity x price). */
  App.prototype.scopeTable = function (rows, i) {
    const T = this.T;
    const items = this.data.items;
    const [a, b] = rowRange(rows, i);
    if (b <= a) return el('p', { className: 'gp-empty' }, T['scope.empty']);
    const declared = new Set(rows.d || []);
    let total = 0;
    const body = [];
    for (let r = a; r < b; r++) {
      const it = rows.item[r];
      const q = rows.q[r];
      const cost = rows.cost ? rows.cost[r] : q * items.price[it];
      if (typeof cost === 'number' && isFinite(cost)) total += cost;
      const mark = declared.has(r) ? [' ', el('span', { className: 'gp-decl', title: T['source.declared'] }, T['scope.declared'])] : [];
      body.push(el('tr', null, el('td', null, items.name[it], mark), el('td', null, items.unit[it]),
        el('td', { className: 'gp-num' }, fmtQ(q)), el('td', { className: 'gp-num' }, fmt(cost, 0))));
    }
    body.push(el('tr', { className: 'gp-total' }, el('td', { colSpan: 3 }, T['scope.total']),
      el('td', { className: 'gp-num' }, fmt(total, 0))));
    return [el('h5', null, T['scope.title']), el('table', { className: 'gp-scope' },
      el('thead', null, el('tr', null, ['scope.item', 'scope.unit', 'scope.quantity', 'scope.cost'].map((k) => el('th', null, T[k])))),
      el('tbody', null, body))];
  };

  App.prototype.popup = function (layer) {
    const g = layer.gp;
    if (!g) return '';
    return el('div', { className: 'gp-popup gp-popup-' + g.k }, this['popup_' + g.k](g.t, g.i));
  };

  App.prototype.popup_communities = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return [el('h4', null, col(c.name, i)), attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.street'], col(c.street, i)],
      [T['field.renovation_type'], this.label('renovation_type', col(c.rtype, i))],
      [T['field.zone'], col(c.zone, i) || T['field.none']],
      [T['field.buildings'], fmt(col(c.buildings, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
      [T['field.cost_per_household'], fmt(col(c.cost_per_household, i), 0)],
    ]), this.scopeTable(t.rows, i)];
  };

  App.prototype.popup_zones = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const id = col(c.id, i);
    const com = this.data.layers.communities;
    const names = [];
    for (let k = 0; k < com.n; k++) if (col(com.cols.zone, k) === id) names.push(col(com.cols.name, k));
    return [el('h4', null, T['field.zone'] + ' ' + id), attrs([
      [T['field.members'], names.join('、')],
      [T['field.buildings'], fmt(col(c.buildings, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
    ]), this.scopeTable(t.rows, i)];
  };

  App.prototype.popup_buildings = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const name = col(c.name, i);
    return [el('h4', null, name || col(c.id, i)), attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.community'], this.comName(col(c.com, i))],
      [T['field.renovation_type'], this.label('renovation_type', col(c.rtype, i))],
      [T['field.floors'], fmt(col(c.floors, i), 0)],
      [T['field.households'], fmt(col(c.households, i), 0)],
      [T['field.units'], fmt(col(c.units, i), 0)],
      [T['field.roof'], this.label('roof', col(c.roof, i))],
      [T['field.floor_area'], fmt(col(c.floor_area, i), 1)],
    ]), this.scopeTable(t.rows, i)];
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
      scope = el('p', { className: 'gp-empty' }, T['scope.keep']);
    } else {
      scope = this.scopeTable({ n: [1], item: [it], q: [col(c.len, i)], cost: [col(c.cost, i)] }, 0);
    }
    return [el('h4', null, this.netName(col(c.net, i)) + (dn ? ' DN' + dn : '')), attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.network'], this.netName(col(c.net, i))],
      [T['field.diameter'], dn ? 'DN' + dn : '–'],
      [T['field.action'], this.label('action', col(c.act, i))],
      [T['field.length'], fmt(col(c.len, i), 1)],
      [T['field.through'], through.join('；') || '–'],
    ]), scope];
  };

  App.prototype.popup_facilities = function (t, i) {
    const T = this.T;
    const c = t.cols;
    const it = col(c.item, i);
    const unit = it >= 0 ? this.data.items.unit[it] : '';
    return [el('h4', null, this.itemName(it)), attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.quantity'], fmtQ(col(c.q, i)) + ' ' + unit],
      [T['field.cost'], fmt(col(c.cost, i), 0)],
      [T['field.community'], this.comName(col(c.com, i))],
    ])];
  };

  App.prototype.popup_structures = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return [el('h4', null, col(c.kind, i)), attrs([
      [T['field.id'], col(c.id, i)],
      [T['field.status'], this.label('status', col(c.status, i))],
      [T['field.area'], fmt(col(c.area, i), 1)],
      [T['field.community'], this.comName(col(c.com, i))],
    ])];
  };

  App.prototype.popup_barriers = function (t, i) {
    const T = this.T;
    const c = t.cols;
    return [el('h4', null, this.label('barrier', col(c.kind, i))), attrs([[T['field.id'], col(c.id, i)]])];
  };

})(typeof window !== 'undefined' ? window : globalThis);
