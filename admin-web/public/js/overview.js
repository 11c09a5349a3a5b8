// overview.js: renders the /admin/api/stats answer: KPI row, time series,
// routing distribution, per-class and per-tenant tables, footer.
import * as F from './format.js';
import { $, h, setText, setMoney } from './dom.js';
import { TimeChart, colorFor } from './charts.js';
import { SortTable } from './table.js';

const WINDOW_NAMES = { '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days' };
const GRANULARITY_NAMES = { 60: '1-minute', 900: '15-minute', 3600: 'hourly', 86400: 'daily (UTC)' };
const SAVINGS_COLOR = '#15803d';
const CF_COLOR = '#6b7280';
const ACTUAL_COLOR = '#1e3a8a';

let charts = null;
let tables = null;
const routerCards = new Map();

function kpi(name) {
  return document.querySelector(`[data-kpi="${name}"]`);
}

function setKpi(name, value, note) {
  const card = kpi(name);
  setText(card.querySelector(':scope > .kpi-value'), value);
  const n = card.querySelector(':scope > .kpi-note');
  if (n && note !== undefined) setText(n, note);
}

function renderKpis(s) {
  const t = s.totals;
  const lat = s.latency || {};
  const oh = lat.overhead_us || {};
  const up = lat.upstream_ms || {};
  setKpi('spend', F.fmtUSD(t.cost_usd), F.moneyNote(t.cost_usd === null ? 0 : t.unpriced_requests) || 'all requests priced');
  kpi('spend').classList.toggle('is-unpriced', t.cost_usd === null);
  setKpi('cf-spend', F.fmtUSD(t.cf_cost_usd), 'all on the strongest model');
  setKpi('savings', F.fmtUSD(t.savings_usd));
  kpi('savings').title = 'Over ' + F.fmtInt(t.savings_basis_requests) + ' requests priced on both the model used and the strongest model';
  setKpi('savings-pct', F.fmtPct(t.savings_pct));
  // answered, rejected before any model (4xx) and failed upstream (5xx)
  setKpi('requests', F.fmtInt(t.answered ?? t.requests));
  setText(kpi('requests').querySelector('[data-value="rejected"]'), F.fmtInt(t.rejected ?? 0));
  setText(kpi('requests').querySelector('[data-value="failed"]'), F.fmtInt(t.failed ?? t.errors_5xx ?? 0));
  setKpi('cheaper', F.fmtShare(t.routed_cheaper_share), F.fmtInt(t.routed_cheaper) + ' requests');
  setKpi('fallback', F.fmtShare(t.fallback_rate), F.fmtInt(t.fallbacks) + ' fallbacks');
  setText(kpi('overhead').querySelector('[data-value="p50"]'), F.fmtMicros(oh.p50));
  setText(kpi('overhead').querySelector('[data-value="p99"]'), F.fmtMicros(oh.p99));
  setKpi('upstream', F.fmtMillis(up.p50), 'p50 · p99 ' + F.fmtMillis(up.p99));
  kpi('savings').classList.toggle('is-negative', typeof t.savings_usd === 'number' && t.savings_usd < 0);
}

function makeCharts() {
  const common = { xFormat: null, timeFormat: F.fmtTime };
  return {
    requests: new TimeChart($('chart-requests'), { ...common, label: 'Requests per model, stacked' }),
    spend: new TimeChart($('chart-spend'), { ...common, label: 'Spend per model, stacked' }),
    savings: new TimeChart($('chart-savings'), { ...common, label: 'Savings over time' }),
  };
}

function perModel(points, model, field) {
  return points.map((p) => {
    const m = p.by_model && p.by_model[model];
    return m ? m[field] : 0;
  });
}

