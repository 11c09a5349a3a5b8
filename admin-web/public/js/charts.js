// charts.js: hand-made SVG charts for the console (no chart library: see
// admin-web/README.md for why). Two charts share one base:
//   TimeChart   - a time series: stacked bars, stacked areas or lines;
//   WhatIfChart - cost (left axis) and quality/share (right axis) against
//                 the response_quality_difference threshold 0..100.
// Both keep their SVG nodes between renders and only move them, so a
// periodic refresh does not flicker; both show a tooltip on pointer hover
// and on keyboard focus (arrow keys, Home/End), mirrored into a polite live
// region for screen readers.

const SVGNS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#2563eb', '#c2410c', '#047857', '#7c3aed', '#be185d',
  '#0e7490', '#a16207', '#4b5563', '#b91c1c', '#4d7c0f'];
const modelColors = new Map();
const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
/** Spacing of x labels, in seconds: round times for every bucket size. */
const LABEL_STEPS = [5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR,
  12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];

/** A stable colour per model id, the same in every chart of the page. */
export function colorFor(key) {
  if (!modelColors.has(key)) modelColors.set(key, PALETTE[modelColors.size % PALETTE.length]);
  return modelColors.get(key);
}

function svg(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function html(tag, cls, parent) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (parent) parent.appendChild(node);
  return node;
}

/** Makes `parent` hold exactly n children made by make(); reuses existing ones. */
function reconcile(parent, n, make) {
  while (parent.childNodes.length > n) parent.lastChild.remove();
  while (parent.childNodes.length < n) parent.appendChild(make());
  return Array.from(parent.childNodes);
}

/** Round axis bounds and 3-6 ticks covering [lo, hi], steps >= minStep. */
export function niceTicks(lo, hi, count = 4, minStep = 0) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = Math.max((hi - lo) / count, minStep);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw && (!minStep || Number.isInteger(s)));
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Math.abs(v) < step / 1e6 ? 0 : v);
  return { min, max, ticks };
}

class BaseChart {
  /** `host` is an empty element; the chart owns everything inside it. */
  constructor(host, { label, height = 220 }) {
    this.host = host;
    this.height = height;
    this.index = -1;
    this.data = null;
    host.classList.add('chart');
    this.frame = html('div', 'chart-frame', host);
    this.frame.tabIndex = 0;
    this.frame.setAttribute('role', 'group');
    this.frame.setAttribute('aria-roledescription', 'chart');
    this.frame.setAttribute('aria-label', label + '. Use the left and right arrow keys to read values.');
    this.svg = svg('svg', { class: 'chart-svg', 'aria-hidden': 'true', focusable: 'false' }, this.frame);
    this.gGrid = svg('g', { class: 'grid' }, this.svg);
    this.gPlot = svg('g', { class: 'plot' }, this.svg);
    this.gMark = svg('g', { class: 'marks' }, this.svg);
    this.gAxisY = svg('g', { class: 'axis axis-y' }, this.svg);
    this.gAxisY2 = svg('g', { class: 'axis axis-y2' }, this.svg);
    this.gAxisX = svg('g', { class: 'axis axis-x' }, this.svg);
    this.cursor = svg('line', { class: 'cursor', visibility: 'hidden' }, this.svg);
    this.emptyText = svg('text', { class: 'empty-text', 'text-anchor': 'middle', visibility: 'hidden' }, this.svg);
    this.tip = html('div', 'chart-tip', this.frame);
    this.tip.hidden = true;
    this.live = html('div', 'visually-hidden', host);
    this.live.setAttribute('aria-live', 'polite');
    this.legend = html('ul', 'legend', host);
    this.bindEvents();
    this.observeSize();
  }

