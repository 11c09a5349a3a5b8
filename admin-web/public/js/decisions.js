// decisions.js: recent decisions (/admin/api/decisions), newest first, with
// "Load older" paging through the API's opaque `before` cursor.
import * as F from './format.js';
import { $, h, setText, setMoney } from './dom.js';
import { SortTable } from './table.js';

const MAX_ROWS = 1000;
let table = null;
let rows = [];
let moreCursor = null;

function rowKey(d) {
  return d.request_id + '@' + d.ts;
}

function qualityCell(d, td) {
  td.replaceChildren();
  const list = h('ul', 'qualities', '', td);
  for (const c of d.candidates || []) {
    const li = h('li', c.model === d.chosen ? 'chosen' : '', '', list);
    const name = h('span', 'q-model', F.shortModel(c.model), li);
    if (c.priced === false) h('span', 'tag', 'unpriced', name);
    h('span', 'q-value', F.fmtQuality(c.quality), li);
    li.title = c.model + (c.model === d.chosen ? ' (chosen by the policy)' : '');
  }
  if (!list.children.length) h('li', '', 'no candidates', list);
}

function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The predictor's confidence (absent: its model has no confidence head),
 * tagged when below the router's min_confidence (the fallback served). */
function confidenceCell(d, td) {
  td.replaceChildren();
  h('span', 'conf-value', F.fmtQuality(d.confidence), td);
  const low = isNum(d.confidence) && isNum(d.min_confidence) && d.confidence < d.min_confidence;
  if (low) h('span', 'tag tag-warn', 'below ' + F.fmtQuality(d.min_confidence), td);
  td.title = !isNum(d.confidence) ? 'no confidence: the predictor has no (confidence) head'
    : 'how much the prompt looks like the predictor\'s training data (0..1)' +
      (isNum(d.min_confidence) ? '; router minimum ' + F.fmtQuality(d.min_confidence) : '');
}

function twoLines(td, first, second, firstCls = '') {
  td.replaceChildren();
  h('span', 'line1 ' + firstCls, first, td);
  if (second) h('span', 'line2', second, td);
}

function requestCell(d, td) {
  twoLines(td, F.fmtRouter(d.router), F.fmtTenant(d.tenant) + ' · ' + F.fmtClass(d.class), 'strong');
  td.title = 'router · tenant · class; request id ' + d.request_id;
}

function modelCell(d, td) {
  twoLines(td, d.model ? F.shortModel(d.model) : d.rejected ? 'refused: ' + d.rejected : 'no answer', d.chosen && d.chosen !== d.model ? 'chosen: ' + F.shortModel(d.chosen) : '');
  td.title = d.model ? F.modelTitle(d.model) : d.rejected ? 'refused before any model was called (' + d.rejected + ', HTTP ' + d.status + ')' : '';
}

function reasonCell(d, td) {
  td.replaceChildren();
  h('span', '', d.reason || F.NONE, td);
  if (d.fallback) h('span', 'tag tag-warn', 'fallback: ' + d.fallback, td);
  if (d.upstream_error) h('span', 'tag tag-warn', d.upstream_error, td);
}

function savedValue(d) {
  return typeof d.cost === 'number' && typeof d.cf_cost === 'number' ? d.cf_cost - d.cost : null;
}

function costCell(d, td) {
  setMoney(td, d.cost);
  const note = td.querySelector('.money-note');
  const saved = savedValue(d);
  setText(note, saved ? 'saved ' + F.fmtUSD(saved) : '');
  note.classList.add('saved');
  note.hidden = !saved;
}

function latencyCell(d, td) {
  twoLines(td, F.fmtMillis(d.upstream_ms), F.fmtMicros(d.overhead_us) + ' own');
  td.title = 'Bedrock (all attempts: ' + d.attempts + ') · tiergate overhead';
}

function columns() {
  return [
    { key: 'ts', label: 'Time (UTC)', sort: (d) => d.ts, cell: (d, td) => setText(td, F.fmtShortTime(d.ts)) },
    { key: 'router', label: 'Router · tenant · class', cell: requestCell },
    { key: 'model', label: 'Answered by', sort: (d) => d.model || '', cell: modelCell },
    { key: 'reason', label: 'Reason', cell: reasonCell },
    { key: 'quality', label: 'Predicted quality', sort: false, cell: qualityCell },
    { key: 'confidence', label: 'Confidence', numeric: true, sort: (d) => (isNum(d.confidence) ? d.confidence : null), cell: confidenceCell },
    { key: 'cost', label: 'Cost', numeric: true, cell: costCell },
    { key: 'latency', label: 'Latency', numeric: true, sort: (d) => d.upstream_ms, cell: latencyCell },
    { key: 'status', label: 'Status', numeric: true, cell: (d, td) => { setText(td, String(d.status)); td.classList.toggle('bad', d.status >= 400); } },
  ];
}

function ensureTable() {
  if (!table) table = new SortTable($('table-decisions'), columns(), { sortKey: 'ts', rowKey, empty: 'No decisions logged yet.' });
}

/** Merges the newest page into the list (keeps older pages already loaded). */
export function renderNewest(page) {
  ensureTable();
  const known = new Set(rows.map(rowKey));
  const fresh = page.decisions.filter((d) => !known.has(rowKey(d)));
  if (!rows.length) moreCursor = page.next_before;
  rows = fresh.concat(rows).slice(0, MAX_ROWS);
  table.update(rows);
  updateMore();
}

/** Appends an older page fetched with the `before` cursor. */
export function renderOlder(page) {
  ensureTable();
  const known = new Set(rows.map(rowKey));
  rows = rows.concat(page.decisions.filter((d) => !known.has(rowKey(d)))).slice(0, MAX_ROWS);
  moreCursor = page.next_before;
  table.update(rows);
  updateMore();
}

/** The cursor for "Load older", or null at the start of the log. */
export function olderCursor() {
  return moreCursor;
}

function updateMore() {
  const b = $('decisions-more');
  b.hidden = moreCursor === null || moreCursor === undefined || rows.length >= MAX_ROWS;
  setText($('decisions-count'), F.fmtInt(rows.length) + ' shown');
}

/** Shows a message in the decisions section (its own errors). */
export function decisionsMessage(text) {
  const m = $('decisions-message');
  setText(m, text);
  m.hidden = text === '';
}
