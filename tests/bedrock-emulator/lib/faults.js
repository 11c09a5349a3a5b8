// Fault injection: a queue per model filled through the control API, and
// in-prompt markers that concurrent tests can use without interfering.
//
//   [[fault:F]]  [[fault:F xN]]  [[fault:F xN #TAG]]  [[fault:F x* #TAG]]
//   [[latency:MS]]  [[words:N]]  [[notool]]  [[tag:NAME]]
//
// A fault marker applies to the first N requests (default 1, "*" = all)
// that carry that exact marker string; counts are kept per marker string.

export const FAULTS = new Set([
  '429', 'model_not_ready', '500', '503', '408', '400', 'slow_headers', 'reset',
  'truncated', 'oversized', 'not_json', 'mid_stream_error', 'stream_reset', 'stream_stall',
  'stream_throttled',
]);

const FAULT_RE = /\[\[fault:([A-Za-z0-9_]+)(?:\s+x(\d+|\*))?(?:\s+#([A-Za-z0-9_.:\-]+))?\]\]/g;
const LATENCY_RE = /\[\[latency:(\d{1,7})\]\]/;
const WORDS_RE = /\[\[words:(\d{1,7})\]\]/;
const TAG_RE = /\[\[tag:([A-Za-z0-9_.:\-]+)\]\]/;
const MAX_LATENCY_MS = 600000;
const MAX_WORDS = 1000000;
const MAX_MARKERS = 100000;

export class FaultState {
  constructor() {
    this.reset();
  }

  reset() {
    this.queues = new Map();      // model id or '*' -> [{fault, left}]
    this.markerUses = new Map();  // exact marker string -> times applied
  }

  // Queues count faults for model ('*' = any model). Throws on bad input.
  enqueue(model, fault, count) {
    if (typeof model !== 'string' || !model) throw new Error('"model" must be a model id or "*"');
    if (!FAULTS.has(String(fault))) throw new Error(`unknown fault "${fault}"`);
    const n = count === undefined ? 1 : count;
    if (!Number.isInteger(n) || n < 1 || n > 1e6) throw new Error('"count" must be an integer in [1, 1000000]');
    const q = this.queues.get(model) ?? [];
    q.push({ fault: String(fault), left: n });
    this.queues.set(model, q);
  }

  pending() {
    const out = [];
    for (const [model, q] of this.queues)
      for (const e of q) out.push({ model, fault: e.fault, count: e.left });
    return out;
  }

  // Consumes and returns the first queued fault for model (then '*'), or null.
  takeQueued(model) {
    for (const key of [model, '*']) {
      const q = this.queues.get(key);
      if (!q || q.length === 0) continue;
      const e = q[0];
      if (--e.left <= 0) q.shift();
      if (q.length === 0) this.queues.delete(key);
      return e.fault;
    }
    return null;
  }

  // Consumes the first fault marker in text that still has uses left.
  // Returns {fault (or null), tag}: the tag of that marker, else of the first
  // fault marker present. Unknown fault names are ignored.
  takeMarker(text) {
    FAULT_RE.lastIndex = 0;
    let firstTag = null;
    for (let m; (m = FAULT_RE.exec(text)) !== null;) {
      firstTag ??= m[3] ?? null;
      if (!FAULTS.has(m[1])) continue;
      const used = this.markerUses.get(m[0]) ?? 0;
      const limit = m[2] === '*' ? Infinity : Number(m[2] ?? 1);
      if (used >= limit) continue;
      if (this.markerUses.size >= MAX_MARKERS && !this.markerUses.has(m[0])) this.markerUses.clear();
      this.markerUses.set(m[0], used + 1);
      return { fault: m[1], tag: m[3] ?? null };
    }
    return { fault: null, tag: firstTag };
  }
}

// Per-request overrides from [[latency:MS]], [[words:N]], [[notool]], [[tag:NAME]].
export function parseOverrides(text) {
  const out = {};
  const l = LATENCY_RE.exec(text);
  if (l) out.latencyMs = Math.min(Number(l[1]), MAX_LATENCY_MS);
  const w = WORDS_RE.exec(text);
  if (w) out.answerWords = Math.min(Number(w[1]), MAX_WORDS);
  if (text.includes('[[notool]]')) out.noTool = true;
  const t = TAG_RE.exec(text);
  if (t) out.tag = t[1];
  return out;
}
