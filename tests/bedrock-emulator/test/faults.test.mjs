// Fault injection: every fault type, in-prompt markers (counted per marker
// string), the control API queue, log and stats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  startEmulator, bearer, request, userMsg, json, decodeFrames, writeConfig, modelPath, timedRequest,
  codec, crc32, BEARER, HAIKU,
} from '../testkit.mjs';

let emu;
before(async () => {
  emu = await startEmulator(['--config', writeConfig({ slow_ms: 400, oversized_bytes: 2 * 1024 * 1024 })]);
});
after(async () => { await emu.stop(); });

let n = 0;
const tag = () => `t${process.pid}-${++n}`;
const post = (body, api = 'converse', model = HAIKU) => bearer(emu.port, model, api, body);
const control = (method, path, body) => request(emu.port, { method, path,
  headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });

const ERROR_FAULTS = [
  ['429', 429, 'ThrottlingException'],
  ['model_not_ready', 429, 'ModelNotReadyException'],
  ['500', 500, 'InternalServerException'],
  ['503', 503, 'ServiceUnavailableException'],
  ['408', 408, 'ModelTimeoutException'],
  ['400', 400, 'ValidationException'],
];

for (const [fault, status, type] of ERROR_FAULTS) {
  test(`marker fault ${fault} → ${status} ${type}, converse and converse-stream`, async () => {
    for (const api of ['converse', 'converse-stream', 'invoke']) {
      const body = api === 'invoke' ? { prompt: `[[fault:${fault} #${tag()}]]` } : userMsg(`hi [[fault:${fault} #${tag()}]]`);
      const res = await post(body, api, api === 'invoke' ? 'meta.llama3-1-8b-instruct-v1:0' : HAIKU);
      assert.equal(res.status, status, api);
      assert.equal(res.headers['x-amzn-errortype'], type);
      assert.ok(res.headers['x-amzn-requestid']);
      assert.ok(json(res).message.length > 0);
    }
  });
}

test('markers apply to the first N requests carrying that exact marker', async () => {
  const t = tag();
  const m = `[[fault:429 x2 #${t}]]`;
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await post(userMsg(`q${i} ${m}`))).status);
  assert.deepEqual(statuses, [429, 429, 200, 200]);
  assert.equal((await post(userMsg(`[[fault:429 x2 #${t}-other]]`))).status, 429, 'other tag counts separately');
  assert.equal((await post(userMsg(`[[fault:503 x2 #${t}]]`))).status, 503, 'other fault, other marker string');
  const always = `[[fault:500 x* #${t}]]`;
  for (let i = 0; i < 3; i++) assert.equal((await post(userMsg(always))).status, 500);
});

test('control API: queued faults per model and for "*", log and stats', async () => {
  const model = 'mistral.mixtral-8x7b-instruct-v0:1';
  let r = await control('POST', '/_emulator/faults', { model, fault: '503', count: 2 });
  assert.equal(r.status, 200);
  assert.equal((await post(userMsg('a'), 'converse', HAIKU)).status, 200, 'other model unaffected');
  assert.equal((await post(userMsg('a'), 'converse', model)).status, 503);
  assert.equal((await post(userMsg('a'), 'converse', model)).status, 503);
  assert.equal((await post(userMsg('a'), 'converse', model)).status, 200);
  await control('POST', '/_emulator/faults', { model: '*', fault: 'model_not_ready', count: 1 });
  assert.deepEqual(json(await control('GET', '/_emulator/faults')), [{ model: '*', fault: 'model_not_ready', count: 1 }]);
  const res = await post(userMsg('a'), 'converse', 'amazon.nova-lite-v1:0');
  assert.equal(res.headers['x-amzn-errortype'], 'ModelNotReadyException');
  r = await control('POST', '/_emulator/faults', { model: '*', fault: 'bogus' });
  assert.equal(r.status, 400);
  const log = json(await control('GET', '/_emulator/log'));
  const last = log.at(-1);
  assert.equal(last.model, 'amazon.nova-lite-v1:0');
  assert.equal(last.api, 'converse');
  assert.equal(last.fault_applied, 'model_not_ready');
  assert.equal(last.status, 429);
  assert.equal(last.auth_kind, 'bearer');
  for (const k of ['time', 'method', 'path', 'signature_ok']) assert.ok(k in last, k);
  const stats = json(await control('GET', '/_emulator/stats'));
  assert.ok(stats.requests >= 5);
  assert.ok(stats.by_model[model] >= 3);
  assert.ok(stats.by_status['503'] >= 2);
  assert.equal(json(await control('POST', '/_emulator/reset')).ok, true);
  assert.deepEqual(json(await control('GET', '/_emulator/log')), []);
  await control('POST', '/_emulator/faults', { model, fault: '500', count: 3 });
  await control('POST', '/_emulator/reset');
  assert.equal((await post(userMsg('a'), 'converse', model)).status, 200, 'reset clears faults');
});

test('slow_headers waits slow_ms before answering', async () => {
  const t0 = Date.now();
  const res = await post(userMsg(`[[fault:slow_headers #${tag()}]]`));
  assert.equal(res.status, 200);
  assert.ok(Date.now() - t0 >= 390);
});

test('reset destroys the connection without an answer', async () => {
  await assert.rejects(post(userMsg(`[[fault:reset #${tag()}]]`)), /ECONNRESET|socket hang up/);
  assert.equal((await post(userMsg('after reset'))).status, 200);
});

