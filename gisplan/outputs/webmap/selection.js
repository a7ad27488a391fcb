/* gisplan selection map: communities coloured by the year chosen for them (not chosen in
 * grey), a popup each, one switchable layer per year; rows of the page's tables open their
 * community. Needs kit.js. Every text reaching HTML goes through esc().
 */
(function (root) {
  'use strict';
  const K = root.GisplanKit;
  const esc = K.esc;
  const NONE = '未入选 not chosen';

  function popup(p) {
    const pairs = [['编号 id', p.community_id], ['连片片区 zone', p.zone_id || '–'],
      ['年度 year', p.year || NONE], ['费用 cost (元)', K.fmt(p.cost_cny, 0)],
      ['户数 households', K.fmtQ(p.households)], ['权重 weight', K.fmtQ(p.weight)]];
    if (p.fixed_year) pairs.push(['年度固定 year fixed', '是 yes']);
    let h = '<div class="gp-popup"><h4>' + esc(p.name) + '</h4>' + K.attrs(pairs);
    if (p.note) h += '<p class="gp-note">' + esc(p.note) + '</p>';
    return h + '</div>';
  }

  function SelectionMap(el, data) {
    const map = this.map = K.makeMap(el, data.bounds);
    this.index = {};
    this.groups = {};
    const overlays = {};
    const rows = [];
    const keys = data.years.map((y) => y.year).concat(['']);
    for (const key of keys) {
      const color = key ? data.colors[key] : data.grey;
      const mine = data.communities.features.filter((f) => (f.properties.year || '') === key);
      const label = key ? key + ' 年' : NONE;
      rows.push([K.swatch(color, 'fill'), label + ' (' + mine.length + ')']);
      if (!mine.length) continue;
      const group = this.groups[key] = K.geoLayer({ type: 'FeatureCollection', features: mine }, {
        style: () => ({ color: '#444', weight: 1, fillColor: color, fillOpacity: key ? 0.7 : 0.35 }),
        popup: popup, index: this.index, key: (p) => p.community_id,
        tooltip: (p) => p.name + ' · ' + (p.year || NONE),
      }).addTo(map);
      overlays[esc(label) + ' (' + mine.length + ')'] = group;
    }
    L.control.layers(null, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    K.legend(map, '改造年度 year', rows);
    K.linkRows((kind, id) => this.focus(id));
    K.ready();
  }

  SelectionMap.prototype.focus = function (id) {
    const found = this.index[id];
    if (!found) return;
    K.focus(this.map, this.groups[found[0].gpProps.year || ''], found[0]);
  };

  /** Communities drawn on the map, per year ('' for not chosen). */
  SelectionMap.prototype.counts = function () {
    const out = {};
    for (const id in this.index) {
      const y = this.index[id][0].gpProps.year || '';
      out[y] = (out[y] || 0) + 1;
    }
    return out;
  };

  root.GisplanSelection = {
    init: function (id, data) {
      const app = new SelectionMap(document.getElementById(id), data);
      root.gisplanSelection = app;
      root.gisplanMap = app.map;
      return app;
    },
  };
})(typeof window !== 'undefined' ? window : globalThis);