function renderSeries(s) {
  const ser = s.series;
  const pts = ser.points;
  const g = ser.granularity_s;
  const t = pts.map((p) => p.t);
  const empty = s.totals.requests === 0 ? 'No requests in the ' + WINDOW_NAMES[s.window.name] : '';
  for (const c of Object.values(charts)) c.xFormat = (x, step) => F.fmtBucket(x, step >= 86400 ? 86400 : g);
  const models = ser.models;
  charts.requests.update({
    t, empty, granularity: g, integer: true, kind: 'bars', yAxisFormat: F.fmtIntAxis, tipFormat: F.fmtInt,
    series: models.map((m) => ({ key: m, label: F.shortModel(m), title: m, color: colorFor(m),
      values: perModel(pts, m, 'requests') })),
    tipExtra: (i) => [{ label: 'All models', value: F.fmtInt(pts[i].requests), strong: true }],
  });
  charts.spend.update({
    t, empty, granularity: g, kind: 'areas', yAxisFormat: F.fmtUSDAxis, tipFormat: F.fmtUSD,
    series: models.map((m) => {
      const raw = perModel(pts, m, 'cost_usd');
      return { key: m, label: F.shortModel(m), title: m, color: colorFor(m), raw, values: raw.map((v) => v || 0) };
    }),
    tipExtra: (i) => [{ label: 'Spend', value: F.fmtUSD(pts[i].cost_usd) + noteSuffix(pts[i].unpriced_requests), strong: true }],
  });
  const pick = (f) => pts.map((p) => p[f]);
  charts.savings.update({
    t, empty, granularity: g, kind: 'lines', yAxisFormat: F.fmtUSDAxis, tipFormat: F.fmtUSD,
    series: [
      { key: 'savings', label: 'Savings', color: SAVINGS_COLOR, fill: true, raw: pick('savings_usd'), values: pick('savings_usd').map((v) => v || 0) },
      { key: 'cf', label: 'Counterfactual spend', color: CF_COLOR, dashed: true, raw: pick('cf_cost_usd'), values: pick('cf_cost_usd').map((v) => v || 0) },
      { key: 'actual', label: 'Actual spend', color: ACTUAL_COLOR, raw: pick('cost_usd'), values: pick('cost_usd').map((v) => v || 0) },
    ],
  });
  setText($('series-granularity'), (GRANULARITY_NAMES[g] || g + ' s') + ' buckets, UTC');
}

function noteSuffix(unpriced) {
  return unpriced > 0 ? ' (' + F.moneyNote(unpriced) + ')' : '';
}

/* ---- routing distribution ---- */

function routerCard(id) {
  if (routerCards.has(id)) return routerCards.get(id);
  const card = h('article', 'card router-card');
  card.dataset.router = id;
  const head = h('div', 'router-head', '', card);
  h('h3', 'router-name', F.fmtRouter(id), head);
  const summary = h('p', 'router-summary', '', head);
  const bar = h('div', 'sharebar', '', card);
  bar.setAttribute('role', 'img');
  const wrap = h('div', 'table-wrap', '', card);
  const table = h('table', 'data router-models', '', wrap);
  h('caption', 'visually-hidden', 'Models of router ' + F.fmtRouter(id), table);
  const st = new SortTable(table, modelColumns(id), { sortKey: 'requests', rowKey: (m) => m.model });
  const entry = { card, summary, bar, table: st };
  routerCards.set(id, entry);
  return entry;
}

function modelColumns(router) {
  return [
    { key: 'model', label: 'Model', cell: (m, td) => modelCell(td, m, router) },
    { key: 'requests', label: 'Requests', numeric: true, cell: (m, td) => setText(td, F.fmtInt(m.requests)) },
    { key: 'share', label: 'Share', numeric: true, cell: (m, td) => setText(td, F.fmtShare(m.share)) },
    { key: 'cost_usd', label: 'Spend', numeric: true, cell: (m, td) => setMoney(td, m.cost_usd, m.unpriced_requests) },
    { key: 'savings_usd', label: 'Savings', numeric: true, cell: (m, td) => setMoney(td, m.savings_usd) },
  ];
}

/* "strongest" marks the router's counterfactual model (its priciest priced
 * candidate, /admin/api/routers strong_model): never a passthrough model,
 * never "no answer". */
function modelCell(td, m, router) {
  let sw = td.querySelector('.swatch');
  if (!sw) {
    td.replaceChildren();
    sw = h('span', 'swatch', '', td);
    h('span', 'model-id', '', td);
    h('span', 'tag', '', td);
  }
  sw.style.background = colorFor(m.model);
  setText(td.querySelector('.model-id'), F.fmtModel(m.model));
  td.querySelector('.model-id').title = F.modelTitle(m.model) || 'no model answered (upstream error)';
  const strongest = router !== '' && m.model !== '' && m.model === F.strongModelOf(router);
  const tag = td.querySelector('.tag');
  setText(tag, strongest ? 'strongest' : '');
  tag.hidden = !strongest;
}

function renderShareBar(bar, r) {
  const segs = r.models.filter((m) => m.requests > 0);
  while (bar.children.length > segs.length) bar.lastChild.remove();
  while (bar.children.length < segs.length) h('span', 'seg', '', bar);
  segs.forEach((m, i) => {
    const seg = bar.children[i];
    seg.style.width = (m.share * 100).toFixed(3) + '%';
    seg.style.background = colorFor(m.model);
    seg.title = F.shortModel(m.model) + ': ' + F.fmtShare(m.share);
  });
  bar.setAttribute('aria-label', 'Share of requests: ' +
    (segs.map((m) => F.shortModel(m.model) + ' ' + F.fmtShare(m.share)).join(', ') || 'none'));
}

