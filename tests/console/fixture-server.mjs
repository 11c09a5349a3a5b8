#!/usr/bin/env node
// Fixture server for the admin console: serves admin-web/public/ at /admin/
// and a FAKE read-only admin API at /admin/api/* implementing
// docs/admin-api.md (schema version 1) over deterministic synthetic
// decisions. For developing the console and a first browser-test run; the
// real check is the same tests against lighttpd + tiergate.
//
//   node tests/console/fixture-server.mjs [--port N] [--port-file FILE]
//        [--token TOKEN] [--empty] [--now UNIX_SECONDS]
//
// Listens on 127.0.0.1 only and prints "fixture listening on URL".
import http from 'node:http';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const WEB_ROOT = normalize(join(here, '..', '..', 'admin-web', 'public'));
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

/* ---- deterministic synthetic traffic ---- */

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRICES = {
  'anthropic.claude-3-haiku-20240307-v1:0': { input: 0.25, output: 1.25 },
  'anthropic.claude-3-5-sonnet-20240620-v1:0': { input: 3, output: 15 },
  'meta.llama3-8b-instruct-v1:0': { input: 0.3, output: 0.6 },
  'meta.llama3-70b-instruct-v1:0': { input: 2.65, output: 3.5 },
  'mistral.mystery-v9': null,
  'amazon.titan-text-express-v1': { input: 0.2, output: 0.6 },
  'amazon.nova-micro-v1:0': { input: 0.035, output: 0.14 },
  'amazon.nova-lite-v1:0': { input: 0.06, output: 0.24 },
  'us.amazon.nova-premier-v1:0': { input: 2.5, output: 12.5 },
};

/* Display names, as packaging/prices.json gives them ("mistral.mystery-v9"
 * has none: the console shows its id). */
const NAMES = {
  'anthropic.claude-3-haiku-20240307-v1:0': 'Claude 3 Haiku',
  'anthropic.claude-3-5-sonnet-20240620-v1:0': 'Claude 3.5 Sonnet',
  'meta.llama3-8b-instruct-v1:0': 'Llama 3 8B Instruct',
  'meta.llama3-70b-instruct-v1:0': 'Llama 3 70B Instruct',
  'amazon.titan-text-express-v1': 'Titan Text G1 Express',
  'amazon.nova-micro-v1:0': 'Nova Micro',
  'amazon.nova-lite-v1:0': 'Nova Lite',
  'us.amazon.nova-premier-v1:0': 'Nova Premier',
};

