// Browser tests of the admin console (issue 6), headless Debian chromium
// driven by playwright-core. Run with tests/console/run.sh; see lib.mjs
// for how the target (a real stack, or the fixture server) is chosen.
// Nothing here depends on fixture data: every expectation is computed from
// the JSON the admin API returns at the time of the check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { target, launch, getJson, shot } from './lib.mjs';
import * as F from '../../admin-web/public/js/format.js';

let T;
let B;

before(async () => {
  T = await target();
  B = await launch();
  // model names as the page shows them: the routers document's
  const rd = await getJson(apiUrl('routers'), T.token);
  F.setModelNames(rd.model_names, rd.routers);
});

after(async () => {
  if (B) await B.close();
  if (T) await T.stop();
});

function statsUrl(window) {
  const u = new URL(T.statsUrl);
  u.searchParams.set('window', window);
  return u.href;
}

function apiUrl(path) {
  return new URL(path, new URL('.', T.statsUrl)).href;
}

async function openPage(opts = {}) {
  const page = await B.context.newPage();
  if (opts.viewport) await page.setViewportSize(opts.viewport);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  return page;
}

/** Opens the console and signs in through the form. */
async function signIn(page, query = '') {
  await page.goto(T.consoleUrl + query);
  await page.waitForSelector('#token', { state: 'visible' });
  await page.fill('#token', T.token);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
}

function renders(page) {
  return page.evaluate(() => Number(document.body.dataset.statsRenders || 0));
}

/** Clicks "Refresh" and waits until the page rendered a new stats answer. */
async function refreshed(page) {
  const n = await renders(page);
  await page.click('#refresh-now');
  await page.waitForFunction((k) => Number(document.body.dataset.statsRenders || 0) > k, n, { timeout: 15000 });
}

/* ---- what the page must show for a stats answer ---- */

function expectedKpis(s) {
  const t = s.totals;
  return {
    spend: F.fmtUSD(t.cost_usd),
    'cf-spend': F.fmtUSD(t.cf_cost_usd),
    savings: F.fmtUSD(t.savings_usd),
    'savings-pct': F.fmtPct(t.savings_pct),
    requests: F.fmtInt(t.answered),
    rejected: F.fmtInt(t.rejected),
    failed: F.fmtInt(t.failed),
    cheaper: F.fmtShare(t.routed_cheaper_share),
    fallback: F.fmtShare(t.fallback_rate),
    p50: F.fmtMicros(s.latency.overhead_us.p50),
    p99: F.fmtMicros(s.latency.overhead_us.p99),
  };
}

function expectedRouters(s) {
  return s.routers.map((r) => ({
    router: r.router,
    models: r.models.map((m) => [F.fmtModel(m.model), F.fmtInt(m.requests), F.fmtShare(m.share), F.fmtUSD(m.cost_usd)]),
  }));
}

