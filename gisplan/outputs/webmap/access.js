/* gisplan walking-access map: one kind of service at a time (a selector): buildings coloured by
 * their walk to the nearest service of the kind, the services, communities shaded by the share
 * of households within; rows of the gap table ("kind:community_id") select the kind and show
 * the community. Needs kit.js. Every text reaching HTML goes through esc().
 */
(function (root) {
  'use strict';
  const K = root.GisplanKit;
  const esc = K.esc;
  // walk / max_walk_m: <= 0.5, <= 1 (within), <= 1.5, beyond; no walk: unreachable
  const BANDS = [
    { upto: 0.5, color: '#1a9850', label: '≤ 0.5 × 步行距离 max walk' },
    { upto: 1.0, color: '#91cf60', label: '≤ 步行距离 max walk（达标 within）' },
    { upto: 1.5, color: '#fc8d59', label: '≤ 1.5 × 步行距离 max walk' },
    { upto: Infinity, color: '#d73027', label: '> 1.5 × 步行距离 max walk' },
  ];
  const UNREACHABLE = '#969696';

  function band(walk, max) {
    if (walk === null || walk === undefined) return null;
    return BANDS.find((b) => walk <= b.upto * max + 1e-9);
  }

  /** Share within (0..1) to a red-yellow-green fill. */
  function shareColor(s) {
    if (s === null || s === undefined) return '#ffffff';
    const stops = [[0, [215, 48, 39]], [0.5, [254, 224, 139]], [1, [26, 152, 80]]];
    let i = s <= 0.5 ? 0 : 1;
    const [a, ca] = stops[i];
    const [b, cb] = stops[i + 1];
    const t = Math.max(0, Math.min(1, (s - a) / (b - a)));
    return 'rgb(' + ca.map((c, j) => Math.round(c + (cb[j] - c) * t)).join(',') + ')';
  }

  function pct(s) {
    return s === null || s === undefined ? '–' : K.fmt(100 * s, 1) + '%';
  }

  function Access(el, data) {
    this.data = data;
    this.k = 0;
    const map = this.map = K.makeMap(el, data.bounds);
    this.communityIndex = {};
    const D = data.layers;
    this.roads = K.geoLayer(D.roads, {
      style: () => ({ color: '#737373', weight: 1.5, opacity: 0.8, interactive: false }),
    }).addTo(map);
    this.communities = K.geoLayer(D.communities, {
      style: (p) => this.communityStyle(p),
      popup: (p) => this.communityPopup(p),
      tooltip: (p) => p.name + ' · ' + pct(p.share[this.k]),
      index: this.communityIndex, key: (p) => p.community_id,
    }).addTo(map);
    this.buildings = K.geoLayer(D.buildings, {
      style: (p) => this.buildingStyle(p),
      popup: (p) => this.buildingPopup(p),
      tooltip: (p) => p.building_id + ' · ' + this.walkText(p),
    }).addTo(map);
    this.services = L.featureGroup().addTo(map);
    L.control.layers(null, {
      '道路 roads': this.roads, '社区 communities': this.communities,
      '楼栋 buildings': this.buildings, '设施 services': this.services,
    }, { collapsed: true, position: 'topright' }).addTo(map);
    K.keepOrder(map, [this.communities, this.roads, this.buildings, this.services]);
    this.selector();
    this.legendRows();
    K.linkRows((kind, id) => this.focus(kind, id));
    this.show(0);
    K.ready();
  }

  Access.prototype.kind = function () {
    return this.data.kinds[this.k];
  };

  Access.prototype.walkText = function (p) {
    if (!this.kind()) return '–';
    const w = p.walk[this.k];
    return w === null || w === undefined ? '无法到达 unreachable' : K.fmt(w, 0) + ' m';
  };

  Access.prototype.buildingStyle = function (p) {
    const kind = this.kind();
    const b = kind ? band(p.walk[this.k], kind.max_walk_m) : null;
    const c = b ? b.color : UNREACHABLE;
    return { color: '#444', weight: 0.6, fillColor: c, fillOpacity: 0.9, radius: 4 };
  };

  Access.prototype.communityStyle = function (p) {
    return { color: '#3182bd', weight: 1.5, fillColor: shareColor(p.share[this.k]), fillOpacity: 0.35 };
  };

  Access.prototype.buildingPopup = function (p) {
    const kind = this.kind();
    if (!kind) {
      return '<div class="gp-popup"><h4>楼栋 building ' + esc(p.building_id) + '</h4>' + K.attrs([
        ['社区 community', p.community_id], ['户数 households', K.fmtQ(p.households)]]) + '</div>';
    }
    const w = p.walk[this.k];
    const ok = w !== null && w !== undefined && w <= kind.max_walk_m + 1e-9;
    return '<div class="gp-popup"><h4>楼栋 building ' + esc(p.building_id) + '</h4>' + K.attrs([
      ['社区 community', p.community_id], ['户数 households', K.fmtQ(p.households)],
      ['设施 service', kind.name_zh + ' ' + kind.name_en],
      ['最近 nearest', p.service[this.k] || '–'], ['步行 walk', this.walkText(p)],
      ['步行距离 max walk', K.fmt(kind.max_walk_m, 0) + ' m'],
      ['达标 within', ok ? '是 yes' : '否 no']]) + '</div>';
  };

  Access.prototype.communityPopup = function (p) {
    const rows = [['编号 id', p.community_id], ['街道 street', p.street]];
    this.data.kinds.forEach((k, i) => rows.push([k.name_zh + ' ' + k.kind, pct(p.share[i])]));
    return '<div class="gp-popup"><h4>' + esc(p.name) + '</h4>' +
      '<p>步行可达户数比例 share of households within</p>' + K.attrs(rows) + '</div>';
  };

  Access.prototype.selector = function () {
    const self = this;
    const Sel = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        const div = L.DomUtil.create('div', 'gp-legend leaflet-bar');
        let h = '<label>设施 service <select id="gp-access-kind" style="max-width:260px">';
        self.data.kinds.forEach((k, i) => {
          h += '<option value="' + i + '">' + esc(k.name_zh + ' ' + k.name_en + ' (' + K.fmt(k.max_walk_m, 0) + ' m)') + '</option>';
        });
        div.innerHTML = h + '</select></label>';
        L.DomEvent.disableClickPropagation(div);
        div.querySelector('select').addEventListener('change', (e) => self.show(Number(e.target.value)));
        return div;
      },
    });
    this.select = new Sel().addTo(this.map);
  };

  Access.prototype.legendRows = function () {
    const rows = BANDS.map((b) => [K.swatch(b.color, 'fill'), b.label]);
    rows.push([K.swatch(UNREACHABLE, 'fill'), '无法到达 unreachable']);
    rows.push([K.swatch('#08519c', 'dot'), '设施 service']);
    rows.push([K.swatch(shareColor(0), 'fill'), '社区覆盖率 0%']);
    rows.push([K.swatch(shareColor(1), 'fill'), '社区覆盖率 100%']);
    K.legend(this.map, '步行可达 walking access', rows);
  };

  Access.prototype.show = function (k) {
    this.k = k;
    const kind = this.kind();
    this.buildings.setStyle((f) => this.buildingStyle(f.properties));
    this.communities.setStyle((f) => this.communityStyle(f.properties));
    this.services.clearLayers();
    if (!kind) return;
    const fc = { type: 'FeatureCollection',
      features: this.data.layers.services.features.filter((f) => f.properties.kind === kind.kind) };
    this.services.addLayer(K.geoLayer(fc, {
      style: (p) => ({ color: '#08519c', weight: 2, radius: 7, fillColor: p.snapped ? '#08519c' : '#ffffff',
        fillOpacity: 0.9 }),
      popup: (p) => '<div class="gp-popup"><h4>' + esc(kind.name_zh + ' ' + p.service_id) + '</h4>' +
        K.attrs([['类别 kind', kind.kind], ['上路网 on the network', p.snapped ? '是 yes' : '否 no（过远 too far）']]) + '</div>',
      tooltip: (p) => kind.name_zh + ' ' + p.service_id,
    }));
    const sel = document.getElementById('gp-access-kind');
    if (sel && Number(sel.value) !== k) sel.value = String(k);
  };

  Access.prototype.focus = function (kind, communityId) {
    const k = this.data.kinds.findIndex((x) => x.kind === kind);
    if (k >= 0 && k !== this.k) this.show(k);
    const found = this.communityIndex[communityId];
    if (found) K.focus(this.map, this.communities, found[0]);
  };

  /** Buildings drawn per colour band for the current kind (for tests). */
  Access.prototype.counts = function () {
    const out = {};
    this.buildings.eachLayer((l) => {
      const s = this.buildingStyle(l.gpProps).fillColor;
      out[s] = (out[s] || 0) + 1;
    });
    return out;
  };

  root.GisplanAccess = {
    init: function (id, data) {
      const app = new Access(document.getElementById(id), data);
      root.gisplanAccess = app;
      root.gisplanMap = app.map;
      return app;
    },
  };
})(typeof window !== 'undefined' ? window : globalThis);