const ROUTERS = [
  { id: 'support-router', name: 'Support router', description: 'Haiku unless Sonnet is clearly better',
    threshold: 20, fallback_model: 'anthropic.claude-3-haiku-20240307-v1:0', policy: 'default.lua',
    models: ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0'] },
  { id: 'code-router', name: 'Code router', description: 'Llama 3 8B/70B, experimental class on an unpriced model',
    threshold: 35, fallback_model: 'meta.llama3-70b-instruct-v1:0', policy: 'tenants.lua',
    models: ['meta.llama3-8b-instruct-v1:0', 'meta.llama3-70b-instruct-v1:0', 'mistral.mystery-v9'] },
  { id: 'nova-tiers-router-with-a-long-name', name: 'Nova tiers', description: 'Nova Micro, Lite and Premier (a cross-region profile)',
    threshold: 10, fallback_model: 'amazon.nova-lite-v1:0', policy: 'default.lua',
    models: ['amazon.nova-micro-v1:0', 'amazon.nova-lite-v1:0', 'us.amazon.nova-premier-v1:0'] },
];

function perM(p) {
  return p ? p.input + p.output : Infinity;
}

function strongOf(models) {
  const priced = models.filter((m) => PRICES[m]);
  return priced.sort((a, b) => perM(PRICES[b]) - perM(PRICES[a]))[0] || null;
}

function priceTokens(model, inp, out) {
  const p = PRICES[model];
  return p ? (inp * p.input + out * p.output) / 1e6 : null;
}

/** The default policy's rule, as the real whatif replays it. */
function ruleChoice(cands, threshold, strong) {
  const withQ = cands.filter((c) => typeof c.quality === 'number');
  if (!withQ.length) return strong;
  const best = Math.max(...withQ.map((c) => c.quality));
  const ok = withQ.filter((c) => c.priced && c.quality >= best * (1 - threshold / 100));
  if (!ok.length) return strong;
  return ok.sort((a, b) => a.price_in + a.price_out - (b.price_in + b.price_out))[0].model;
}

function makeDecision(r, ts, i) {
  const pick = r();
  const router = r() < 0.08 ? null : ROUTERS[pick < 0.55 ? 0 : pick < 0.8 ? 1 : 2];
  const tenant = ['acme', 'acme', 'globex', 'initech', ''][Math.floor(r() * 5)];
  const klass = router && router.id === 'code-router'
    ? (r() < 0.15 ? 'experimental' : 'code')
    : ['legal', 'support', 'support', ''][Math.floor(r() * 4)];
  const inp = 80 + Math.floor(r() * 900);
  const out = 60 + Math.floor(r() * 700);
  const base = { v: 1, ts: Math.round(ts * 1000) / 1000, request_id: (i.toString(16).padStart(8, '0') + 'c0ffee00d15ea5e0000000000000000').slice(0, 32),
    api: r() < 0.3 ? 'converse-stream' : 'converse', tenant, class: klass,
    input_tokens: inp, output_tokens: out, cache_read_tokens: 0, cache_write_tokens: 0,
    upstream_ms: Math.round((300 + r() * r() * 3000) * 10) / 10, overhead_us: Math.round(25 + r() * r() * 160),
    attempts: 1, fallback: null, upstream_error: null, status: 200 };
  base.time = new Date(base.ts * 1000).toISOString();
  if (r() < 0.03) return refused(base, router);
  if (!router) return passthrough(base);
  const strong = strongOf(router.models);
  const candidates = router.models.map((m) => {
    const p = PRICES[m];
    const q = m === strong ? 0.7 + r() * 0.25 : 0.45 + r() * 0.45;
    return { model: m, quality: r() < 0.03 ? null : Math.round(q * 1000) / 1000, priced: !!p,
      price_in: p ? p.input : null, price_out: p ? p.output : null,
      est_cost: p ? priceTokens(m, inp, 400) : null };
  });
  let chosen = ruleChoice(candidates, router.threshold, strong);
  let reason = chosen === strong ? 'strongest model: no cheaper candidate within ' + router.threshold + '%'
    : 'cheaper model within ' + router.threshold + '% of the best predicted quality';
  if (candidates.every((c) => c.quality === null)) {
    base.fallback = 'no_prediction';
    chosen = router.fallback_model;
    reason = 'fallback: no prediction';
  }
  if (router.id === 'support-router') {		/* no r(): the other rows stay as they were */
    base.min_confidence = 0.3;
    base.confidence = i % 23 === 0 ? 0.12 : 0.5 + ((i * 37) % 50) / 100;
    if (base.confidence < base.min_confidence && !base.fallback) {
      base.fallback = 'low_confidence';
      chosen = router.fallback_model;
      reason = 'fallback: low confidence 0.12 < 0.30';
    }
  }
  if (klass === 'experimental') {
    chosen = 'mistral.mystery-v9';
    reason = 'class experimental is pinned to mistral.mystery-v9';
  }
  let model = chosen;
  if (r() < 0.02) {
    base.fallback = 'upstream';
    base.upstream_error = 'throttled';
    base.attempts = 3;
    model = router.fallback_model;
    reason = 'fallback after upstream throttling';
  }
  if (r() < 0.004) {
    base.status = 503;
    base.upstream_error = 'unavailable';
    model = null;
  }
  return finish({ ...base, router: router.id, threshold: router.threshold, candidates, chosen, model, reason, cf_model: strong });
}

/** A request refused before any model was called (as the gateway logs it). */
function refused(base, router) {
  return { ...base, router: router ? router.id : '', threshold: null, candidates: [], chosen: null,
    model: null, reason: '', input_tokens: 0, output_tokens: 0, upstream_ms: 0, attempts: 0,
    cost: null, cf_model: null, cf_cost: null, status: 400, rejected: 'validation' };
}

function passthrough(base) {
  const m = 'amazon.titan-text-express-v1';
  return finish({ ...base, router: '', threshold: null, candidates: [], chosen: m, model: m,
    reason: 'passthrough model id', cf_model: m });
}

function finish(d) {
  const ok = d.model !== null;
  d.cost = ok ? priceTokens(d.model, d.input_tokens, d.output_tokens) : 0;
  d.cf_cost = d.cf_model ? priceTokens(d.cf_model, d.input_tokens, d.output_tokens) : null;
  if (!ok) {
    d.input_tokens = 0;
    d.output_tokens = 0;
    d.cf_cost = 0;
  }
  return d;
}

/** Decisions over the 30 days before `now`, busier lately and in daytime. */
function generate(now) {
  const r = rng(20261122);
  const out = [];
  let t = now - 30 * 86400;
  let i = 0;
  while (t < now - 1) {
    const age = now - t;
    const hour = new Date(t * 1000).getUTCHours();
    const daily = 0.55 + 0.45 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const rate = (age < 3600 ? 0.05 : age < 86400 ? 0.012 : 0.002) * (0.6 + daily); // per second
    t += (-Math.log(1 - r()) / rate);
    if (t >= now) break;
    out.push(makeDecision(r, t, i++));
  }
  return out;
}

/* ---- aggregation (the admin API's arithmetic) ---- */

const round9 = (v) => (v === null ? null : Math.round(v * 1e9) / 1e9);

function emptyAgg() {
  return { requests: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0,
    cost: 0, unpriced: 0, cf: 0, cfUnpriced: 0, saveCost: 0, saveCf: 0, basis: 0,
    cheaper: 0, fallbacks: 0, upErr: 0, e5xx: 0, failed: 0 };
}

function add(a, d) {
  a.requests++;
  a.input_tokens += d.input_tokens;
  a.output_tokens += d.output_tokens;
  if (d.cost === null) a.unpriced++; else a.cost += d.cost;
  if (d.cf_cost === null) a.cfUnpriced++; else a.cf += d.cf_cost;
  if (d.cost !== null && d.cf_cost !== null) {
    a.saveCost += d.cost;
    a.saveCf += d.cf_cost;
    a.basis++;
  }
  if (d.model && d.model !== d.cf_model) a.cheaper++;
  if (d.fallback) a.fallbacks++;
  if (d.upstream_error) a.upErr++;
  if (d.status >= 500) a.e5xx++;
  if (d.status >= 300) a.failed++;
}

/** The "rejected" object of the stats document. */
function rejectedOf(list) {
  const count = (key) => {
    const m = {};
    for (const d of list) m[key(d)] = (m[key(d)] || 0) + 1;
    return m;
  };
  const asList = (m, label) => Object.entries(m).sort((x, y) => y[1] - x[1])
    .map(([k, n]) => ({ [label]: k, requests: n }));
  return { requests: list.length, by_status: count((d) => String(d.status)),
    by_reason: count((d) => d.rejected), by_router: asList(count((d) => d.router), 'router'),
    by_tenant: asList(count((d) => d.tenant), 'tenant'), rows: [] };
}

function money(a) {
  return {
    cost_usd: a.requests > 0 && a.unpriced === a.requests ? null : round9(a.cost),
    unpriced_requests: a.unpriced,
    cf_cost_usd: a.requests > 0 && a.cfUnpriced === a.requests ? null : round9(a.cf),
    cf_unpriced_requests: a.cfUnpriced,
    savings_usd: round9(a.saveCf - a.saveCost),
    savings_pct: a.saveCf > 0 ? Math.round((10000 * (a.saveCf - a.saveCost)) / a.saveCf) / 100 : null,
    savings_basis_requests: a.basis,
  };
}

function totalsOf(a, rejected = 0) {
  return { requests: a.requests, answered: a.requests - a.failed, failed: a.failed, rejected,
    input_tokens: a.input_tokens, output_tokens: a.output_tokens,
    cache_read_tokens: 0, cache_write_tokens: 0, ...money(a),
    routed_cheaper: a.cheaper, routed_cheaper_share: a.requests ? Math.round((a.cheaper / a.requests) * 1e4) / 1e4 : 0,
    fallbacks: a.fallbacks, fallback_rate: a.requests ? Math.round((a.fallbacks / a.requests) * 1e4) / 1e4 : 0,
    upstream_errors: a.upErr, errors_5xx: a.e5xx };
}

function aggBy(list, key) {
  const m = new Map();
  for (const d of list) {
    const k = key(d);
    if (!m.has(k)) m.set(k, emptyAgg());
    add(m.get(k), d);
  }
  return [...m.entries()].sort((x, y) => y[1].requests - x[1].requests || String(x[0]).localeCompare(String(y[0])));
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)];
}