function renderRouters(s) {
  const host = $('routers');
  const seen = new Set();
  s.routers.forEach((r, i) => {
    const e = routerCard(r.router);
    seen.add(r.router);
    if (host.children[i] !== e.card) host.insertBefore(e.card, host.children[i] || null);
    setText(e.summary, F.fmtInt(r.requests) + ' requests · ' + F.fmtShare(r.routed_cheaper_share) +
      ' to cheaper models · saved ' + F.fmtUSD(r.savings_usd) + ' (' + F.fmtPct(r.savings_pct) + ')');
    renderShareBar(e.bar, r);
    e.table.update(r.models);
  });
  for (const [id, e] of routerCards) {
    if (!seen.has(id)) {
      e.card.remove();
      routerCards.delete(id);
    }
  }
  $('routers-empty').hidden = s.routers.length > 0;
}

/* ---- per-class and per-tenant tables ---- */

function moneyCols() {
  return [
    { key: 'cost_usd', label: 'Spend', numeric: true, cell: (r, td) => setMoney(td, r.cost_usd, r.unpriced_requests) },
    { key: 'cf_cost_usd', label: 'Counterfactual', numeric: true, cell: (r, td) => setMoney(td, r.cf_cost_usd, r.cf_unpriced_requests) },
    { key: 'savings_usd', label: 'Savings', numeric: true, cell: (r, td) => setMoney(td, r.savings_usd) },
    { key: 'savings_pct', label: 'Savings %', numeric: true, cell: (r, td) => setText(td, F.fmtPct(r.savings_pct)) },
  ];
}

function tokenCols() {
  return [
    { key: 'input_tokens', label: 'Input tokens', numeric: true, cell: (r, td) => setText(td, F.fmtInt(r.input_tokens)) },
    { key: 'output_tokens', label: 'Output tokens', numeric: true, cell: (r, td) => setText(td, F.fmtInt(r.output_tokens)) },
  ];
}

function makeTables() {
  const byClass = new SortTable($('table-class'), [
    { key: 'class', label: 'Class', cell: (r, td) => setText(td, F.fmtClass(r.class)) },
    { key: 'requests', label: 'Requests', numeric: true, cell: (r, td) => setText(td, F.fmtInt(r.requests)) },
    { key: 'routed_cheaper_share', label: 'To cheaper', numeric: true, cell: (r, td) => setText(td, F.fmtShare(r.routed_cheaper_share)) },
    ...moneyCols(), ...tokenCols(),
  ], { sortKey: 'requests', rowKey: (r) => r.class, empty: 'No requests in this window.' });
  const byTenant = new SortTable($('table-tenant'), [
    { key: 'tenant', label: 'Tenant', cell: (r, td) => setText(td, F.fmtTenant(r.tenant)) },
    { key: 'requests', label: 'Requests', numeric: true, cell: (r, td) => setText(td, F.fmtInt(r.requests)) },
    ...moneyCols(),
    { key: 'spend_today_usd', label: 'Spend today', numeric: true, cell: (r, td) => setMoney(td, r.spend_today_usd) },
    ...tokenCols(),
  ], { sortKey: 'requests', rowKey: (r) => r.tenant, empty: 'No requests in this window.' });
  return { byClass, byTenant };
}

function renderTables(s) {
  tables.byClass.update(s.by_class);
  tables.byTenant.update(s.by_tenant.tenants);
  const tf = s.by_tenant;
  setText($('tenant-span'), tf.from < s.window.from
    ? 'Tenants are counted per ' + (tf.granularity_s >= 86400 ? 'UTC day' : 'hour') + ', from ' + F.fmtTime(tf.from) + '.'
    : '');
}

function renderMeta(s) {
  setText($('window-name'), WINDOW_NAMES[s.window.name] || s.window.name);
  const v = s.versions || {};
  setText($('meta-versions'), 'tiergate ' + (v.tiergate || '?') + ' · predictor ' + (v.predictor || 'unknown') +
    ' · policy ' + (v.policy || 'unknown'));
  setText($('meta-since'), 'Stats since ' + F.fmtTime(s.stats_since) + ' · window ' + F.fmtTime(s.window.from) +
    ' – ' + F.fmtTime(s.window.to));
  const fresh = s.totals.requests === 0 && (!s.lifetime || s.lifetime.requests === 0);
  $('empty-state').hidden = !fresh;
  $('window-empty').hidden = fresh || s.totals.requests !== 0;
}

/** Renders one /admin/api/stats answer into the page. */
export function renderStats(s) {
  if (!charts) charts = makeCharts();
  if (!tables) tables = makeTables();
  renderMeta(s);
  renderKpis(s);
  renderSeries(s);
  renderRouters(s);
  renderTables(s);
}