function expectedRows(list, key, fmtKey) {
  return list.map((r) => [fmtKey(r[key]), F.fmtInt(r.requests), F.fmtUSD(r.cost_usd), F.fmtUSD(r.savings_usd)])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

async function pageNumbers(page) {
  return page.evaluate(() => {
    const kpis = {};
    for (const k of document.querySelectorAll('[data-kpi]')) {
      const v = k.querySelector(':scope > .kpi-value');
      if (k.dataset.kpi === 'overhead') {
        kpis.p50 = v.querySelector('[data-value="p50"]').textContent;
        kpis.p99 = v.querySelector('[data-value="p99"]').textContent;
      } else if (k.dataset.kpi !== 'upstream') {
        kpis[k.dataset.kpi] = v.textContent;
      }
      if (k.dataset.kpi === 'requests') {
        kpis.rejected = k.querySelector('[data-value="rejected"]').textContent;
        kpis.failed = k.querySelector('[data-value="failed"]').textContent;
      }
    }
    const cell = (tr, col) => {
      const td = tr.querySelector(`[data-col="${col}"]`);
      return (td.querySelector('.money') || td).textContent.trim();
    };
    const rows = (id, key) => Array.from(document.querySelectorAll(`#${id} tbody tr[data-key]`))
      .map((tr) => [cell(tr, key), cell(tr, 'requests'), cell(tr, 'cost_usd'), cell(tr, 'savings_usd')])
      .sort((a, b) => a[0].localeCompare(b[0]));
    const routers = Array.from(document.querySelectorAll('#routers .router-card')).map((c) => ({
      router: c.dataset.router,
      models: Array.from(c.querySelectorAll('tbody tr[data-key]')).map((tr) =>
        [tr.querySelector('.model-id').textContent, cell(tr, 'requests'), cell(tr, 'share'), cell(tr, 'cost_usd')]),
    }));
    return { kpis, routers, classes: rows('table-class', 'class'), tenants: rows('table-tenant', 'tenant') };
  });
}

function expectedNumbers(s) {
  return {
    kpis: expectedKpis(s),
    routers: expectedRouters(s),
    classes: expectedRows(s.by_class, 'class', F.fmtClass),
    tenants: expectedRows(s.by_tenant.tenants, 'tenant', F.fmtTenant),
  };
}

/**
 * Compares the page with a fresh stats answer. Traffic may still be flowing
 * on a live stack, so on a mismatch the page is refreshed and compared with
 * a new answer, a few times, before failing.
 */
async function assertPageMatchesStats(page, window) {
  let last;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt) await refreshed(page);
    const before = await getJson(statsUrl(window), T.token);
    const seen = await pageNumbers(page);
    const afterJ = await getJson(statsUrl(window), T.token);
    last = { seen, want: expectedNumbers(afterJ), stable: JSON.stringify(expectedNumbers(before)) === JSON.stringify(expectedNumbers(afterJ)) };
    if (JSON.stringify(last.seen) === JSON.stringify(last.want)) return afterJ;
  }
  assert.deepEqual(last.seen, last.want, 'page numbers differ from the stats JSON');
  return null;
}

/* ---- tests ---- */

test('the numbers on the page equal the stats JSON', { timeout: 120000 }, async () => {
  const page = await openPage();
  await signIn(page);
  const s = await assertPageMatchesStats(page, '24h');
  assert.ok(s.totals.requests > 0 || !T.fixture, 'the fixture has traffic');
  if (!T.fixture && s.totals.requests === 0) console.log('# warning: the stack has no traffic in the last 24h');
  assert.ok(s.totals.rejected > 0 || !T.fixture, 'the fixture has refused requests');
  assert.equal(s.totals.answered + s.totals.failed, s.totals.requests, 'answered + failed = requests a model was called for');
  assert.equal(s.routers.reduce((n, r) => n + r.requests, 0), s.totals.requests,
    'the routing cards hold the requests a model was called for, no refusal');
  // names from the price table, the full id on hover; "strongest" only on a
  // router's strong model, never on a passthrough model or "no answer"
  const rd = await getJson(apiUrl('routers'), T.token);
  const strong = Object.fromEntries(rd.routers.map((r) => [r.id, r.strong_model]));
  const cells = await page.$$eval('#routers .router-card tr[data-key]', (trs) => trs.map((tr) => ({
    router: tr.closest('.router-card').dataset.router, model: tr.dataset.key,
    name: tr.querySelector('.model-id').textContent, title: tr.querySelector('.model-id').title,
    tag: tr.querySelector('.tag').hidden ? '' : tr.querySelector('.tag').textContent })));
  for (const c of cells) {
    if (c.model) assert.ok(c.title.includes(c.model), `${c.model}: the full id is on hover (${c.title})`);
    if (c.model && rd.model_names[c.model]) assert.equal(c.name, rd.model_names[c.model], 'the price table\'s name');
    assert.equal(c.tag === 'strongest', c.router !== '' && c.model !== '' && c.model === strong[c.router],
      `${c.router}/${c.model}: "strongest" marks the router's strong model only`);
  }
  if (T.fixture) assert.ok(cells.some((c) => c.router === '' && c.tag === ''), 'a passthrough model is never strongest');
  const wanted = new Set(s.routers.map((r) => r.router));
  const shown = await page.$$eval('#routers .router-card', (cs) => cs.map((c) => c.dataset.router));
  assert.deepEqual(new Set(shown), wanted, 'one routing card per router in the stats');
  for (const r of s.routers) {
    for (const m of r.models.filter((x) => x.cost_usd === null)) {
      const txt = await page.$eval(`#routers .router-card[data-router="${r.router}"] tr[data-key="${m.model}"] [data-col="cost_usd"] .money`, (n) => n.textContent);
      assert.equal(txt, 'unpriced', `${m.model} has no price: shown as unpriced, not $0`);
    }
  }
  await page.click('[data-window="1h"]');
  await page.waitForSelector('body[data-stats-loaded="1h"]');
  await assertPageMatchesStats(page, '1h');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
  assert.equal(await page.isVisible('#login'), false, 'the token survives a reload (sessionStorage)');
  assert.equal(await page.evaluate(() => document.querySelector('[data-window="1h"]').getAttribute('aria-pressed')), 'true');
  assert.deepEqual(page.errors, [], 'no JavaScript errors');
  await page.close();
});