function latency(list, field) {
  const v = list.map((d) => d[field]).sort((a, b) => a - b);
  return { count: v.length, p50: pct(v, 50), p90: pct(v, 90), p99: pct(v, 99) };
}

const WINDOWS = { '1h': [60, 60, 3600], '24h': [900, 96, 3600], '7d': [3600, 168, 3600], '30d': [86400, 30, 86400] };

function routersOf(list) {
  return aggBy(list, (d) => d.router).map(([id, a]) => {
    const mine = list.filter((d) => d.router === id);
    const models = aggBy(mine, (d) => d.model || '').map(([m, ma]) => ({
      model: m, requests: ma.requests, share: Math.round((ma.requests / a.requests) * 1e4) / 1e4,
      input_tokens: ma.input_tokens, output_tokens: ma.output_tokens,
      cost_usd: money(ma).cost_usd, unpriced_requests: ma.unpriced,
      cf_cost_usd: money(ma).cf_cost_usd, savings_usd: money(ma).savings_usd,
      cheaper: m !== (mine[0] && mine[0].cf_model) }));
    const t = totalsOf(a);
    return { router: id, requests: a.requests, ...money(a), routed_cheaper: t.routed_cheaper,
      routed_cheaper_share: t.routed_cheaper_share, models };
  });
}

