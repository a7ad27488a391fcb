/* gisplan review map (选址审查): proposals coloured by verdict with their failing rules, the
 * demolition ledger, reviewer markup and context layers; findings-table rows open their
 * proposal; leaflet-draw lets the reviewer add marks (a small form asks for reviewer, comment
 * and status) and "export markup" downloads every mark as GeoJSON for `gisplan review
 * --markup`. Needs kit.js. Every text reaching HTML goes through esc().
 */
(function (root) {
  'use strict';
  const K = root.GisplanKit;
  const esc = K.esc;
  const PASS = '#1a9850';
  const FAIL = '#d73027';
  const LEDGER = { confirmed: '#99000d', identified: '#fd8d3c' };
  const MARK = { open: '#e6550d', resolved: '#636363' };
  const STATUS = { open: '待处理 open', resolved: '已解决 resolved' };
  const ACTION = { replace: '更换 replace', new: '新建 new', keep: '保留 keep' };
  const MARK_FIELDS = ['mark_id', 'reviewer', 'time', 'comment', 'status'];

  /** Local time as ISO 8601 with its UTC offset, e.g. 2024-05-01T09:30:00+08:00. */
  function isoNow(d) {
    d = d || new Date();
    const pad = (n) => String(Math.abs(n)).padStart(2, '0');
    const off = -d.getTimezoneOffset();
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) +
      (off >= 0 ? '+' : '-') + pad(Math.floor(Math.abs(off) / 60)) + ':' + pad(Math.abs(off) % 60);
  }

  function only(fc, test) {
    return { type: 'FeatureCollection', features: fc.features.filter((f) => test(f.properties)) };
  }

  function Review(el, data) {
    this.data = data;
    this.map = K.makeMap(el, data.bounds);
    this.index = { proposal: {}, structure: {}, mark: {} };
    this.groups = {};
    this.overlays = {};
    const D = data.layers;
    this.add('communities', '社区 communities', K.geoLayer(D.communities, {
      style: () => ({ color: '#3182bd', weight: 1.5, fillColor: '#c6dbef', fillOpacity: 0.2 }),
      popup: (p) => this.card(p.name, [['编号 id', p.community_id], ['街道 street', p.street],
        ['改造类型 type', p.renovation_type]]),
      tooltip: (p) => p.name,
    }), true);
    this.add('buildings', '楼栋 buildings', K.geoLayer(D.buildings, {
      style: () => ({ color: '#555', weight: 0.7, fillColor: '#bdbdbd', fillOpacity: 0.8 }),
      popup: (p) => this.card(p.building_id, [['层数 floors', p.floors], ['户数 households', p.households]]),
      tooltip: (p) => p.building_id,
    }), true);
    for (const net of Object.keys(data.nets)) {
      const fc = only(D.pipes, (p) => p.network === net);
      if (!fc.features.length) continue;
      const n = data.nets[net];
      this.add('pipes:' + net, '管线 pipes · ' + n.name + ' ' + net, K.geoLayer(fc, {
        style: (p) => ({ color: n.color, weight: 3, opacity: 0.9, dashArray: p.action === 'keep' ? '4 4' : null }),
        popup: (p) => this.card(n.name + (p.diameter_mm ? ' DN' + p.diameter_mm : ''), [['编号 id', p.pipe_id],
          ['管网 network', n.name + ' ' + net], ['做法 action', ACTION[p.action] || p.action]]),
        tooltip: (p) => p.pipe_id + ' · ' + n.name,
      }), true);
    }
    if (D.fire_lanes) {
      this.add('fire_lanes', '消防车道 fire lanes', K.geoLayer(D.fire_lanes, {
        style: () => ({ color: '#de2d26', weight: 4, dashArray: '10 6', opacity: 0.8 }),
        popup: (p) => this.card('消防车道 fire lane ' + p.lane_id, [['宽度 width (m)', p.width_m]]),
        tooltip: (p) => p.lane_id,
      }), true);
    }
    this.add('ledger', '违建台账 demolition ledger', K.geoLayer(D.ledger, {
      style: (p) => ({ color: LEDGER[p.status] || '#fd8d3c', weight: 1.5, fillOpacity: 0.6 }),
      popup: (p) => this.card('违建台账 ledger · ' + p.structure_id, [['类型 kind', p.kind],
        ['状态 status', p.status], ['小区 community', p.community_name + ' (' + p.community_id + ')'],
        ['面积 area (m²)', K.fmt(p.area_m2, 1)]]),
      tooltip: (p) => p.structure_id + ' · ' + p.kind,
      index: this.index.structure, key: (p) => p.structure_id,
    }), true);
    this.add('proposals', '拟建设施 proposals', K.geoLayer(D.proposals, {
      style: (p) => ({ color: p.passed ? PASS : FAIL, weight: 2.5, radius: 7, fillColor: p.passed ? PASS : FAIL,
        fillOpacity: 0.55 }),
      popup: (p) => this.popupProposal(p),
      tooltip: (p) => p.facility_id + (p.passed ? ' · 通过 pass' : ' · 不通过 fail (' + p.failed.length + ')'),
      index: this.index.proposal, key: (p) => p.facility_id,
    }), true);
    this.marks = K.geoLayer(D.markup, {
      marker: true, style: (p) => this.markStyle(p), popup: (p) => this.popupMark(p),
      tooltip: (p) => p.mark_id + ' · ' + p.reviewer, index: this.index.mark, key: (p) => p.mark_id,
    });
    this.add('marks', '审查标注 reviewer markup', this.marks, true);
    K.keepOrder(this.map, Object.values(this.groups));
    L.control.layers(null, this.overlays, { collapsed: false, position: 'topright' }).addTo(this.map);
    K.legend(this.map, '图例 legend', [
      [K.swatch(PASS, 'dot'), '通过 passes every rule'], [K.swatch(FAIL, 'dot'), '不通过 fails a rule'],
      [K.swatch(LEDGER.confirmed, 'fill'), '违建（已认定） confirmed'], [K.swatch(LEDGER.identified, 'fill'), '违建/仓房（已发现） identified'],
      [K.swatch(MARK.open, 'line'), '标注 待处理 open mark'], [K.swatch(MARK.resolved, 'line'), '标注 已解决 resolved mark'],
    ]);
    this.addDrawing();
    K.linkRows((kind, id) => this.focus(kind, id));
    this.map.getContainer().addEventListener('click', (e) => {
      const b = e.target.closest ? e.target.closest('.gp-mark-edit') : null;
      if (b) this.editMark(b.getAttribute('data-mark'));
    });
    K.ready();
  }

  Review.prototype.add = function (key, label, layer, show) {
    this.groups[key] = layer;
    this.overlays[esc(label) + ' (' + layer.getLayers().length + ')'] = layer;
    if (show) layer.addTo(this.map);
  };

  Review.prototype.card = function (title, pairs) {
    return '<div class="gp-popup"><h4>' + esc(title) + '</h4>' + K.attrs(pairs) + '</div>';
  };

  Review.prototype.popupProposal = function (p) {
    const badge = p.passed ? '<span class="gp-badge gp-pass">通过 pass</span>'
      : '<span class="gp-badge gp-fail">不通过 fail</span>';
    let h = '<div class="gp-popup gp-popup-proposal"><h4>' + esc(p.facility_id) + ' ' + badge + '</h4>' +
      K.attrs([['设施 item', p.item_zh ? p.item_zh + ' (' + p.item + ')' : p.item],
        ['所属小区 community', (p.community_name || '') + ' (' + p.community_id + ')']]);
    if (p.failed.length) {
      h += '<b>未通过的规则 failing rules (' + p.failed.length + ')</b><ol class="gp-failed">';
      for (const f of p.failed) {
        h += '<li><b>' + esc(f.rule_zh) + '</b> <code>' + esc(f.rule) + '</code>: ' + esc(f.message) + '</li>';
      }
      h += '</ol>';
    }
    h += '<p class="gp-note">' + esc(p.passed_rules.length + ' 项通过 passed: ' + p.passed_rules.join(', ')) + '</p>';
    return h + '</div>';
  };

  Review.prototype.markStyle = function (p) {
    const c = MARK[p.status] || MARK.open;
    return { color: c, weight: 3, fillColor: c, fillOpacity: 0.2 };
  };

  Review.prototype.popupMark = function (p) {
    return '<div class="gp-popup gp-popup-mark"><h4>审查标注 mark ' + esc(p.mark_id) + '</h4>' +
      K.attrs([['审查人 reviewer', p.reviewer], ['时间 time', p.time], ['状态 status', STATUS[p.status] || p.status]]) +
      '<p class="gp-comment">' + esc(p.comment) + '</p><button type="button" class="gp-mark-edit" data-mark="' +
      esc(p.mark_id) + '">编辑 edit</button></div>';
  };

  Review.prototype.focus = function (kind, id) {
    const found = (this.index[kind] || {})[id];
    if (!found || !found.length) return;
    const group = { proposal: this.groups.proposals, structure: this.groups.ledger, mark: this.marks }[kind];
    K.focus(this.map, group, found[0]);
  };

  // ------------------------------------------------------------------ drawing
  Review.prototype.addDrawing = function () {
    const map = this.map;
    if (!L.Control.Draw) return;
    const t = L.drawLocal.draw.toolbar.buttons;
    t.marker = '标注点 mark a point';
    t.polygon = '标注范围 mark an area';
    t.polyline = '标注线 mark a line';
    const shape = { color: MARK.open, weight: 3 };
    map.addControl(new L.Control.Draw({
      position: 'topleft',
      draw: { marker: {}, polyline: { shapeOptions: shape }, polygon: { shapeOptions: shape, showArea: false },
        rectangle: false, circle: false, circlemarker: false },
      edit: { featureGroup: this.marks, remove: true },
    }));
    map.on(L.Draw.Event.CREATED, (e) => {
      this.closeForm();
      e.layer.addTo(map);
      this.openForm(e.layer, true);
    });
    map.on(L.Draw.Event.DELETED, (e) => e.layers.eachLayer((l) => {
      if (l.gpProps) delete this.index.mark[l.gpProps.mark_id];
    }));
    this.addForm();
    const Export = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: () => {
        const div = L.DomUtil.create('div', 'gp-export leaflet-bar');
        div.innerHTML = '<button type="button" id="gp-export">导出标注 export markup</button>' +
          '<div class="gp-export-status" id="gp-export-status"></div>';
        L.DomEvent.disableClickPropagation(div);
        div.querySelector('button').addEventListener('click', () => this.exportMarks());
        return div;
      },
    });
    new Export().addTo(map);
  };

  Review.prototype.addForm = function () {
    const statuses = this.data.statuses;
    const Form = L.Control.extend({
      options: { position: 'topright' },
      onAdd: () => {
        const div = L.DomUtil.create('div', 'gp-mark-form');
        div.id = 'gp-mark-form';
        div.style.display = 'none';
        div.innerHTML = '<b>审查标注 reviewer mark <span id="gp-mark-id"></span></b>' +
          '<label for="gp-mark-reviewer">审查人 reviewer</label><input id="gp-mark-reviewer" type="text">' +
          '<label for="gp-mark-comment">意见 comment</label><textarea id="gp-mark-comment"></textarea>' +
          '<label for="gp-mark-status">状态 status</label><select id="gp-mark-status">' +
          statuses.map((s) => '<option value="' + esc(s) + '">' + esc(STATUS[s] || s) + '</option>').join('') +
          '</select><div class="gp-mark-error" id="gp-mark-error"></div><div class="gp-buttons">' +
          '<button type="button" id="gp-mark-save">保存 save</button>' +
          '<button type="button" id="gp-mark-cancel">取消 cancel</button></div>';
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        L.DomEvent.on(div, 'keydown keyup keypress', L.DomEvent.stopPropagation);
        div.querySelector('#gp-mark-save').addEventListener('click', () => this.saveForm());
        div.querySelector('#gp-mark-cancel').addEventListener('click', () => this.closeForm());
        this.form = div;
        return div;
      },
    });
    new Form().addTo(this.map);
  };

  Review.prototype.field = function (name) {
    return this.form.querySelector('#gp-mark-' + name);
  };

  Review.prototype.openForm = function (layer, isNew) {
    const p = layer.gpProps || {};
    this.editing = { layer: layer, isNew: isNew };
    this.field('id').textContent = p.mark_id || '';
    this.field('reviewer').value = p.reviewer || this.lastReviewer || '';
    this.field('comment').value = p.comment || '';
    this.field('status').value = p.status || 'open';
    this.field('error').textContent = '';
    this.form.style.display = 'block';
    this.field(this.field('reviewer').value ? 'comment' : 'reviewer').focus();
  };

  Review.prototype.closeForm = function () {
    const e = this.editing;
    if (e && e.isNew) this.map.removeLayer(e.layer);
    this.editing = null;
    if (this.form) this.form.style.display = 'none';
  };

  Review.prototype.nextId = function () {
    let n = 0;
    this.marks.eachLayer((l) => {
      const m = /^M(\d+)$/.exec((l.gpProps || {}).mark_id || '');
      if (m) n = Math.max(n, Number(m[1]));
    });
    return 'M' + (n + 1);
  };

  Review.prototype.saveForm = function () {
    const e = this.editing;
    if (!e) return;
    const reviewer = this.field('reviewer').value.trim();
    const comment = this.field('comment').value.trim();
    if (!reviewer || !comment) {
      this.field('error').textContent = '请填写审查人和意见 reviewer and comment are required';
      return;
    }
    const layer = e.layer;
    const old = layer.gpProps || {};
    layer.gpProps = { mark_id: old.mark_id || this.nextId(), reviewer: reviewer, time: isoNow(),
      comment: comment, status: this.field('status').value };
    this.lastReviewer = reviewer;
    if (layer.setStyle) layer.setStyle(this.markStyle(layer.gpProps));
    if (e.isNew) {
      this.map.removeLayer(layer);
      layer.bindPopup(() => this.popupMark(layer.gpProps), { maxWidth: 420 });
      layer.bindTooltip(() => esc(layer.gpProps.mark_id + ' · ' + layer.gpProps.reviewer), { sticky: true });
      this.marks.addLayer(layer);
      this.index.mark[layer.gpProps.mark_id] = [layer];
    }
    this.editing = null;
    this.form.style.display = 'none';
    this.status('');
  };

  Review.prototype.editMark = function (id) {
    const found = this.index.mark[id];
    if (!found) return;
    this.map.closePopup();
    this.closeForm();
    this.openForm(found[0], false);
  };

  /** Every mark (from --markup and drawn here) as a GeoJSON FeatureCollection (EPSG:4326). */
  Review.prototype.collection = function () {
    const features = [];
    this.marks.eachLayer((l) => {
      if (!l.gpProps) return;
      const f = l.toGeoJSON(7);
      f.properties = {};
      for (const k of MARK_FIELDS) f.properties[k] = l.gpProps[k] === undefined ? null : l.gpProps[k];
      features.push(f);
    });
    return { type: 'FeatureCollection', features: features };
  };

  Review.prototype.status = function (text) {
    const s = document.getElementById('gp-export-status');
    if (s) s.textContent = text;
  };

  Review.prototype.exportMarks = function () {
    const fc = this.collection();
    if (!fc.features.length) {
      this.status('没有标注 no marks to export');
      return;
    }
    const blob = new Blob([JSON.stringify(fc, null, 1)], { type: 'application/geo+json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'markup.geojson';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 2000);
    this.status(fc.features.length + ' 条标注已导出 marks exported');
  };

  const api = {
    isoNow: isoNow,
    init: function (id, data) {
      const app = new Review(document.getElementById(id), data);
      root.gisplanReview = app;
      root.gisplanMap = app.map;
      return app;
    },
  };
  root.GisplanReview = api;
})(typeof window !== 'undefined' ? window : globalThis);