test('the window selector changes the requested window and the series', { timeout: 120000 }, async () => {
  const page = await openPage();
  await signIn(page);
  const seen = {};
  assert.equal(await page.getAttribute('[data-window="24h"]', 'aria-pressed'), 'true', '24h is the default');
  for (const w of ['1h', '7d', '30d', '24h']) {
    const req = page.waitForRequest((r) => r.url().includes('/stats?') && new URL(r.url()).searchParams.get('window') === w);
    await page.click(`[data-window="${w}"]`);
    await req;
    await page.waitForSelector(`body[data-stats-loaded="${w}"]`);
    const s = await getJson(statsUrl(w), T.token);
    const chart = await page.evaluate(() => {
      const svg = document.querySelector('#chart-requests svg');
      const bars = svg.querySelector('.plot g');
      return {
        points: Number(svg.dataset.points),
        bars: bars ? bars.querySelectorAll('rect').length : 0,
        savingsPoints: Number(document.querySelector('#chart-savings svg').dataset.points),
        labels: Array.from(svg.querySelectorAll('.axis-x text')).map((t) => t.textContent),
        pressed: document.querySelector(`[data-window]:not([aria-pressed="false"])`).dataset.window,
      };
    });
    assert.equal(chart.points, s.window.buckets, `${w}: one point per bucket`);
    assert.equal(chart.points, s.series.points.length);
    assert.equal(chart.savingsPoints, s.window.buckets);
    if (s.series.models.length) assert.equal(chart.bars, s.window.buckets, `${w}: one bar per bucket per model`);
    assert.equal(chart.pressed, w);
    assert.ok(chart.labels.length >= 2, `${w}: the x axis is labelled`);
    seen[w] = chart;
    await shot(page, 'window-' + w, { fullPage: false });
  }
  const counts = Object.values(seen).map((c) => c.points);
  assert.equal(new Set(counts).size, 4, 'each window has its own number of points: ' + counts);
  assert.notDeepEqual(seen['1h'].labels, seen['30d'].labels);
  await page.close();
});

test('a wrong token shows the error and is not kept', { timeout: 60000 }, async () => {
  const page = await openPage();
  await page.goto(T.consoleUrl);
  await page.waitForSelector('#token', { state: 'visible' });
  await page.fill('#token', 'wrong-' + T.token.split('').reverse().join(''));
  await page.click('#login-submit');
  await page.waitForSelector('#login-error', { state: 'visible' });
  const msg = await page.textContent('#login-error');
  assert.match(msg, /rejected/i);
  assert.match(msg, /401/);
  assert.equal(await page.isVisible('#dashboard'), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('tiergate.adminToken')), null);
  assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
  await shot(page, 'wrong-token');
  await page.close();
});