function seriesOf(list, from, g, n, refusedHere) {
  const buckets = Array.from({ length: n }, () => []);
  for (const d of list) buckets[Math.floor((d.ts - from) / g)].push(d);
  const models = [...new Set(list.map((d) => d.model).filter(Boolean))].sort();
  const points = buckets.map((b, k) => {
    const a = emptyAgg();
    b.forEach((d) => add(a, d));
    const m = money(a);
    const by = {};
    for (const [model, ma] of aggBy(b.filter((d) => d.model), (d) => d.model)) {
      by[model] = { requests: ma.requests, cost_usd: money(ma).cost_usd, unpriced_requests: ma.unpriced };
    }
    return { t: from + k * g, requests: a.requests, cost_usd: m.cost_usd, unpriced_requests: a.unpriced,
      cf_cost_usd: m.cf_cost_usd, savings_usd: m.savings_usd, fallbacks: a.fallbacks,
      rejected: refusedHere.filter((d) => Math.floor((d.ts - from) / g) === k).length, by_model: by };
  });
  return { granularity_s: g, models, points };
}

function tenantsOf(all, now, tfrom, tg) {
  const day0 = Math.floor(now / 86400) * 86400;
  const list = all.filter((d) => d.ts >= tfrom);
  return aggBy(list, (d) => d.tenant).map(([tenant, a]) => {
    const today = emptyAgg();
    all.filter((d) => d.tenant === tenant && d.ts >= day0).forEach((d) => add(today, d));
    return { tenant, requests: a.requests, input_tokens: a.input_tokens, output_tokens: a.output_tokens,
      ...money(a), spend_today_usd: money(today).cost_usd };
  });
}

function stats(everything, now, name) {
  const [g, n, tg] = WINDOWS[name];
  const from = Math.floor(now / g) * g - (n - 1) * g;
  const all = everything.filter((d) => !d.rejected);
  const refusedAll = everything.filter((d) => d.rejected);
  const refusedHere = refusedAll.filter((d) => d.ts >= from && d.ts <= now);
  const list = all.filter((d) => d.ts >= from && d.ts <= now);
  const a = emptyAgg();
  list.forEach((d) => add(a, d));
  const life = emptyAgg();
  all.forEach((d) => add(life, d));
  const tfrom = Math.floor(from / tg) * tg;
  const reasons = { no_prediction: 0, policy_error: 0, policy_limit: 0, upstream: 0, low_confidence: 0 };
  list.forEach((d) => d.fallback && reasons[d.fallback]++);
  const errs = { throttled: 0, unavailable: 0, internal: 0, timeout: 0, connect: 0, bad_response: 0, client: 0 };
  list.forEach((d) => d.upstream_error && errs[d.upstream_error]++);
  return {
    schema_version: 1, generated_at: now, generated_at_iso: iso(now),
    window: { name, from, to: now, granularity_s: g, buckets: n },
    versions: { tiergate: '0.1.0-fixture', predictor: 'tg-fixture-0000', policy: 'default.lua sha256:fixture' },
    stats_since: all.length ? Math.floor(all[0].ts) : now,
    totals: totalsOf(a, refusedHere.length),
    rejected: rejectedOf(refusedHere),
    fallbacks_by_reason: reasons,
    upstream_errors_by_type: errs,
    status_classes: { '2xx': list.filter((d) => d.status < 300).length, '4xx': 0, '5xx': a.e5xx },
    latency: { upstream_ms: latency(list, 'upstream_ms'), overhead_us: latency(list, 'overhead_us') },
    routers: routersOf(list),
    by_class: aggBy(list, (d) => d.class).map(([k, ca]) => {
      const t = totalsOf(ca);
      return { class: k, requests: ca.requests, ...money(ca), routed_cheaper: t.routed_cheaper,
        routed_cheaper_share: t.routed_cheaper_share, input_tokens: ca.input_tokens, output_tokens: ca.output_tokens };
    }),
    by_tenant: { from: tfrom, granularity_s: tg, tenants: tenantsOf(all, now, tfrom, tg) },
    series: seriesOf(list, from, g, n, refusedHere),
    lifetime: totalsOf(life, refusedAll.length),
  };
}