  bindEvents() {
    this.frame.addEventListener('pointermove', (e) => this.pointAt(e));
    this.frame.addEventListener('pointerleave', () => this.hideTip());
    this.frame.addEventListener('focus', () => this.showIndex(this.defaultIndex(), true));
    this.frame.addEventListener('blur', () => this.hideTip());
    this.frame.addEventListener('keydown', (e) => this.onKey(e));
  }

  observeSize() {
    if (typeof ResizeObserver !== 'function') return;
    let last = 0;
    new ResizeObserver(() => {
      const w = this.frame.clientWidth;
      if (w !== last && this.data) {
        last = w;
        this.draw();
      }
    }).observe(this.frame);
  }

  onKey(e) {
    const n = this.count();
    if (!n) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageDown: -10, PageUp: 10 };
    let i = this.index < 0 ? this.defaultIndex() : this.index;
    if (e.key in moves) i = Math.max(0, Math.min(n - 1, i + moves[e.key]));
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = n - 1;
    else if (e.key === 'Escape') return this.hideTip();
    else return;
    e.preventDefault();
    this.showIndex(i, true);
  }

  pointAt(e) {
    if (!this.count()) return;
    const box = this.svg.getBoundingClientRect();
    const i = this.indexAt(e.clientX - box.left);
    if (i >= 0) this.showIndex(i, false);
  }

  /** Geometry of the plot area for the current width. */
  layout(right = 16) {
    const width = Math.max(240, this.frame.clientWidth || 600);
    const g = { width, height: this.height, left: 58, right, top: 12, bottom: 28 };
    g.w = width - g.left - g.right;
    g.h = g.height - g.top - g.bottom;
    this.svg.setAttribute('width', width);
    this.svg.setAttribute('height', g.height);
    this.svg.setAttribute('viewBox', `0 0 ${width} ${g.height}`);
    this.g = g;
    return g;
  }

  drawYAxis(group, ticks, y, fmt, x, anchor) {
    const labels = reconcile(group, ticks.length, () => svg('text'));
    ticks.forEach((v, k) => {
      labels[k].setAttribute('x', x);
      labels[k].setAttribute('y', y(v) + 4);
      labels[k].setAttribute('text-anchor', anchor);
      labels[k].textContent = fmt(v);
    });
  }

  drawGrid(ticks, y) {
    const g = this.g;
    const lines = reconcile(this.gGrid, ticks.length, () => svg('line'));
    ticks.forEach((v, k) => {
      const yy = Math.round(y(v)) + 0.5;
      lines[k].setAttribute('x1', g.left);
      lines[k].setAttribute('x2', g.left + g.w);
      lines[k].setAttribute('y1', yy);
      lines[k].setAttribute('y2', yy);
      lines[k].setAttribute('class', v === 0 ? 'zero' : '');
    });
  }

  drawXLabels(items) {
    const labels = reconcile(this.gAxisX, items.length, () => svg('text', { 'text-anchor': 'middle' }));
    items.forEach(([x, text], k) => {
      labels[k].setAttribute('x', x);
      labels[k].setAttribute('y', this.g.top + this.g.h + 18);
      labels[k].textContent = text;
    });
  }

  setEmpty(message) {
    const g = this.g;
    this.emptyText.setAttribute('x', g.left + g.w / 2);
    this.emptyText.setAttribute('y', g.top + g.h / 2);
    this.emptyText.textContent = message || '';
    this.emptyText.setAttribute('visibility', message ? 'visible' : 'hidden');
  }

  drawLegend(items) {
    const lis = reconcile(this.legend, items.length, () => {
      const li = html('li');
      html('span', 'swatch', li);
      html('span', 'legend-label', li);
      return li;
    });
    items.forEach((it, k) => {
      lis[k].className = it.dashed ? 'dashed' : '';
      lis[k].firstChild.style.background = it.color;
      lis[k].firstChild.style.borderColor = it.color;
      lis[k].lastChild.textContent = it.label;
      lis[k].title = it.title || it.label;
    });
  }

  showIndex(i, fromKeyboard) {
    const n = this.count();
    if (!n || i < 0) return this.hideTip();
    this.index = i;
    const g = this.g;
    const x = this.xOf(i);
    this.cursor.setAttribute('x1', x);
    this.cursor.setAttribute('x2', x);
    this.cursor.setAttribute('y1', g.top);
    this.cursor.setAttribute('y2', g.top + g.h);
    this.cursor.setAttribute('visibility', 'visible');
    this.fillTip(this.tipRows(i));
    this.placeTip(x);
    if (fromKeyboard) this.live.textContent = this.tip.innerText.replace(/\s+/g, ' ');
  }

  fillTip({ title, rows }) {
    this.tip.replaceChildren();
    html('div', 'tip-title', this.tip).textContent = title;
    const table = html('table', '', this.tip);
    for (const r of rows) {
      const tr = html('tr', r.strong ? 'tip-strong' : '', table);
      const sw = html('td', '', tr);
      if (r.color) html('span', r.dashed ? 'swatch dashed' : 'swatch', sw).style.background = r.color;
      html('td', 'tip-label', tr).textContent = r.label;
      html('td', 'tip-value', tr).textContent = r.value;
    }
    this.tip.hidden = false;
  }

  placeTip(x) {
    const fw = this.frame.clientWidth;
    const tw = this.tip.offsetWidth;
    let left = x + 12;
    if (left + tw > fw - 4) left = Math.max(4, x - tw - 12);
    this.tip.style.left = left + 'px';
    this.tip.style.top = this.g.top + 'px';
  }

  hideTip() {
    this.index = -1;
    this.tip.hidden = true;
    this.cursor.setAttribute('visibility', 'hidden');
  }

  /** Re-renders with new data; keeps an open tooltip on the same index. */
  update(data) {
    this.data = data;
    this.draw();
    if (this.index >= 0 && this.index < this.count()) this.showIndex(this.index, false);
    else if (this.index >= 0) this.hideTip();
  }
}

