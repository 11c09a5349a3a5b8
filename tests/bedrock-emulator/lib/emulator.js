// The emulator's HTTP server: routing, the model API request pipeline
// (read body → authenticate → resolve model → faults → validate → wait →
// answer) and delivery of JSON and event-stream answers with faults applied.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BedrockError, MSG, sendError } from './errors.js';
import { verifyAuth } from './auth.js';
import { modelSettings } from './config.js';
import { parseOverrides } from './faults.js';
import { EmulatorState, handleControl } from './control.js';
import { readConverse, planAnswer } from './conversation.js';
import { converseBody, converseStreamFrames } from './converse.js';
import { PROVIDERS, providerFor, chunkFrames } from './invoke.js';
import { exceptionFrame } from './eventstream.js';

const APIS = new Set(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);
const STREAM_APIS = new Set(['converse-stream', 'invoke-with-response-stream']);
const ARN_RE = /^arn:aws(-[a-z]+)*:bedrock:[a-z0-9-]*:(\d{12})?:(foundation-model|inference-profile|application-inference-profile|prompt-router|default-prompt-router|provisioned-model|custom-model|imported-model|custom-model-deployment|marketplace\/endpoint)\/(.+)$/;
const MODEL_ID_RE = /^[a-z0-9-]{2,}\.[A-Za-z0-9][A-Za-z0-9_:.\-]*$/;

// Error faults answered immediately, as a Bedrock error.
const ERROR_FAULTS = {
  429: ['ThrottlingException', MSG.throttled],
  model_not_ready: ['ModelNotReadyException', MSG.notReady],
  500: ['InternalServerException', MSG.internal],
  503: ['ServiceUnavailableException', MSG.unavailable],
  408: ['ModelTimeoutException', MSG.timeout],
  400: ['ValidationException', MSG.injected400],
};

let bigTextCache = { size: 0, text: '' };
function bigText(bytes) {
  if (bigTextCache.size !== bytes) {
    const unit = 'This answer is deliberately oversized by the emulator. ';
    bigTextCache = { size: bytes, text: unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes) };
  }
  return bigTextCache.text;
}

// Model id as sent (percent-decoded path segment) → id used for settings.
// Throws ValidationException for ids that are neither provider.name nor ARN.
export function resolveModelId(id) {
  if (id.length === 0 || id.length > 2048) throw new BedrockError('ValidationException', MSG.invalidModel);
  const arn = ARN_RE.exec(id);
  if (arn) {
    const kind = arn[3];
    const rest = arn[4];
    return ['foundation-model', 'inference-profile', 'default-prompt-router'].includes(kind) ? rest : id;
  }
  if (MODEL_ID_RE.test(id)) return id;
  throw new BedrockError('ValidationException', MSG.invalidModel);
}

function readBody(req, cap) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let over = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > cap) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), over }));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the connection before the body ended'));
    });
  });
}

function baseHeaders(ctx, extra) {
  return { 'x-amzn-RequestId': ctx.requestId, date: new Date().toUTCString(), ...extra };
}