function iso(t) {
  return new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The fixture's stand-in for each router's own policy: code-router pins
 * class "experimental" to mistral.mystery-v9 (as makeDecision does). */
function policyChoice(router, d, t, strong) {
  if (router.id === 'code-router' && d.class === 'experimental') return 'mistral.mystery-v9';
  return ruleChoice(d.candidates, t, strong);
}

function whatifPoints(router, list, strong, choose) {
  const points = [];
  for (let t = 0; t <= 100; t++) {
    const a = emptyAgg();
    let strongN = 0;
    let qSum = 0;
    let qN = 0;
    for (const d of list) {
      const pick = d.confidence < d.min_confidence ? router.fallback_model : choose(d, t);
      if (pick === strong) strongN++;
      const c = d.candidates.find((x) => x.model === pick);
      if (c && typeof c.quality === 'number') {
        qSum += c.quality;
        qN++;
      }
      add(a, { ...d, model: pick, cost: priceTokens(pick, d.input_tokens, d.output_tokens), fallback: null, upstream_error: null, status: 200 });
    }
    const m = money(a);
    points.push({ threshold: t, strong_share: list.length ? Math.round((strongN / list.length) * 1e4) / 1e4 : null,
      cost_usd: m.cost_usd, cf_cost_usd: m.cf_cost_usd, savings_usd: m.savings_usd, savings_pct: m.savings_pct,
      mean_quality: qN ? Math.round((qSum / qN) * 1e4) / 1e4 : null, unpriced_requests: a.unpriced,
      current: t === Math.round(router.threshold) });
  }
  return points;
}

function whatif(all, now, id, last) {
  const router = ROUTERS.find((x) => x.id === id);
  const strong = strongOf(router.models);
  const list = all.filter((d) => d.router === id && d.status < 300 && d.candidates.length).slice(-last);
  const points = whatifPoints(router, list, strong, (d, t) => ruleChoice(d.candidates, t, strong));
  const policyPoints = whatifPoints(router, list, strong, (d, t) => policyChoice(router, d, t, strong))
    .map((p) => ({ ...p, refused: 0 }));
  const act = emptyAgg();
  list.forEach((d) => add(act, d));
  const am = money(act);
  return { schema_version: 1, generated_at: now, router: id, current_threshold: router.threshold,
    strong_model: strong, decisions: list.length,
    from: list.length ? Math.floor(list[0].ts) : null, to: list.length ? Math.floor(list[list.length - 1].ts) : null,
    points, policy_points: policyPoints, policy_version: 'fixture-' + router.policy,
    actual: { strong_share: list.length ? Math.round((list.filter((d) => d.model === strong).length / list.length) * 1e4) / 1e4 : null,
      cost_usd: am.cost_usd, cf_cost_usd: am.cf_cost_usd, savings_usd: am.savings_usd, savings_pct: am.savings_pct } };
}

function decisions(all, now, limit, before) {
  const end = before === null ? all.length : Math.max(0, Math.min(all.length, before));
  const start = Math.max(0, end - limit);
  const page = all.slice(start, end).reverse().map((d, k) => ({ ...d, cursor: String(end - 1 - k) }));
  return { schema_version: 1, generated_at: now, limit, next_before: start > 0 ? String(start) : null, decisions: page };
}

function routersDoc(now) {
  return { schema_version: 1, generated_at: now, routers: ROUTERS.map((r) => ({
    id: r.id, name: r.name, description: r.description,
    arn: 'arn:aws:bedrock:us-east-1:123456789012:prompt-router/' + r.id,
    threshold: r.threshold, fallback_model: r.fallback_model, strong_model: strongOf(r.models), policy: r.policy,
    models: r.models.map((m) => ({ id: m, name: NAMES[m] || null, provider: m.split('.')[0], priced: !!PRICES[m],
      price: PRICES[m] ? { ...PRICES[m], cache_read: 0, cache_write: 0 } : null })) })),
  model_names: NAMES };
}

/* ---- HTTP ---- */

function send(res, status, body, headers = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(data);
}

function apiError(res, status, type, message) {
  send(res, status, { message }, { 'x-amzn-ErrorType': type });
}

function authorized(req, token) {
  const h = req.headers.authorization || '';
  const given = h.startsWith('Bearer ') ? h.slice(7) : req.headers['x-tiergate-admin-token'] || '';
  return given === token ? 'ok' : given ? 'invalid admin token' : 'admin token required';
}

/** The data never changes while the server runs, so answers are cached per URL. */
function api(req, res, url, ctx) {
  const auth = authorized(req, ctx.token);
  if (auth !== 'ok') return apiError(res, 401, 'UnauthorizedException', auth);
  const key = url.pathname + url.search;
  const hit = ctx.cache.get(key);
  if (hit) return send(res, hit.status, hit.body, hit.headers);
  const cacheRes = { writeHead: (status, headers) => Object.assign(cacheRes, { status, headers }),
    end: (body) => {
      ctx.cache.set(key, { status: cacheRes.status, headers: cacheRes.headers, body });
      res.writeHead(cacheRes.status, cacheRes.headers);
      res.end(body);
    } };
  return answer(cacheRes, url, ctx);
}

function answer(res, url, ctx) {
  const now = ctx.now;
  const q = url.searchParams;
  switch (url.pathname) {
    case '/admin/api/stats': {
      const w = q.get('window') || '24h';
      if (!WINDOWS[w]) return apiError(res, 400, 'ValidationException', 'window must be 1h, 24h, 7d or 30d');
      return send(res, 200, stats(ctx.all, now, w));
    }
    case '/admin/api/decisions': {
      const limit = q.has('limit') ? Number(q.get('limit')) : 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return apiError(res, 400, 'ValidationException', 'limit must be 1..500');
      const before = q.has('before') ? Number(q.get('before')) : null;
      return send(res, 200, decisions(ctx.all, now, limit, before));
    }
    case '/admin/api/whatif': {
      const id = q.get('router');
      if (!ROUTERS.some((r) => r.id === id)) return apiError(res, 404, 'ResourceNotFoundException', 'unknown router');
      return send(res, 200, whatif(ctx.all, now, id, Math.min(10000, Number(q.get('last')) || 10000)));
    }
    case '/admin/api/routers':
      return send(res, 200, routersDoc(now));
    default:
      return apiError(res, 404, 'ResourceNotFoundException', 'no such admin endpoint');
  }
}

async function serveStatic(res, path) {
  let rel = path.slice('/admin/'.length) || 'index.html';
  const file = normalize(join(WEB_ROOT, rel));
  if (!file.startsWith(WEB_ROOT)) return send(res, 403, 'forbidden', { 'Content-Type': 'text/plain' });
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(data);
  } catch {
    send(res, 404, 'not found', { 'Content-Type': 'text/plain' });
  }
}