/**
 * TimeChart.update({t, granularity, series, kind, yFormat, tipExtra, empty}):
 *   t       - bucket start times (Unix s), one per point;
 *   series  - [{key, label, color, values (numbers, drawn), raw (shown in the
 *             tooltip, may hold null = unpriced), dashed, fill}];
 *   kind    - 'bars' (stacked), 'areas' (stacked) or 'lines';
 *   tipExtra(i) - extra tooltip rows; empty - message when there is no data;
 *   integer - the values are counts: whole-number axis ticks.
 */
export class TimeChart extends BaseChart {
  constructor(host, opts) {
    super(host, opts);
    this.xFormat = opts.xFormat;
    this.timeFormat = opts.timeFormat;
  }

  count() {
    return this.data ? this.data.t.length : 0;
  }

  defaultIndex() {
    return this.count() - 1;
  }

  xOf(i) {
    return this.g.left + (i + 0.5) * (this.g.w / this.count());
  }

  indexAt(px) {
    const i = Math.floor(((px - this.g.left) / this.g.w) * this.count());
    return i >= 0 && i < this.count() ? i : -1;
  }

  stacks() {
    const d = this.data;
    const stacked = d.kind !== 'lines';
    const base = new Array(d.t.length).fill(0);
    return d.series.map((s) => {
      const lo = base.slice();
      const hi = s.values.map((v, i) => (stacked ? (base[i] += v || 0) : v || 0));
      return { s, lo: stacked ? lo : new Array(d.t.length).fill(0), hi };
    });
  }