test('the what-if chart moves when the router changes', { timeout: 60000 }, async (t) => {
  const routers = (await getJson(apiUrl('routers'), T.token)).routers;
  const page = await openPage();
  await signIn(page);
  await page.waitForSelector('#chart-whatif svg[data-points="101"]');
  const read = () => page.evaluate(() => ({
    router: document.querySelector('#chart-whatif').dataset.router,
    cost: document.querySelector('#chart-whatif path[data-key="cost"]').getAttribute('d'),
    quality: document.querySelector('#chart-whatif path[data-key="quality"]').getAttribute('d'),
    marker: document.querySelector('#chart-whatif .current-label').textContent,
    markerX: document.querySelector('#chart-whatif .current-line').getAttribute('x1'),
    options: Array.from(document.querySelectorAll('#whatif-router option')).map((o) => o.value),
    threshold: document.querySelector('#whatif-threshold').textContent,
  }));
  const a = await read();
  assert.deepEqual(a.options, routers.map((r) => r.id), 'the selector lists the configured routers');
  const wa = await getJson(apiUrl('whatif?router=' + encodeURIComponent(a.router)), T.token);
  assert.equal(a.marker, 'current: ' + Math.round(wa.current_threshold), 'the current setting is marked');
  assert.equal(a.threshold, String(wa.current_threshold));
  if (routers.length < 2) {
    t.skip('only one router is configured: cannot change it');
    return page.close();
  }
  const other = routers.find((r) => r.id !== a.router).id;
  const resp = page.waitForResponse((r) => r.url().includes('/whatif?') && r.url().includes(encodeURIComponent(other)));
  await page.selectOption('#whatif-router', other);
  await resp;
  await page.waitForSelector(`#chart-whatif[data-router="${other}"]`);
  const b = await read();
  const wb = await getJson(apiUrl('whatif?router=' + encodeURIComponent(other)), T.token);
  assert.equal(b.marker, 'current: ' + Math.round(wb.current_threshold));
  const plotted = (w) => JSON.stringify(w.points.map((p) => [p.cost_usd, p.cf_cost_usd, p.mean_quality, p.strong_share]));
  if (plotted(wa) !== plotted(wb)) assert.ok(a.cost !== b.cost || a.quality !== b.quality, 'the chart paths changed with the router');
  else console.log('# the two routers have the same what-if curves (no traffic?): only the marker is checked');
  if (wa.current_threshold !== wb.current_threshold) assert.notEqual(a.markerX, b.markerX, 'the marker moved');
  await page.focus('#chart-whatif .chart-frame');
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#chart-whatif .chart-tip'), /response_quality_difference = \d+/);
  await shot(page, 'whatif-' + other);
  await page.close();
});