// Writes buf, waiting for 'drain' when the socket is backed up; false when
// the client has gone away.
async function write(res, buf) {
  if (res.destroyed || res.writableEnded) return false;
  if (!res.write(buf)) {
    await new Promise((r) => {
      const done = () => { res.off('drain', done); res.off('close', done); r(); };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

// Abrupt end of an answer: HTTP/1.1 closes the TCP connection with a RST;
// HTTP/2 resets only the stream (RST_STREAM INTERNAL_ERROR).
function resetConnection(res) {
  if (res.stream) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  else res.socket?.resetAndDestroy();
}

// Sends buf, then ends the exchange without completing the response.
function endAfter(res, buf) {
  res.write(buf, () => {
    if (res.stream) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    else res.socket?.end();
  });
}

function sendNotJson(ctx) {
  const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>' +
    '<body><h1>Bad Gateway</h1><p>The emulator was asked to answer with HTML.</p></body></html>\n';
  ctx.res.writeHead(200, baseHeaders(ctx, { 'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html) }));
  ctx.res.end(html);
  return 200;
}

// A complete JSON answer, or with the truncated fault: the full
// Content-Length, half the bytes, then the connection is closed.
function deliverJson(ctx, obj, headers = {}) {
  if (ctx.fault === 'not_json') return sendNotJson(ctx);
  const body = Buffer.from(JSON.stringify(obj));
  ctx.res.writeHead(200, baseHeaders(ctx, { 'content-type': 'application/json',
    'content-length': body.length, ...headers }));
  if (ctx.fault === 'truncated') endAfter(ctx.res, body.subarray(0, Math.floor(body.length / 2)));
  else ctx.res.end(body);
  return 200;
}

function streamException(ctx) {
  return exceptionFrame('modelStreamErrorException', {
    message: 'The model stream was interrupted by an error injected by the emulator.',
    originalStatusCode: 500, originalMessage: 'Injected mid-stream error.' });
}

// Event-stream answer. Frames are Buffers or functions returning one (built
// when sent). Faults: mid_stream_error / stream_reset after about half the
// frames, stream_stall pauses slow_ms there; stream_throttled sends only a
// throttlingException frame; truncated sends half the bytes and closes;
// not_json sends HTML.
async function deliverStream(ctx, frames, headers = {}) {
  if (ctx.fault === 'not_json') return sendNotJson(ctx);
  const { res } = ctx;
  res.writeHead(200, baseHeaders(ctx, { 'content-type': 'application/vnd.amazon.eventstream', ...headers }));
  ctx.firstByteMs = Date.now() - ctx.started;
  if (ctx.fault === 'truncated') {
    const all = Buffer.concat(frames.map((f) => (typeof f === 'function' ? f() : f)));
    endAfter(res, all.subarray(0, Math.floor(all.length / 2) + 3));
    return 200;
  }
  if (ctx.fault === 'stream_throttled') {
    res.end(exceptionFrame('throttlingException', { message: MSG.throttled }));
    return 200;
  }
  const cut = Math.max(2, Math.floor(frames.length / 2));
  const delay = ctx.fault === 'oversized' ? 0 : ctx.settings.chunk_delay_ms;
  for (let i = 0; i < frames.length; i++) {
    if (i === cut && ctx.fault === 'mid_stream_error') return (res.end(streamException(ctx)), 200);
    if (i === cut && ctx.fault === 'stream_stall') await sleep(ctx.config.slowMs);
    if (i === cut && ctx.fault === 'stream_reset') {
      await sleep(20); // let the frames sent so far reach the client before the RST
      resetConnection(res);
      return 200;
    }
    if (i > 0 && delay > 0 && !(typeof frames[i] === 'function')) await sleep(delay);
    const f = frames[i];
    if (!(await write(res, typeof f === 'function' ? f() : f))) return 200;
  }
  res.end();
  return 200;
}

function streamOpts(ctx) {
  return ctx.fault === 'oversized' ? { chunkChars: 65536 } : { chunkWords: ctx.settings.chunk_words };
}

async function answerConverse(ctx, body) {
  const conv = readConverse(body);
  const plan = planAnswer(ctx, conv, { bigText: ctx.fault === 'oversized' ? bigText(ctx.config.oversizedBytes) : undefined });
  await ctx.wait();
  if (ctx.api === 'converse') return deliverJson(ctx, converseBody(plan, Date.now() - ctx.started));
  return deliverStream(ctx, converseStreamFrames(plan, streamOpts(ctx), () => Date.now() - ctx.started));
}

async function answerInvoke(ctx, body) {
  const provider = PROVIDERS[providerFor(ctx.modelId, body)];
  const conv = provider.read(body);
  const plan = planAnswer(ctx, conv, { bigText: ctx.fault === 'oversized' ? bigText(ctx.config.oversizedBytes) : undefined });
  await ctx.wait();
  if (ctx.api === 'invoke') {
    return deliverJson(ctx, provider.body(plan, ctx), {
      'x-amzn-bedrock-input-token-count': String(plan.usage.inputTokens),
      'x-amzn-bedrock-output-token-count': String(plan.usage.outputTokens),
      'x-amzn-bedrock-invocation-latency': String(Date.now() - ctx.started),
    });
  }
  return deliverStream(ctx, chunkFrames(provider.chunks(plan, streamOpts(ctx), ctx)),
    { 'x-amzn-bedrock-content-type': 'application/json' });
}

function parseJsonBody(raw) {
  let body;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BedrockError('ValidationException', 'Malformed input request: the request body is not valid JSON, ' +
      'please reformat your input and try again.');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new BedrockError('ValidationException', 'Malformed input request: the request body must be a JSON ' +
      'object, please reformat your input and try again.');
  return body;
}

// Applies the request's fault, if any, that ends the exchange before an
// answer is built; returns a status, 0 for "reset", or null to go on.
async function applyEarlyFault(ctx) {
  let { fault } = ctx;
  if (!STREAM_APIS.has(ctx.api) && fault === 'mid_stream_error') fault = '500';
  if (!STREAM_APIS.has(ctx.api) && fault === 'stream_reset') fault = 'reset';
  if (!STREAM_APIS.has(ctx.api) && fault === 'stream_stall') fault = 'slow_headers';
  if (!STREAM_APIS.has(ctx.api) && fault === 'stream_throttled') fault = '429';
  if (ERROR_FAULTS[fault]) {
    if (ctx.overrides.latencyMs) await sleep(ctx.overrides.latencyMs);
    return sendError(ctx.res, ctx.requestId, ...ERROR_FAULTS[fault]);
  }
  if (fault === 'reset') {
    resetConnection(ctx.res);
    return 0;
  }
  if (fault === 'slow_headers') await sleep(ctx.config.slowMs);
  return null;
}

function decodeModelSegment(seg) {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new BedrockError('ValidationException', MSG.invalidModel);
  }
}

async function handleModel(ctx, raw, m) {
  const auth = await verifyAuth(ctx.config, ctx.req, ctx.rawUrl, raw);
  ctx.entry.auth_kind = auth.kind;
  ctx.entry.signature_ok = auth.kind === 'sigv4' ? !auth.error : null;
  if (auth.error) throw auth.error;
  ctx.modelId = decodeModelSegment(m[1]);
  ctx.entry.model = ctx.modelId;
  ctx.settings = modelSettings(ctx.config, resolveModelId(ctx.modelId));
  const text = raw.toString('utf8');
  ctx.overrides = parseOverrides(text);
  const marker = ctx.state.faults.takeMarker(text);
  ctx.fault = marker.fault ?? ctx.state.faults.takeQueued(ctx.modelId);
  ctx.entry.fault_applied = ctx.fault;
  ctx.entry.tag = ctx.overrides.tag ?? marker.tag;
  const early = await applyEarlyFault(ctx);
  if (early !== null) return early;
  const body = parseJsonBody(raw);
  const latency = ctx.overrides.latencyMs ?? ctx.settings.latency_ms;
  ctx.wait = () => sleep(Math.max(0, latency - (Date.now() - ctx.started)));
  return ctx.api.startsWith('converse') ? answerConverse(ctx, body) : answerInvoke(ctx, body);
}

async function route(ctx) {
  const { req, res } = ctx;
  const q = ctx.rawUrl.indexOf('?');
  const path = q < 0 ? ctx.rawUrl : ctx.rawUrl.slice(0, q);
  const { body: raw, over } = await readBody(req, ctx.config.maxBodyBytes);
  const m = /^\/model\/([^/]+)\/([a-z-]+)$/.exec(path);
  ctx.api = m && APIS.has(m[2]) ? m[2] : null;
  ctx.entry.api = ctx.api;
  if (!ctx.api || req.method !== 'POST')
    throw new BedrockError('UnknownOperationException', `No operation matches ${req.method} ${path}.`);
  if (over)
    throw new BedrockError('ValidationException', `Input is too long: the request body exceeds ` +
      `${ctx.config.maxBodyBytes} bytes.`);
  return handleModel(ctx, raw, m);
}

async function onControl(state, req, res) {
  const { body } = await readBody(req, state.config.maxBodyBytes);
  const [path, query = ''] = (req.url || '').split('?', 2);
  handleControl(state, req, res, path, body, query);
}

// Control requests are neither logged nor counted.
async function onRequest(state, quiet, req, res) {
  if ((req.url || '').startsWith('/_emulator/')) return onControl(state, req, res);
  const started = Date.now();
  const ctx = { req, res, state, config: state.config, started, rawUrl: req.url, requestId: randomUUID(),
    overrides: {}, settings: state.config.defaults, fault: null };
  ctx.entry = state.begin(req.method, (req.url || '').split('?')[0].slice(0, 2048));
  ctx.entry.request_id = ctx.requestId;
  let status;
  try {
    status = await route(ctx);
  } catch (e) {
    if (!(e instanceof BedrockError) && !res.destroyed)
      console.error(`bedrock-emulator: internal error: ${e.stack || e}`);
    const err = e instanceof BedrockError ? e : new BedrockError('InternalServerException', MSG.internal);
    status = res.headersSent || res.destroyed ? 0 : sendError(res, ctx.requestId, err.type, err.message);
  }
  state.finish(ctx.entry, status, started);
  if (!quiet)
    console.error(`${ctx.entry.time} ${req.method} ${ctx.entry.path} ${status} ${Date.now() - started}ms` +
      `${ctx.fault ? ` fault=${ctx.fault}` : ''}`);
}

function createHttp1(handler) {
  const server = http.createServer({
    keepAlive: true,
    keepAliveTimeout: 65_000,
    headersTimeout: 70_000,
    requestTimeout: 0,
    maxHeaderSize: 64 * 1024,
  }, handler);
  server.keepAliveTimeout = 65_000;
  server.maxHeadersCount = 200;
  server.maxRequestsPerSocket = 0;
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function createHttp2(handler) {
  const server = http2.createServer({
    maxSessionMemory: 64,
    settings: { maxConcurrentStreams: 1000 },
  }, handler);
  server.on('sessionError', () => {});
  return server;
}

// Creates (not yet listening) the emulator for a loaded config: one TCP
// listener that serves HTTP/1.1, and HTTP/2 with prior knowledge (h2c, what
// the AWS SDK's default HTTP/2 handler speaks on http:// endpoints), chosen
// by the connection's first bytes. close() ends every connection.
export function createEmulator(config, { quiet = false } = {}) {
  const state = new EmulatorState(config);
  const handler = (req, res) => { onRequest(state, quiet, req, res); };
  const h1 = createHttp1(handler);
  const h2 = createHttp2(handler);
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const idle = () => socket.destroy();
    socket.setTimeout(70_000, idle); // until the first bytes; then the protocol's own timeouts apply
    socket.once('readable', () => {
      socket.setTimeout(0);
      socket.off('timeout', idle);
      const head = socket.read();
      if (!head) return;
      socket.unshift(head);
      (head.subarray(0, 3).toString('latin1') === 'PRI' ? h2 : h1).emit('connection', socket);
    });
  });
  const close = (cb) => {
    server.close(cb);
    for (const s of sockets) s.destroy();
  };
  return { server, state, close };
}
