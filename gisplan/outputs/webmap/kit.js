/* gisplan page kit: the small Leaflet helpers shared by the review page (review.js), the
 * plan-diff page (diff.js) and the web map (app.js, app_popups.js, app_panels.js). Data come from a JSON <script> element of the page as GeoJSON
 * (EPSG:4326); every text that reaches HTML goes through esc().
 */
(function (root) {
  'use strict';

  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

  /** HTML-escape any value; null and undefined become ''. */
  function esc(v) {
    return v === null || v === undefined ? '' : String(v).replace(/[&<>"'`]/g, (c) => ESC[c]);
  }

  /** Fixed decimals with comma thousands; '–' when missing. Locale independent. */
  function fmt(x, dp) {
    if (x === null || x === undefined || typeof x !== 'number' || !isFinite(x)) return '–';
    const s = Math.abs(x).toFixed(dp || 0);
    const parts = s.split('.');
    const int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const neg = x < 0 && Number(s) !== 0;
    return (neg ? '-' : '') + int + (parts.length > 1 ? '.' + parts[1] : '');
  }

  /** A quantity: whole numbers without decimals, others with two. */
  function fmtQ(x) {
    if (typeof x === 'number' && isFinite(x) && Math.abs(x - Math.round(x)) < 1e-9) return fmt(x, 0);
    return fmt(x, 2);
  }

  /** A DOM element: el('td', {className: 'gp-num', title: t}, 'text', child, ...). Text
   * children become text nodes (never parsed as HTML); props set properties (className,
   * title, value, ...), 'style' and 'dataset' objects, or else attributes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const k in props || {}) {
      const v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k in node) node[k] = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  /** A two-column table of [label, value] pairs, both escaped. */
  function attrs(pairs) {
    let h = '<table class="gp-attrs">';
    for (const [k, v] of pairs) h += '<tr><th>' + esc(k) + '</th><td>' + esc(v) + '</td></tr>';
    return h + '</table>';
  }

  /** The JSON document of a <script type="application/json"> element. */
  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  /** A Leaflet map in element `el`, fitted to [[s, w], [n, e]], with a metric scale bar. */
  function makeMap(el, bounds) {
    const map = L.map(el, { preferCanvas: true, maxZoom: 21 });
    if (bounds) map.fitBounds(bounds, { maxZoom: 18, animate: false, padding: [10, 10] });
    else map.setView([0, 0], 2);
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
    return map;
  }

  /** A GeoJSON layer group.
   *
   * opts: style(props) -> path options; marker: true draws points as markers (else circle
   * markers with the style); popup(props) -> HTML; tooltip(props) -> text (escaped here);
   * index: {id: [layers]} filled with key(props).
   */
  function geoLayer(fc, opts) {
    return L.geoJSON(fc, {
      style: (f) => opts.style(f.properties),
      pointToLayer: (f, ll) => (opts.marker ? L.marker(ll) : L.circleMarker(ll, opts.style(f.properties))),
      onEachFeature: (f, layer) => {
        layer.gpProps = f.properties;
        if (opts.popup) layer.bindPopup(() => opts.popup(layer.gpProps), { maxWidth: 420, maxHeight: 360 });
        if (opts.tooltip) layer.bindTooltip(() => esc(opts.tooltip(layer.gpProps)), { sticky: true });
        if (opts.index && opts.key) {
          const k = String(opts.key(f.properties));
          (opts.index[k] = opts.index[k] || []).push(layer);
        }
      },
    });
  }

  /** A legend swatch: 'fill', 'line' (optionally dashed) or 'dot'. */
  function swatch(color, kind, dashed) {
    const style = kind === 'line' ? 'border-top:3px ' + (dashed ? 'dashed ' : 'solid ') + color
      : kind === 'dot' ? 'background:' + color + ';border-radius:50%;width:10px;height:10px'
        : 'background:' + color + (dashed ? ';border:2px dashed #666' : '');
    return '<i class="gp-sw" style="' + esc(style) + '"></i>';
  }

  /** A legend control: a title and [swatch HTML, escaped text] rows. */
  function legend(map, title, rows) {
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        const div = L.DomUtil.create('div', 'gp-legend leaflet-bar');
        let h = '<div class="gp-lg-title">' + esc(title) + '</div>';
        for (const [sw, text] of rows) h += '<div class="gp-lg-row">' + sw + '<span>' + esc(text) + '</span></div>';
        div.innerHTML = h;
        L.DomEvent.disableClickPropagation(div);
        return div;
      },
    });
    return new Legend().addTo(map);
  }

  /** Keep groups stacked in the given order (bottom to top) when one is switched back on: the
   * canvas draws in insertion order, and the topmost shape takes the click. */
  function keepOrder(map, ordered) {
    const restack = (from) => {
      for (let i = from; i < ordered.length; i++) if (map.hasLayer(ordered[i])) ordered[i].bringToFront();
    };
    map.on('overlayadd', (e) => {
      let first = ordered.length;
      ordered.forEach((g, i) => {
        if (g === e.layer || (e.layer.hasLayer && e.layer.hasLayer(g))) first = Math.min(first, i);
      });
      restack(first + 1);
    });
    restack(0);
  }

  /** Show `layer` (adding its group if hidden): scroll the map into view, fit, open its popup. */
  function focus(map, group, layer) {
    if (!map.hasLayer(group)) map.addLayer(group);
    map.getContainer().scrollIntoView({ block: 'center' });
    if (layer.getLatLng) {
      map.setView(layer.getLatLng(), Math.max(map.getZoom(), 18), { animate: false });
      layer.openPopup();
    } else {
      map.fitBounds(layer.getBounds(), { maxZoom: 19, animate: false, padding: [60, 60] });
      layer.openPopup(layer.getCenter ? layer.getCenter() : layer.getBounds().getCenter());
    }
  }

  /** Clicks on table rows with data-map="kind:id" call handler(kind, id, row). */
  function linkRows(handler) {
    document.addEventListener('click', (e) => {
      const tr = e.target.closest ? e.target.closest('tr[data-map]') : null;
      if (!tr) return;
      const ref = tr.getAttribute('data-map');
      const cut = ref.indexOf(':');
      for (const other of document.querySelectorAll('tr.gp-active')) other.classList.remove('gp-active');
      tr.classList.add('gp-active');
      handler(ref.slice(0, cut), ref.slice(cut + 1), tr);
    });
  }

  /** Set window.gisplanReady (and gisplanReadyMs, the time) once the first frames are drawn. */
  function ready() {
    root.gisplanReady = false;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      root.gisplanReady = true;
      root.gisplanReadyMs = performance.now();
    }));
  }

  const api = { esc, fmt, fmtQ, el, attrs, data, makeMap, geoLayer, swatch, legend, keepOrder, focus, linkRows, ready };
  root.GisplanKit = api;
  if (typeof module === 'object' && module.exports) module.exports = api;
})(typeof window !== 'undefined' ? window : globalThis);