test('the what-if replays the router\'s policy; "threshold only" is the labelled alternative', { timeout: 60000 }, async () => {
  const routers = (await getJson(apiUrl('routers'), T.token)).routers;
  const page = await openPage();
  await signIn(page);
  await page.waitForSelector('#chart-whatif svg[data-points="101"]');
  const router = await page.evaluate(() => document.querySelector('#chart-whatif').dataset.router);
  const w = await getJson(apiUrl('whatif?router=' + encodeURIComponent(router)), T.token);
  assert.ok(routers.length > 0 && Array.isArray(w.policy_points) && w.policy_points.length === 101,
    'the API replays the router\'s own policy');
  const summary = (p) => F.fmtUSD(p.cost_usd) + ' · saves ' + F.fmtPct(p.savings_pct) + ' · quality ' + F.fmtQuality(p.mean_quality);
  const cur = (pts) => pts.find((p) => p.current);
  assert.equal(await page.getAttribute('#chart-whatif', 'data-mode'), 'policy', 'the policy replay is the default');
  assert.equal(await page.textContent('#whatif-current'), summary(cur(w.policy_points)), 'projected by the policy');
  assert.equal(await page.isVisible('#whatif-mode-note'), false);
  await page.selectOption('#whatif-mode', 'threshold');
  await page.waitForSelector('#chart-whatif[data-mode="threshold"]');
  assert.equal(await page.textContent('#whatif-current'), summary(cur(w.points)), 'projected by the threshold rule');
  assert.match(await page.textContent('#whatif-mode-note'), /Threshold only/, 'the alternative says what it ignores');
  assert.match(await page.textContent('#whatif-mode option[value="threshold"]'), /ignores the policy/);
  await page.selectOption('#whatif-mode', 'policy');
  await page.waitForSelector('#chart-whatif[data-mode="policy"]');
  // a router whose policy has its own rules: the two replays differ
  const differs = [];
  for (const r of routers) {
    const x = await getJson(apiUrl('whatif?router=' + encodeURIComponent(r.id)), T.token);
    if (JSON.stringify(x.points) !== JSON.stringify((x.policy_points || []).map(({ refused, ...p }) => p))) differs.push(r.id);
  }
  if (T.fixture) assert.ok(differs.includes('code-router'), 'code-router\'s pinned class changes the replay');
  assert.deepEqual(page.errors, [], 'no JavaScript errors');
  await page.close();
});

/** A zero-traffic answer of the same shape as a real stats answer. */
function zeroStats(s) {
  const zt = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'number' ? 0 : v]));
  const totals = { ...zt(s.totals), savings_pct: null };
  const lat = { count: 0, p50: null, p90: null, p99: null };
  return { ...s, totals, lifetime: { ...totals }, routers: [], by_class: [],
    by_tenant: { ...s.by_tenant, tenants: [] }, latency: { upstream_ms: lat, overhead_us: lat },
    series: { ...s.series, models: [], points: s.series.points.map((p) => ({ t: p.t, requests: 0, cost_usd: 0,
      unpriced_requests: 0, cf_cost_usd: 0, savings_usd: 0, fallbacks: 0, by_model: {} })) } };
}

