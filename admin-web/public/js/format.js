// format.js: number and time formatting for the tiergate console.
// Pure functions, no DOM: the browser tests import this same module to
// format the stats JSON and compare it with the text on the page.
// The locale is pinned to en-US so that page and tests agree everywhere.

const LOCALE = 'en-US';

/** Placeholder for "no value" (a percentile with no samples, a ratio of 0/0). */
export const NONE = '—';
/** Shown instead of a dollar amount when nothing in the group was priced. */
export const UNPRICED = 'unpriced';

function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Dollars with a precision that suits the amount: two decimals from $1 up,
 * two to three significant digits below (0.8123 -> "$0.812", 0.0042 ->
 * "$0.0042", 0.000455 -> "$0.000455"), never more than 8 decimals. null -> "unpriced": a money
 * aggregate is null only when every request of the group was unpriced.
 */
export function fmtUSD(v) {
  if (v === null) return UNPRICED;
  if (!isNum(v)) return NONE;
  const a = Math.abs(v);
  let max = 2;
  if (a > 0 && a < 1) max = Math.min(8, Math.max(2, Math.ceil(-Math.log10(a)) + 2));
  const s = a.toLocaleString(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: max });
  if (v < 0 && Number(s.replace(/,/g, '')) !== 0) return '-$' + s;
  return '$' + s;
}

/** Compact dollars for chart axes: $0, $0.005, $1.2k. */
export function fmtUSDAxis(v) {
  if (!isNum(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return '$' + (v / 1e6).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + 'M';
  if (a >= 1e3) return '$' + (v / 1e3).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + 'k';
  if (a === 0) return '$0';
  return '$' + v.toLocaleString(LOCALE, { maximumSignificantDigits: 2 });
}

/** A 0..100 percentage with one decimal: 86.89 -> "86.9%". */
export function fmtPct(v) {
  if (!isNum(v)) return NONE;
  return v.toLocaleString(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + '%';
}

/** A 0..1 share as a percentage: 0.8417 -> "84.2%". */
export function fmtShare(v) {
  if (!isNum(v)) return NONE;
  return fmtPct(v * 100);
}

/** Integer counts (requests, tokens) with thousands separators. */
export function fmtInt(v) {
  if (!isNum(v)) return NONE;
  return Math.round(v).toLocaleString(LOCALE);
}

/** Compact counts for chart axes: 950, 1.2k, 3.4M. */
export function fmtIntAxis(v) {
  if (!isNum(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + 'M';
  if (a >= 1e4) return (v / 1e3).toLocaleString(LOCALE, { maximumFractionDigits: 0 }) + 'k';
  if (a >= 1e3) return (v / 1e3).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + 'k';
  return v.toLocaleString(LOCALE, { maximumFractionDigits: 2 });
}

/** A predicted quality in 0..1 with two decimals. */
export function fmtQuality(v) {
  if (!isNum(v)) return NONE;
  return v.toLocaleString(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Tiergate's overhead, given in microseconds: "38 µs", "1.25 ms". */
export function fmtMicros(v) {
  if (!isNum(v)) return NONE;
  if (Math.abs(v) < 1000) return v.toLocaleString(LOCALE, { maximumFractionDigits: Math.abs(v) < 10 ? 1 : 0 }) + ' µs';
  return fmtMillis(v / 1000);
}

/** Upstream latency, given in milliseconds: "812 ms", "3.9 s". */
export function fmtMillis(v) {
  if (!isNum(v)) return NONE;
  if (Math.abs(v) < 1000) {
    const d = Math.abs(v) < 10 ? 2 : 0;
    return v.toLocaleString(LOCALE, { maximumFractionDigits: d }) + ' ms';
  }
  return (v / 1000).toLocaleString(LOCALE, { maximumFractionDigits: 2 }) + ' s';
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/**
 * A bucket start (Unix seconds) as a UTC label that suits the bucket size:
 * "17:05" for minutes and quarter hours, "Nov 22 17:00" for hours,
 * "Nov 22" for days. UTC because the gateway's day buckets are UTC days.
 */
export function fmtBucket(t, granularity) {
  const d = new Date(t * 1000);
  const hm = pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes());
  const day = d.toLocaleString(LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  if (granularity >= 86400) return day;
  if (granularity >= 3600) return day + ' ' + hm;
  return hm;
}

/** Full UTC timestamp for tooltips and the decisions table. */
export function fmtTime(t) {
  if (!isNum(t)) return NONE;
  const d = new Date(t * 1000);
  return d.toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
}

/* Display names by model id, from the price table and the config
 * (/admin/api/routers "model_names"); set before anything renders. */
let modelNames = {};

let strongModels = {};

/** Registers /admin/api/routers' model_names (display names by id) and each
 * router's strong (counterfactual) model. */
export function setModelNames(map, routers = []) {
  modelNames = map && typeof map === 'object' ? map : {};
  strongModels = {};
  for (const r of routers || []) if (r && r.id) strongModels[r.id] = r.strong_model || null;
}

/** The router's strong model id, or null (passthrough "", unknown router). */
export function strongModelOf(router) {
  return strongModels[router] || null;
}

/**
 * A model's display name: its name from the price table or the config
 * ("Claude 3.5 Sonnet"), else the id itself, never a mangled piece of it.
 * The full id goes in the element's title (see modelTitle()).
 */
export function shortModel(id) {
  if (typeof id !== 'string' || id === '') return '(none)';
  return typeof modelNames[id] === 'string' && modelNames[id] !== '' ? modelNames[id] : id;
}

/** The hover text of a model's name: the full id (and its name). */
export function modelTitle(id) {
  if (typeof id !== 'string' || id === '') return '';
  return shortModel(id) === id ? id : shortModel(id) + ' — ' + id;
}

/** A model that answered, or "(no answer)" for "" (the request failed before any model answered). */
export function fmtModel(id) {
  return id ? shortModel(id) : '(no answer)';
}

/** A day for ranges: "Nov 22". */
export function fmtDay(t) {
  if (!isNum(t)) return NONE;
  return new Date(t * 1000).toLocaleString(LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** A short UTC time for table rows: "Nov 22 17:00:54". */
export function fmtShortTime(t) {
  if (!isNum(t)) return NONE;
  const d = new Date(t * 1000);
  return fmtDay(t) + ' ' + d.toISOString().slice(11, 19);
}

/** Labels for the empty strings the API uses for "no router/tenant/class". */
export function fmtRouter(r) {
  return r === '' || r === undefined || r === null ? '(passthrough)' : r;
}
export function fmtTenant(t) {
  return t === '' || t === undefined || t === null ? '(anonymous)' : t;
}
export function fmtClass(c) {
  return c === '' || c === undefined || c === null ? '(none)' : c;
}

/**
 * The text of a money cell: the amount, or "unpriced" when the aggregate is
 * null. `unpriced` is the count of unpriced requests inside the group; the
 * caller shows it next to the amount ("+ 3 unpriced") when it is > 0.
 */
export function moneyNote(unpriced) {
  if (!isNum(unpriced) || unpriced <= 0) return '';
  return '+ ' + fmtInt(unpriced) + ' unpriced';
}
