/* gisplan plan-diff map: changed features coloured by change (added green, removed red,
 * moved/reshaped old dashed grey and new orange, attribute-only blue), popups saying what
 * changed, one switchable layer per change; rows of the page's tables open their feature.
 * Needs kit.js. Every text reaching HTML goes through esc().
 */
(function (root) {
  'use strict';
  const K = root.GisplanKit;
  const esc = K.esc;
  const CHANGES = ['added', 'removed', 'moved', 'reshaped', 'attributes'];
  const LABEL = { added: '新增 added', removed: '删除 removed', moved: '移动 moved', reshaped: '改形 reshaped',
    attributes: '属性变化 attributes only' };
  const COLOR = { added: '#1a9850', removed: '#d73027', moved: '#fd8d3c', reshaped: '#fd8d3c',
    attributes: '#2171b5', old: '#969696' };
  const LAYER = { communities: '社区 community', buildings: '楼栋 building', pipes: '管线 pipe',
    facilities: '设施 facility', structures: '违建/仓房 structure', barriers: '阻隔 barrier' };
  const AREAS = new Set(['communities', 'barriers']);

  function style(p) {
    if (p.version === 'old' && (p.change === 'moved' || p.change === 'reshaped')) {
      return { color: COLOR.old, weight: 2, dashArray: '6 4', fillColor: COLOR.old, fillOpacity: 0.08, radius: 6 };
    }
    const c = COLOR[p.change];
    return { color: c, weight: 2.5, fillColor: c, fillOpacity: AREAS.has(p.layer) ? 0.12 : 0.45, radius: 6 };
  }

  function size(x, unit) {
    return x === null || x === undefined ? '–' : K.fmt(x, 1) + ' ' + unit;
  }

  function popup(p) {
    const pairs = [['变化 change', LABEL[p.change]],
      ['版本 version', p.version === 'old' ? '旧版 old' : '新版 new']];
    if (p.change === 'moved' || p.change === 'reshaped') {
      pairs.push(['中心位移 centroid shift (m)', K.fmt(p.shift_m, 2)]);
      pairs.push(['最大偏差 Hausdorff (m)', K.fmt(p.hausdorff_m, 2)]);
    }
    if (p.size_unit) pairs.push(['大小 size', size(p.size_old, p.size_unit) + ' → ' + size(p.size_new, p.size_unit)]);
    let h = '<div class="gp-popup gp-popup-diff"><h4>' + esc((LAYER[p.layer] || p.layer) + ' ' + p.feature_id) +
      '</h4>' + K.attrs(pairs);
    if (p.attributes) {
      h += '<b>属性变化 attributes changed</b><ul>';
      for (const a of String(p.attributes).split('; ')) h += '<li>' + esc(a) + '</li>';
      h += '</ul>';
    }
    return h + '</div>';
  }

  function DiffMap(el, data) {
    const map = this.map = K.makeMap(el, data.bounds);
    this.index = {};
    this.groups = {};
    const overlays = {};
    if (data.layers.context) {
      const ctx = K.geoLayer(data.layers.context, {
        style: () => ({ color: '#6baed6', weight: 1, fill: false, interactive: false }),
      }).addTo(map);
      overlays['社区边界 community boundaries（新版 new）'] = ctx;
    }
    const feats = data.layers.changes.features;
    const areas = [];
    const others = [];
    for (const change of CHANGES) {
      // Old shapes first, so the new ones are drawn (and clicked) on top.
      const mine = feats.filter((f) => f.properties.change === change)
        .sort((a, b) => (a.properties.version === 'old' ? 0 : 1) - (b.properties.version === 'old' ? 0 : 1));
      if (!mine.length) continue;
      const opts = {
        style: style, popup: popup, index: this.index,
        tooltip: (p) => (LAYER[p.layer] || p.layer) + ' ' + p.feature_id + ' · ' + LABEL[p.change],
        key: (p) => p.layer + ':' + p.feature_id + ':' + p.version,
      };
      // Community and barrier areas go below everything else, whatever their change.
      const sub = (area) => K.geoLayer({ type: 'FeatureCollection',
        features: mine.filter((f) => AREAS.has(f.properties.layer) === area) }, opts);
      const a = sub(true);
      const o = sub(false);
      areas.push(a);
      others.push(o);
      const group = this.groups[change] = L.layerGroup([a, o]).addTo(map);
      overlays[esc(LABEL[change]) + ' (' + data.counts[change] + ')'] = group;
    }
    K.keepOrder(map, areas.concat(others));
    L.control.layers(null, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    const rows = [];
    for (const change of CHANGES) {
      if (!data.counts[change]) continue;
      if (change === 'moved' || change === 'reshaped') {
        rows.push([K.swatch(COLOR.old, 'line', true), LABEL[change] + ' · 旧 old (' + data.counts[change] + ')']);
        rows.push([K.swatch(COLOR[change], 'fill'), LABEL[change] + ' · 新 new']);
      } else rows.push([K.swatch(COLOR[change], 'fill'), LABEL[change] + ' (' + data.counts[change] + ')']);
    }
    K.legend(map, '图例 legend', rows);
    K.linkRows((kind, id) => this.focus(id));
    K.ready();
  }

  DiffMap.prototype.focus = function (id) {
    const found = this.index[id + ':new'] || this.index[id + ':old'];
    if (!found) return;
    const change = found[0].gpProps.change;
    K.focus(this.map, this.groups[change], found[0]);
  };

  /** Distinct changed features drawn on the map, per change. */
  DiffMap.prototype.counts = function () {
    const seen = {};
    this.map.eachLayer((l) => {
      const p = l.gpProps;
      if (!p || !p.change) return;
      (seen[p.change] = seen[p.change] || new Set()).add(p.layer + ':' + p.feature_id);
    });
    const out = {};
    for (const k in seen) out[k] = seen[k].size;
    return out;
  };

  root.GisplanDiff = {
    init: function (id, data) {
      const app = new DiffMap(document.getElementById(id), data);
      root.gisplanDiff = app;
      root.gisplanMap = app.map;
      return app;
    },
  };
})(typeof window !== 'undefined' ? window : globalThis);