test('a fresh install (zero requests) shows the empty state', { timeout: 60000 }, async () => {
  const page = await openPage();
  await page.route('**/api/stats?*', async (route) => {
    const res = await route.fetch();
    route.fulfill({ response: res, json: zeroStats(await res.json()) });
  });
  await page.route('**/api/decisions?*', (route) => route.fulfill({
    json: { schema_version: 1, generated_at: 0, limit: 50, next_before: null, decisions: [] } }));
  await signIn(page);
  assert.equal(await page.isVisible('#empty-state'), true);
  assert.equal(await page.textContent('[data-kpi="spend"] .kpi-value'), '$0.00');
  assert.equal(await page.textContent('[data-kpi="requests"] .kpi-value'), '0');
  assert.equal(await page.textContent('[data-kpi="savings-pct"] .kpi-value'), F.NONE);
  assert.equal(await page.textContent('[data-kpi="overhead"] [data-value="p50"]'), F.NONE);
  assert.match(await page.textContent('#chart-requests .empty-text'), /No requests/);
  assert.match(await page.textContent('#table-class tbody'), /No requests in this window/);
  assert.match(await page.textContent('#table-decisions tbody'), /No decisions logged yet/);
  assert.equal(await page.isVisible('#routers-empty'), true);
  await shot(page, 'empty-state', { fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the API being down or failing shows a clear message, then recovers', { timeout: 60000 }, async () => {
  const page = await openPage();
  await signIn(page);
  await page.route('**/api/**', (route) => route.abort('connectionrefused'));
  await page.click('#refresh-now');
  await page.waitForSelector('#banner', { state: 'visible' });
  assert.match(await page.textContent('#banner-text'), /Cannot reach the tiergate admin API/);
  await shot(page, 'api-down');
  await page.unroute('**/api/**');
  await page.route('**/api/stats?*', (route) => route.fulfill({ status: 503,
    headers: { 'x-amzn-ErrorType': 'ServiceUnavailableException' }, json: { message: 'stats file not configured' } }));
  await page.click('#banner-retry');
  await page.waitForFunction(() => /503/.test(document.querySelector('#banner-text').textContent));
  assert.match(await page.textContent('#banner-text'), /HTTP 503: stats file not configured/);
  await page.unroute('**/api/stats?*');
  await page.click('#banner-retry');
  await page.waitForSelector('#banner', { state: 'hidden' });
  await page.route('**/api/stats?*', (route) => route.fulfill({ status: 401,
    headers: { 'x-amzn-ErrorType': 'UnauthorizedException' }, json: { message: 'invalid admin token' } }));
  await page.click('#refresh-now');
  await page.waitForSelector('#login-error', { state: 'visible' });
  assert.match(await page.textContent('#login-error'), /rejected.*401/);
  await page.close();
});

test('periodic refresh updates the page in place', { timeout: 60000 }, async () => {
  const page = await openPage();
  await signIn(page, '?refresh=1');
  await page.evaluate(() => {
    window.__nodes = ['[data-kpi="spend"] .kpi-value', '#chart-requests svg', '#table-class tbody tr']
      .map((q) => document.querySelector(q));
  });
  const n = await renders(page);
  await page.waitForFunction((k) => Number(document.body.dataset.statsRenders) >= k + 2, n, { timeout: 15000 });
  const kept = await page.evaluate(() => window.__nodes.map((x) => x.isConnected));
  assert.deepEqual(kept, [true, true, true], 'KPI, chart and table rows are reused, not rebuilt');
  await page.close();
});

test('tables sort with buttons and aria-sort; charts answer the keyboard', { timeout: 60000 }, async () => {
  const page = await openPage();
  await signIn(page);
  const th = '#table-class th:has(button[data-key="requests"])';
  assert.equal(await page.getAttribute(th, 'aria-sort'), 'descending');
  await page.focus('#table-class button[data-key="requests"]');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute(th, 'aria-sort'), 'ascending');
  const nums = await page.$$eval('#table-class tbody tr[data-key] [data-col="requests"]',
    (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, ''))));
  assert.deepEqual(nums, nums.slice().sort((x, y) => x - y));
  await page.focus('#chart-requests .chart-frame');
  await page.keyboard.press('Home');
  const tip = await page.textContent('#chart-requests .chart-tip');
  assert.match(tip, /UTC/);
  assert.match(await page.textContent('#chart-requests [aria-live]'), /All models/);
  await page.close();
});

async function noHorizontalScroll(page) {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
}

/** Router cards whose table is wider than the card (a column cut off or
 * behind a scrollbar), with the visible right edge of their Savings cells. */
async function cutRouterCards(page) {
  return page.$$eval('#routers .router-card', (cards) => cards.map((c) => {
    const wrap = c.querySelector('.table-wrap');
    const sav = c.querySelector('th[data-col="savings_usd"], th:last-child');
    return { router: c.dataset.router, scroll: wrap.scrollWidth, client: wrap.clientWidth,
      savingsRight: sav ? Math.round(sav.getBoundingClientRect().right) : null,
      cardRight: Math.round(c.getBoundingClientRect().right) };
  }).filter((x) => x.scroll > x.client + 1 || (x.savingsRight !== null && x.savingsRight > x.cardRight)));
}

