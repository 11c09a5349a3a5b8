// Time to first byte of ConverseStream, through tiergate (behind lighttpd)
// and straight to the Bedrock emulator, in the same run: rounds of N
// concurrent streams, alternating targets, first round of each discarded
// (connection set-up).  (Rounds mixing both targets would be biased: the
// single-threaded emulator serves FIFO, and the direct half always gets
// there first.)  TTFB = from just before the request is written to
// the first body byte (the first event-stream frame).  Requests to the
// emulator are authenticated as tiergate's are (TTFB_UPSTREAM_AUTH: sigv4,
// signed beforehand so signing time is not counted, or bearer), so both
// paths pay the emulator's check alike.
//
//   node bench/bench-ttfb.mjs        (env: TG_URL, TG_KEY, EMU_URL, and
//                                     TTFB_CONCURRENCY, TTFB_ROUNDS)
// Prints a table and, last, one JSON line with every median.
import http from 'node:http';
import os from 'node:os';
import { signed, BEARER } from '../bedrock-emulator/testkit.mjs';

const { TG_URL, TG_KEY, EMU_URL } = process.env;
const N = Number(process.env.TTFB_CONCURRENCY ?? 100);
const ROUNDS = Number(process.env.TTFB_ROUNDS ?? 10);
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const tgPort = Number(new URL(TG_URL).port);
const emuPort = Number(new URL(EMU_URL).port);
const agents = { tg: new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  emu: new http.Agent({ keepAlive: true, maxSockets: Infinity }) };

const body = (i) => JSON.stringify({ messages: [{ role: 'user', content: [{ text:
  `Request ${i}: summarise the plot of a short novel in two sentences.` }] }],
  inferenceConfig: { maxTokens: 200 } });

// One stream; resolves {ttfb, total, model, overhead_us}.
function stream(port, agent, opts) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttfb = null;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: opts.path,
      headers: opts.headers, agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from port ${port}`));
      res.on('data', () => { if (ttfb === null) ttfb = Number(process.hrtime.bigint() - t0) / 1e6; });
      res.on('end', () => resolve({ ttfb, total: Number(process.hrtime.bigint() - t0) / 1e6,
        model: res.headers['x-tiergate-model'] ?? null,
        overhead_us: Number(res.headers['x-tiergate-overhead-us'] ?? NaN) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function viaTiergate(modelId) {
  return (i) => ({ path: `/model/${encodeURIComponent(modelId)}/converse-stream`, body: body(i),
    headers: { authorization: `Bearer ${TG_KEY}`, 'content-type': 'application/json' } });
}

function direct(modelId) {
  if (process.env.TTFB_UPSTREAM_AUTH === 'bearer')
    return (i) => ({ path: `/model/${encodeURIComponent(modelId)}/converse-stream`, body: body(i),
      headers: { authorization: `Bearer ${BEARER}`, 'content-type': 'application/json' } });
  return (i) => signed(emuPort, modelId, 'converse-stream', body(i));
}

const TARGETS = [
  { name: 'emulator haiku', port: emuPort, agent: agents.emu, make: direct(HAIKU) },
  { name: 'tiergate haiku (passthrough)', port: tgPort, agent: agents.tg, make: viaTiergate(HAIKU) },
  { name: 'tiergate router support', port: tgPort, agent: agents.tg, make: viaTiergate('support') },
];

async function round(t, seq) {
  const opts = await Promise.all(Array.from({ length: N }, (_, i) => t.make(seq * N + i)));
  return Promise.all(opts.map((o) => stream(t.port, t.agent, o)));
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];

// Targets take turns, in an order rotated every round, so that load from
// elsewhere on the machine falls on all of them alike; per-round medians
// give a paired difference as well.
const samples = new Map(TARGETS.map((t) => [t.name, []]));
const perRound = new Map(TARGETS.map((t) => [t.name, []]));
const load0 = os.loadavg()[0];
for (let r = 0; r <= ROUNDS; r++) {
  for (let k = 0; k < TARGETS.length; k++) {
    const t = TARGETS[(k + r) % TARGETS.length];
    const res = await round(t, r);
    if (r === 0) continue;
    samples.get(t.name).push(...res);
    perRound.get(t.name).push(median(res.map((x) => x.ttfb)));
  }
}

const out = {};
const row = (name, xs) => {
  const ttfb = xs.map((x) => x.ttfb);
  out[name] = { n: xs.length, median_ms: median(ttfb), p90_ms: pct(ttfb, 0.9) };
  console.log(`${name.padEnd(44)} n=${String(xs.length).padStart(4)}  median ${median(ttfb).toFixed(2).padStart(7)} ms` +
    `  p90 ${pct(ttfb, 0.9).toFixed(2).padStart(7)} ms`);
};
console.log(`TTFB, ${N} concurrent ConverseStream requests per round, ${ROUNDS} rounds per target`);
for (const t of TARGETS) row(t.name, samples.get(t.name));
const routed = samples.get('tiergate router support');
for (const m of [HAIKU, SONNET]) {
  const xs = routed.filter((x) => x.model === m);
  if (xs.length) row(`  router -> ${m.split('.')[1].split('-2')[0]}`, xs);
}
const diff = (a, b) => out[a] && out[b] ? out[a].median_ms - out[b].median_ms : null;
const paired = (a, b) => median(perRound.get(a).map((x, i) => x - perRound.get(b)[i]));
out.diff_passthrough_ms = diff('tiergate haiku (passthrough)', 'emulator haiku');
out.diff_router_ms = diff('tiergate router support', 'emulator haiku');
out.paired_diff_passthrough_ms = paired('tiergate haiku (passthrough)', 'emulator haiku');
out.paired_diff_router_ms = paired('tiergate router support', 'emulator haiku');
out.overhead_us_median = median(samples.get('tiergate haiku (passthrough)').map((x) => x.overhead_us)
  .concat(routed.map((x) => x.overhead_us)));
out.concurrency = N;
out.upstream_auth = process.env.TTFB_UPSTREAM_AUTH ?? 'sigv4';
out.rounds = ROUNDS;
out.loadavg_1m = [load0, os.loadavg()[0]];
out.cpus = os.cpus().length;
console.log(`median TTFB difference vs the emulator: passthrough ${out.diff_passthrough_ms.toFixed(2)} ms, ` +
  `router ${out.diff_router_ms.toFixed(2)} ms; median of per-round differences: passthrough ` +
  `${out.paired_diff_passthrough_ms.toFixed(2)} ms, router ${out.paired_diff_router_ms.toFixed(2)} ms; ` +
  `tiergate's own time before the upstream call (x-tiergate-overhead-us): ${out.overhead_us_median} µs median; ` +
  `load average ${out.loadavg_1m.map((x) => x.toFixed(1)).join(' -> ')} on ${out.cpus} CPUs`);
console.log(JSON.stringify(out));
for (const a of Object.values(agents)) a.destroy();