  draw() {
    const d = this.data;
    const g = this.layout();
    const st = this.stacks();
    const all = st.flatMap((x) => x.hi);
    const lo = Math.min(0, ...all);
    const hi = Math.max(0, ...all);
    const ax = niceTicks(lo, hi > lo ? hi : lo + 1, 4, d.integer ? 1 : 0);
    const y = (v) => g.top + g.h - ((v - ax.min) / (ax.max - ax.min)) * g.h;
    this.svg.dataset.points = String(d.t.length);
    this.drawGrid(ax.ticks, y);
    this.drawYAxis(this.gAxisY, ax.ticks, y, d.yAxisFormat, g.left - 8, 'end');
    this.drawX();
    const groups = reconcile(this.gPlot, st.length, () => svg('g'));
    st.forEach((layer, k) => this.drawLayer(groups[k], layer, y, d.kind));
    this.drawLegend(d.series);
    this.setEmpty(d.empty || '');
  }

  /** Labels on round UTC times (whole hours, days...) at most ~78 px apart. */
  drawX() {
    const d = this.data;
    const n = this.count();
    const g = d.granularity;
    const maxLabels = Math.max(2, Math.floor(this.g.w / 78));
    const step = LABEL_STEPS.find((s) => s >= g && s % g === 0 && (n * g) / s <= maxLabels) || n * g;
    const items = [];
    d.t.forEach((t, i) => {
      if (t % step === 0) items.push([this.xOf(i), this.xFormat(t, step)]);
    });
    this.drawXLabels(items);
  }

