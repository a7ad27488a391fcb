/* gisplan programme map: communities coloured by their projects' current phase. One view per
 * choice (the least advanced of a community's projects, or one project's); the colours, labels
 * and legend come from the page's JSON. Needs kit.js. Every text reaching HTML goes through esc().
 */
(function (root) {
  'use strict';
  const K = root.GisplanKit;
  const esc = K.esc;

  function popup(p) {
    const pairs = [['社区 community', p.name + ' (' + p.community_id + ')'],
      ['项目 projects', p.projects || '—'],
      ['最滞后阶段 least advanced phase', p.phase || '—']];
    for (const k in p.project_phases) pairs.push([k + ' 当前阶段 phase', p.project_phases[k]]);
    return '<div class="gp-popup"><h4>' + esc(p.name) + '</h4>' + K.attrs(pairs) + '</div>';
  }

  function ProgrammeMap(el, data) {
    const map = this.map = K.makeMap(el, data.bounds);
    const base = {};
    this.views = {};
    data.views.forEach(([key, label], i) => {
      const layer = K.geoLayer(data.communities, {
        style: (p) => ({ color: '#555', weight: 1, fillColor: p.colors[key], fillOpacity: 0.75 }),
        popup: popup,
        tooltip: (p) => p.name + ' · ' + (key === '*' ? (p.phase || '—') : (p.project_phases[key] || '—')),
      });
      if (i === 0) layer.addTo(map);
      this.views[key] = layer;
      base[esc(label)] = layer;
    });
    L.control.layers(base, null, { collapsed: false, position: 'topright' }).addTo(map);
    K.legend(map, '当前阶段 current phase', data.legend.map(([c, text]) => [K.swatch(c, 'fill'), text]));
    K.ready();
  }

  /** The fill colour of each community in the view shown, by community id. */
  ProgrammeMap.prototype.colors = function () {
    const out = {};
    for (const key in this.views) {
      if (!this.map.hasLayer(this.views[key])) continue;
      this.views[key].eachLayer((l) => { out[l.gpProps.community_id] = l.options.fillColor; });
    }
    return out;
  };

  root.GisplanProgramme = {
    init: function (id, data) {
      const app = new ProgrammeMap(document.getElementById(id), data);
      root.gisplanProgramme = app;
      root.gisplanMap = app.map;
      return app;
    },
  };
})(typeof window !== 'undefined' ? window : globalThis);