test('1400 px, 1366 px and phone widths: no horizontal scroll, no router card cut off', { timeout: 120000 }, async () => {
  const viewports = [['wide', { width: 1400, height: 900 }], ['laptop', { width: 1366, height: 900 }],
    ['phone', { width: 390, height: 844 }]];
  for (const [name, viewport] of viewports) {
    const page = await openPage({ viewport });
    await signIn(page);
    await page.waitForSelector('#chart-whatif svg[data-points="101"]');
    const w = await noHorizontalScroll(page);
    assert.ok(w.scroll <= w.client, `${name}: scrollWidth ${w.scroll} > ${w.client}`);
    const cards = await page.$$eval('#routers .router-card', (cs) => cs.length);
    if (T.fixture) assert.ok(cards >= 3, `${name}: the fixture shows several routers (${cards})`);
    assert.deepEqual(await cutRouterCards(page), [], `${name}: a router card cuts off its columns`);
    await shot(page, 'console-' + name, { fullPage: true });
    if (name === 'laptop' && process.env.CONSOLE_SCREENSHOT) await readmeShot(page, process.env.CONSOLE_SCREENSHOT);
    await page.close();
  }
});

/** The README's screenshot: the top of the page (KPIs, charts, routing cards that fit) at 1366 px. */
async function readmeShot(page, path) {
  await page.click('[data-window="1h"]');
  await page.waitForSelector('body[data-stats-loaded="1h"]');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const bottoms = await page.$$eval('#routers .router-card, #chart-savings', (els) =>
    els.map((e) => e.getBoundingClientRect().bottom + window.scrollY));
  const fit = bottoms.filter((b) => b <= 1500);
  const height = Math.round(Math.max(...fit) + 12);
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: 1366, height } });
}

test('recent decisions show the log, newest first, and page with "Load older"', { timeout: 60000 }, async (t) => {
  const page = await openPage();
  await signIn(page);
  const rows = () => page.$$eval('#table-decisions tbody tr[data-key]', (trs) => trs.map((tr) => ({
    key: tr.dataset.key,
    time: tr.querySelector('[data-col="ts"]').textContent,
    router: tr.querySelector('[data-col="router"] .line1').textContent,
    cost: tr.querySelector('[data-col="cost"] .money').textContent,
    confidence: tr.querySelector('[data-col="confidence"] .conf-value').textContent,
    below: tr.querySelector('[data-col="confidence"] .tag')?.textContent ?? null,
  })));
  const first = await rows();
  const api = await getJson(apiUrl('decisions?limit=50'), T.token);
  if (!api.decisions.length) {
    assert.match(await page.textContent('#table-decisions tbody'), /No decisions logged yet/);
    t.skip('no decisions logged');
    return page.close();
  }
  const byKey = new Map(api.decisions.map((d) => [d.request_id + '@' + d.ts, d]));
  const shown = first.filter((r) => byKey.has(r.key));
  assert.ok(shown.length > 0, 'rows match the decisions API');
  for (const r of shown) {
    const d = byKey.get(r.key);
    assert.deepEqual([r.time, r.router, r.cost], [F.fmtShortTime(d.ts), F.fmtRouter(d.router), F.fmtUSD(d.cost)]);
    const low = typeof d.confidence === 'number' && typeof d.min_confidence === 'number' && d.confidence < d.min_confidence;
    assert.deepEqual([r.confidence, r.below], [F.fmtQuality(d.confidence), low ? 'below ' + F.fmtQuality(d.min_confidence) : null],
      'confidence column of ' + r.key);
  }
  const ts = first.map((r) => byKey.get(r.key)).filter(Boolean).map((d) => d.ts);
  assert.deepEqual(ts, ts.slice().sort((a, b) => b - a), 'newest first');
  if (api.next_before === null) return page.close();
  assert.equal(await page.isVisible('#decisions-more'), true);
  await page.click('#decisions-more');
  await page.waitForFunction((n) => document.querySelectorAll('#table-decisions tbody tr[data-key]').length > n, first.length);
  await page.close();
});
