// Emulator state (request log, counters, prompt cache, faults) and the
// unsigned control API under /_emulator/, served to loopback clients only.
import { FaultState } from './faults.js';

export class EmulatorState {
  constructor(config) {
    this.config = config;
    this.faults = new FaultState();
    this.reset();
    this.inFlight = 0;
  }

  reset() {
    this.faults.reset();
    this.log = [];
    this.promptCache = new Set();
    this.stats = { requests: 0, max_in_flight: 0, by_model: {}, by_status: {}, by_api: {}, by_fault: {} };
    this.stats.max_in_flight = this.inFlight ?? 0;
  }

  // A log entry is created when a request arrives and completed when it ends.
  // It never contains credentials, tokens or bodies.
  begin(method, path) {
    this.stats.requests++;
    this.inFlight++;
    if (this.inFlight > this.stats.max_in_flight) this.stats.max_in_flight = this.inFlight;
    const entry = { time: new Date().toISOString(), method, path, model: null, api: null, auth_kind: null,
      signature_ok: null, fault_applied: null, tag: null, status: null, duration_ms: null, request_id: null };
    if (this.config.logMax > 0) {
      if (this.log.length >= this.config.logMax) this.log.shift();
      this.log.push(entry);
    }
    return entry;
  }

  finish(entry, status, started) {
    this.inFlight--;
    entry.status = status;
    entry.duration_ms = Date.now() - started;
    const bump = (o, k) => { if (k !== null && k !== undefined) o[k] = (o[k] ?? 0) + 1; };
    bump(this.stats.by_status, String(status));
    bump(this.stats.by_model, entry.model);
    bump(this.stats.by_api, entry.api);
    bump(this.stats.by_fault, entry.fault_applied);
  }
}

function json(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return status;
}

function isLoopback(addr) {
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

// Handles /_emulator/* with an already read body; returns the status sent.
// GET /_emulator/log?tag=T&model=M filters the log (exact matches).
function filteredLog(state, query) {
  const p = new URLSearchParams(query);
  const tag = p.get('tag');
  const model = p.get('model');
  return state.log.filter((e) => (tag === null || e.tag === tag) && (model === null || e.model === model));
}

export function handleControl(state, req, res, path, body, query = '') {
  if (!isLoopback(req.socket.remoteAddress)) return json(res, 403, { message: 'control API is loopback-only' });
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /_emulator/health': return json(res, 200, { ok: true });
    case 'GET /_emulator/log': return json(res, 200, query ? filteredLog(state, query) : state.log);
    case 'GET /_emulator/stats': return json(res, 200, { ...state.stats, in_flight: state.inFlight });
    case 'GET /_emulator/faults': return json(res, 200, state.faults.pending());
    case 'POST /_emulator/reset':
      state.reset();
      return json(res, 200, { ok: true });
    case 'POST /_emulator/faults': {
      let spec;
      try {
        spec = JSON.parse(body.toString('utf8') || 'null');
        if (!spec || typeof spec !== 'object') throw new Error('body must be a JSON object');
        state.faults.enqueue(spec.model ?? '*', spec.fault === undefined ? undefined : String(spec.fault), spec.count);
      } catch (e) {
        return json(res, 400, { message: e.message });
      }
      return json(res, 200, { ok: true, pending: state.faults.pending() });
    }
    default: return json(res, 404, { message: `no control route ${route}` });
  }
}
