// HTTP/2 with prior knowledge (h2c): the AWS SDK's default handler for
// Bedrock Runtime. SigV4 then signs ':authority' instead of 'host'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { startEmulator, decodeFrames, KEY_ID, SECRET, BEARER, HAIKU } from '../testkit.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu.stop(); });

const client = (secretAccessKey) => new BedrockRuntimeClient({ region: 'us-east-1', endpoint: emu.base,
  maxAttempts: 1, credentials: { accessKeyId: KEY_ID, secretAccessKey } });
const msgs = (text) => [{ role: 'user', content: [{ text }] }];

test('the SDK with its default HTTP/2 handler: Converse, ConverseStream, wrong secret', async () => {
  const c = client(SECRET);
  try {
    const out = await c.send(new ConverseCommand({ modelId: HAIKU, messages: msgs('h2 [[words:9]]') }));
    assert.equal(out.output.message.content[0].text.split(' ').length, 9);
    const s = await c.send(new ConverseStreamCommand({ modelId: HAIKU, messages: msgs('h2 [[words:9]]') }));
    let text = '';
    for await (const ev of s.stream) if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    assert.equal(text, out.output.message.content[0].text);
    await assert.rejects(client('wrong').send(new ConverseCommand({ modelId: HAIKU, messages: msgs('x') })),
      (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
    await assert.rejects(c.send(new ConverseCommand({ modelId: HAIKU, messages: msgs('[[fault:503 #h2-503]]') })),
      (e) => e.name === 'ServiceUnavailableException');
  } finally {
    c.destroy();
  }
});

test('raw h2c stream: event-stream frames and a stream reset fault', async () => {
  const session = http2.connect(emu.base);
  const call = (text) => new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': `/model/${encodeURIComponent(HAIKU)}/converse-stream`,
      authorization: `Bearer ${BEARER}`, 'content-type': 'application/json' });
    const chunks = [];
    let headers;
    req.on('response', (h) => { headers = h; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }));
    req.on('error', (e) => reject(Object.assign(e, { chunks })));
    req.end(JSON.stringify({ messages: msgs(text) }));
  });
  try {
    const ok = await call('frames');
    assert.equal(ok.headers[':status'], 200);
    assert.equal(ok.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.ok(ok.headers['x-amzn-requestid']);
    assert.equal(decodeFrames(ok.body).at(-1).headers[':event-type'], 'metadata');
    const e = await call('[[fault:stream_reset #h2-reset]]').then(() => null, (x) => x);
    assert.ok(e && e.code === 'ERR_HTTP2_STREAM_ERROR', String(e));
    assert.ok(Buffer.concat(e.chunks).length > 0);
    assert.equal((await call('after reset')).headers[':status'], 200, 'session survives a stream reset');
  } finally {
    session.close();
  }
});