  drawLayer(group, { s, lo, hi }, y, kind) {
    group.setAttribute('class', 'series series-' + kind);
    group.dataset.key = s.key;
    if (kind === 'bars') return this.drawBars(group, s, lo, hi, y);
    const path = reconcile(group, s.fill || kind === 'areas' ? 2 : 1, () => svg('path'));
    const top = hi.map((v, i) => [this.xOf(i), y(v)]);
    const line = 'M' + top.map((p) => p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('L');
    path[0].setAttribute('class', 'line' + (s.dashed ? ' dashed' : ''));
    path[0].setAttribute('stroke', s.color);
    path[0].setAttribute('d', line);
    if (path.length === 2) {
      const bottom = lo.map((v, i) => [this.xOf(i), y(v)]).reverse();
      const area = line + 'L' + bottom.map((p) => p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('L') + 'Z';
      path[1].setAttribute('class', 'area');
      path[1].setAttribute('fill', s.color);
      path[1].setAttribute('d', area);
    }
  }

  drawBars(group, s, lo, hi, y) {
    const bw = this.g.w / this.count();
    const w = Math.max(1, bw * (bw > 6 ? 0.78 : 0.9));
    const rects = reconcile(group, this.count(), () => svg('rect', { class: 'bar' }));
    rects.forEach((r, i) => {
      const top = y(Math.max(hi[i], lo[i]));
      const h = Math.abs(y(lo[i]) - y(hi[i]));
      r.setAttribute('x', (this.xOf(i) - w / 2).toFixed(2));
      r.setAttribute('width', w.toFixed(2));
      r.setAttribute('y', top.toFixed(2));
      r.setAttribute('height', h.toFixed(2));
      r.setAttribute('fill', s.color);
    });
  }

  tipRows(i) {
    const d = this.data;
    const rows = [];
    const ordered = d.kind === 'lines' ? d.series : d.series.slice().reverse();
    for (const s of ordered) {
      const raw = s.raw ? s.raw[i] : s.values[i];
      if (d.kind !== 'lines' && !raw && raw !== null) continue;
      rows.push({ color: s.color, dashed: s.dashed, label: s.label, value: d.tipFormat(raw) });
    }
    if (d.tipExtra) rows.push(...d.tipExtra(i));
    return { title: this.timeFormat(d.t[i]), rows };
  }
}

/**
 * WhatIfChart.update({points, current, left: [series], right: [series],
 * leftFormat, rightFormat, tipRows(i) -> {title, rows}, empty}): x is the
 * threshold 0..100 (index of points); left series in dollars, right series
 * in 0..1.
 */
export class WhatIfChart extends BaseChart {
  constructor(host, opts) {
    super(host, opts);
    this.marker = svg('line', { class: 'current-line' }, this.gMark);
    this.markerLabel = svg('text', { class: 'current-label' }, this.gMark);
    this.markerDot = svg('circle', { class: 'current-dot', r: 4.5 }, this.gMark);
  }

  count() {
    return this.data ? this.data.points.length : 0;
  }

  defaultIndex() {
    const c = this.data && this.data.current;
    return Number.isInteger(c) && c >= 0 && c < this.count() ? c : 0;
  }

  xOf(i) {
    return this.g.left + (i / Math.max(1, this.count() - 1)) * this.g.w;
  }

  indexAt(px) {
    const i = Math.round(((px - this.g.left) / this.g.w) * (this.count() - 1));
    return Math.max(0, Math.min(this.count() - 1, i));
  }

  draw() {
    const d = this.data;
    const g = this.layout(52);
    const vals = d.left.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
    const ax = niceTicks(Math.min(0, ...vals), Math.max(0, ...vals) || 1);
    const y = (v) => g.top + g.h - ((v - ax.min) / (ax.max - ax.min)) * g.h;
    const y2 = (v) => g.top + g.h - v * g.h;
    this.svg.dataset.points = String(this.count());
    this.drawGrid(ax.ticks, y);
    this.drawYAxis(this.gAxisY, ax.ticks, y, d.leftFormat, g.left - 8, 'end');
    this.drawYAxis(this.gAxisY2, [0, 0.25, 0.5, 0.75, 1], y2, d.rightFormat, g.left + g.w + 8, 'start');
    this.drawXLabels([0, 20, 40, 60, 80, 100].filter((t) => t < this.count()).map((t) => [this.xOf(t), String(t)]));
    const series = [...d.left.map((s) => [s, y]), ...d.right.map((s) => [s, y2])];
    const paths = reconcile(this.gPlot, series.length, () => svg('path'));
    series.forEach(([s, sy], k) => this.drawLine(paths[k], s, sy));
    this.drawMarker(y, d.left[0]);
    this.drawLegend([...d.left, ...d.right, { label: 'current threshold', color: '#111827', dashed: true }]);
    this.setEmpty(d.empty || '');
  }

  drawLine(path, s, y) {
    let d = '';
    let pen = 'M';
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) {
        pen = 'M';
        return;
      }
      d += pen + this.xOf(i).toFixed(1) + ',' + y(v).toFixed(1);
      pen = 'L';
    });
    path.setAttribute('d', d);
    path.setAttribute('stroke', s.color);
    path.setAttribute('class', 'line' + (s.dashed ? ' dashed' : '') + (s.thin ? ' thin' : ''));
    path.dataset.key = s.key;
  }

  drawMarker(y, main) {
    const c = this.data.current;
    const show = Number.isInteger(c) && c >= 0 && c < this.count();
    this.gMark.setAttribute('visibility', show ? 'visible' : 'hidden');
    if (!show) return;
    const g = this.g;
    const x = this.xOf(c);
    this.marker.setAttribute('x1', x);
    this.marker.setAttribute('x2', x);
    this.marker.setAttribute('y1', g.top);
    this.marker.setAttribute('y2', g.top + g.h);
    const anchorEnd = x > g.left + g.w * 0.7;
    this.markerLabel.setAttribute('x', x + (anchorEnd ? -6 : 6));
    this.markerLabel.setAttribute('y', g.top + 12);
    this.markerLabel.setAttribute('text-anchor', anchorEnd ? 'end' : 'start');
    this.markerLabel.textContent = 'current: ' + c;
    const v = main && main.values[c];
    this.markerDot.setAttribute('visibility', Number.isFinite(v) ? 'visible' : 'hidden');
    this.markerDot.setAttribute('cx', x);
    this.markerDot.setAttribute('cy', Number.isFinite(v) ? y(v) : 0);
  }

  tipRows(i) {
    return this.data.tipRows(i);
  }
}
