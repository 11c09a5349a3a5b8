// whatif.js: the threshold what-if (/admin/api/whatif?router=ID) for the
// router picked in the selector (/admin/api/routers), replayed with the
// router's own policy (policy_points) or, as a labelled alternative, with
// the threshold rule alone (points).
import * as F from './format.js';
import { $, setText } from './dom.js';
import { WhatIfChart } from './charts.js';

const COST_COLOR = '#2563eb';
const CF_COLOR = '#6b7280';
const QUALITY_COLOR = '#c2410c';
const STRONG_COLOR = '#7c3aed';

let chart = null;

/** Fills the router <select>, keeping the current choice when it still exists. */
export function renderRouterOptions(routers, selected) {
  const sel = $('whatif-router');
  const ids = routers.map((r) => r.id);
  const same = sel.options.length === ids.length && ids.every((id, i) => sel.options[i].value === id);
  if (!same) {
    sel.replaceChildren(...routers.map((r) => new Option(r.name && r.name !== r.id ? r.name + ' (' + r.id + ')' : r.id, r.id)));
  }
  const pick = ids.includes(selected) ? selected : ids[0] || '';
  sel.value = pick;
  sel.disabled = ids.length === 0;
  $('whatif-norouters').hidden = ids.length > 0;
  return pick;
}

/** The points to show for the chosen mode, and the mode really shown. */
export function whatifSeries(d, mode) {
  if (mode === 'threshold' || !Array.isArray(d.policy_points)) return { mode: 'threshold', points: d.points };
  return { mode: 'policy', points: d.policy_points };
}

function modeNote(d, wanted, shown) {
  if (wanted === 'policy' && shown !== 'policy') return 'The router\'s policy could not be replayed (see the gateway log): showing the threshold rule alone.';
  if (shown === 'threshold') return 'Threshold only: the default policy\'s rule, ignoring this router\'s own rules (classes, tenants, budgets).';
  return '';
}

function tipRows(points) {
  return (i) => {
    const p = points[i];
    return {
      title: 'response_quality_difference = ' + p.threshold + (p.current ? ' (current)' : ''),
      rows: [
        { color: COST_COLOR, label: 'Projected cost', value: F.fmtUSD(p.cost_usd) + (p.unpriced_requests > 0 ? ' + ' + F.fmtInt(p.unpriced_requests) + ' unpriced' : '') },
        { color: CF_COLOR, dashed: true, label: 'Counterfactual', value: F.fmtUSD(p.cf_cost_usd) },
        { label: 'Savings', value: F.fmtUSD(p.savings_usd) + ' (' + F.fmtPct(p.savings_pct) + ')' },
        { color: QUALITY_COLOR, label: 'Mean predicted quality', value: F.fmtQuality(p.mean_quality) },
        { color: STRONG_COLOR, dashed: true, label: 'Strong-model share', value: F.fmtShare(p.strong_share) },
        ...(p.refused > 0 ? [{ label: 'Refused by the policy', value: F.fmtInt(p.refused) }] : []),
      ],
    };
  };
}

function renderSummary(d, router, points) {
  const cur = points.find((p) => p.current);
  setText($('whatif-threshold'), d.current_threshold === null || d.current_threshold === undefined ? F.NONE : String(d.current_threshold));
  setText($('whatif-decisions'), F.fmtInt(d.decisions) + (d.decisions ? ', ' + F.fmtDay(d.from) + ' – ' + F.fmtDay(d.to) : ''));
  setText($('whatif-current'), cur
    ? F.fmtUSD(cur.cost_usd) + ' · saves ' + F.fmtPct(cur.savings_pct) + ' · quality ' + F.fmtQuality(cur.mean_quality)
    : F.NONE);
  const a = d.actual || {};
  setText($('whatif-actual'), F.fmtUSD(a.cost_usd) + ' · saves ' + F.fmtPct(a.savings_pct) + ' · strong ' + F.fmtShare(a.strong_share));
  setText($('whatif-strong'), F.shortModel(d.strong_model || (router && router.strong_model) || ''));
}

/** Renders one /admin/api/whatif answer in `mode` ('policy' or 'threshold'). */
export function renderWhatif(d, router, mode = 'policy') {
  if (!chart) {
    chart = new WhatIfChart($('chart-whatif'), {
      label: 'Projected cost and quality against the response quality difference threshold',
    });
  }
  const shown = whatifSeries(d, mode);
  const points = shown.points;
  const pick = (f) => points.map((p) => (typeof p[f] === 'number' ? p[f] : NaN));
  chart.host.dataset.router = d.router;
  chart.host.dataset.mode = shown.mode;
  const note = modeNote(d, mode, shown.mode);
  setText($('whatif-mode-note'), note);
  $('whatif-mode-note').hidden = note === '';
  chart.update({
    points,
    current: Math.round(d.current_threshold),
    leftFormat: F.fmtUSDAxis,
    rightFormat: (v) => v.toFixed(2),
    left: [
      { key: 'cost', label: 'Projected cost ($, left)', color: COST_COLOR, values: pick('cost_usd') },
      { key: 'cf', label: 'Counterfactual ($, left)', color: CF_COLOR, dashed: true, thin: true, values: pick('cf_cost_usd') },
    ],
    right: [
      { key: 'quality', label: 'Mean predicted quality (right)', color: QUALITY_COLOR, values: pick('mean_quality') },
      { key: 'strong', label: 'Strong-model share (right)', color: STRONG_COLOR, dashed: true, thin: true, values: pick('strong_share') },
    ],
    empty: d.decisions === 0 ? 'No logged decisions for this router yet' : '',
    tipRows: tipRows(points),
  });
  renderSummary(d, router, points);
  whatifMessage('');
}

/** Shows a message in the what-if section (its own errors, not global ones). */
export function whatifMessage(text) {
  const m = $('whatif-message');
  setText(m, text);
  m.hidden = text === '';
}