test('truncated: Content-Length larger than the body actually sent', async () => {
  const err = await new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: emu.port, method: 'POST', path: modelPath(HAIKU),
      headers: { authorization: `Bearer ${BEARER}` } }, (res) => {
      let got = 0;
      res.on('data', (c) => { got += c.length; });
      res.on('aborted', () => resolve({ got, len: Number(res.headers['content-length']) }));
      res.on('error', () => {});
      res.on('end', () => resolve({ got, len: Number(res.headers['content-length']), ended: true }));
    });
    req.end(JSON.stringify(userMsg(`[[fault:truncated #${tag()}]]`)));
  });
  assert.ok(!err.ended, 'body must not end cleanly');
  assert.ok(err.got > 0 && err.got < err.len, `${err.got} of ${err.len}`);
});

test('oversized: a valid JSON answer of oversized_bytes', async () => {
  const res = await post(userMsg(`[[fault:oversized #${tag()}]]`));
  assert.equal(res.status, 200);
  assert.ok(res.body.length > 2 * 1024 * 1024);
  const out = json(res);
  assert.equal(out.output.message.content[0].text.length, 2 * 1024 * 1024);
  assert.equal(out.usage.outputTokens, 2 * 1024 * 1024 / 4);
});

test('not_json: 200 with an HTML body', async () => {
  const res = await post(userMsg(`[[fault:not_json #${tag()}]]`));
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/html/);
  assert.throws(() => json(res));
});

test('mid_stream_error: some frames, then an exception frame', async () => {
  const res = await post(userMsg(`[[fault:mid_stream_error #${tag()}]]`), 'converse-stream');
  assert.equal(res.status, 200);
  const frames = decodeFrames(res.body);
  assert.equal(frames[0].headers[':event-type'], 'messageStart');
  assert.ok(frames.some((f) => f.headers[':event-type'] === 'contentBlockDelta'));
  const last = frames.at(-1);
  assert.equal(last.headers[':message-type'], 'exception');
  assert.equal(last.headers[':exception-type'], 'modelStreamErrorException');
  assert.ok(last.body.message.length > 0);
  assert.ok(!frames.some((f) => f.headers[':event-type'] === 'metadata'));
});

test('stream_reset: some frames, then the connection is destroyed', async () => {
  const body = JSON.stringify(userMsg(`[[fault:stream_reset #${tag()}]]`));
  const e = await timedRequest(emu.port, { path: modelPath(HAIKU, 'converse-stream'),
    headers: { authorization: `Bearer ${BEARER}` }, body }).then(() => null, (x) => x);
  assert.ok(e, 'stream must fail');
  const got = Buffer.concat((e.chunks ?? []).map((c) => c.c));
  assert.ok(got.length > 0, 'some frames arrived first');
  const first = codec.decode(got.subarray(0, got.readUInt32BE(0)));
  assert.equal(first.headers[':event-type'].value, 'messageStart');
  assert.equal(crc32(got.subarray(0, 8)), got.readUInt32BE(8));
});

test('stream_stall: some frames, silence for slow_ms, then the rest', async () => {
  const body = JSON.stringify(userMsg(`[[fault:stream_stall #${tag()}]]`));
  const res = await timedRequest(emu.port, { path: modelPath(HAIKU, 'converse-stream'),
    headers: { authorization: `Bearer ${BEARER}` }, body });
  const times = res.chunks.map((c) => c.t);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  assert.ok(gap >= 390, `a pause of slow_ms (400 ms) between frames, got ${gap} ms`);
  const frames = decodeFrames(Buffer.concat(res.chunks.map((c) => c.c)));
  assert.equal(frames.at(-1).headers[':event-type'], 'metadata', 'the stream ends normally');
});

test('stream_throttled: a throttlingException frame and nothing else; 429 without a stream', async () => {
  const res = await post(userMsg(`[[fault:stream_throttled #${tag()}]]`), 'converse-stream');
  assert.equal(res.status, 200);
  const frames = decodeFrames(res.body);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].headers[':message-type'], 'exception');
  assert.equal(frames[0].headers[':exception-type'], 'throttlingException');
  assert.equal((await post(userMsg(`[[fault:stream_throttled #${tag()}]]`))).status, 429);
});

test('stream faults on non-stream APIs: mid_stream_error → 500, stream_reset → reset', async () => {
  assert.equal((await post(userMsg(`[[fault:mid_stream_error #${tag()}]]`))).status, 500);
  await assert.rejects(post(userMsg(`[[fault:stream_reset #${tag()}]]`)));
});

test('faults are not consumed by requests that fail authentication', async () => {
  const t = tag();
  const body = JSON.stringify(userMsg(`[[fault:429 x1 #${t}]]`));
  const bad = await request(emu.port, { path: modelPath(HAIKU), headers: { authorization: 'Bearer nope' }, body });
  assert.equal(bad.status, 403);
  assert.equal((await post(userMsg(`[[fault:429 x1 #${t}]]`))).status, 429);
});

test('log entries carry the marker tag, also once the fault is used up; ?tag= and ?model= filter', async () => {
  const t = tag();
  for (let i = 0; i < 3; i++) await post(userMsg(`r${i} [[fault:429 x2 #${t}]]`));
  const log = json(await control('GET', `/_emulator/log?tag=${t}`));
  assert.deepEqual(log.map((e) => [e.fault_applied, e.status]), [['429', 429], ['429', 429], [null, 200]]);
  const plain = `plain-${t}`;
  await post(userMsg(`labelled [[tag:${plain}]]`), 'converse', 'amazon.nova-micro-v1:0');
  const mine = json(await control('GET', `/_emulator/log?tag=${plain}`));
  assert.equal(mine.length, 1);
  assert.equal(mine[0].model, 'amazon.nova-micro-v1:0');
  const byModel = json(await control('GET', `/_emulator/log?model=${encodeURIComponent('amazon.nova-micro-v1:0')}`));
  assert.ok(byModel.length >= 1 && byModel.every((e) => e.model === 'amazon.nova-micro-v1:0'));
});