function handler(ctx) {
  return (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return apiError(res, 405, 'ValidationException', 'read-only');
    if (url.pathname.startsWith('/admin/api/')) return api(req, res, url, ctx);
    if (url.pathname === '/admin') return send(res, 301, '', { Location: '/admin/' });
    if (url.pathname.startsWith('/admin/')) return serveStatic(res, url.pathname);
    send(res, 404, 'not found', { 'Content-Type': 'text/plain' });
  };
}

/** Starts the server; resolves to {server, url, ctx}. Used by the tests too. */
export async function startFixture({ port = 0, token = 'fixture-token', empty = false, now = 1763830860 } = {}) {
  const ctx = { token, now, all: empty ? [] : generate(now), cache: new Map() };
  const server = http.createServer(handler(ctx));
  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/admin/`;
  return { server, url, ctx };
}

async function main() {
  const { values } = parseArgs({ options: {
    port: { type: 'string', default: '0' }, 'port-file': { type: 'string' },
    token: { type: 'string', default: 'fixture-token' }, empty: { type: 'boolean', default: false },
    now: { type: 'string' } } });
  const { url, server } = await startFixture({ port: Number(values.port), token: values.token,
    empty: values.empty, now: values.now ? Number(values.now) : undefined });
  if (values['port-file']) {
    await writeFile(values['port-file'] + '.tmp', String(server.address().port) + '\n');
    await rename(values['port-file'] + '.tmp', values['port-file']);
  }
  console.log('fixture listening on ' + url);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) main();
