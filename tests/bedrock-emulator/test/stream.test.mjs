// ConverseStream: event-stream frames, CRCs, headers, order, pacing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startEmulator, signed, sendSigned, bearer, userMsg, json, decodeFrames, timedRequest, writeConfig, HAIKU,
} from '../testkit.mjs';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

let emu;
before(async () => {
  emu = await startEmulator(['--config', writeConfig({
    defaults: { latency_ms: 5, answer_words: 40, chunk_words: 4, chunk_delay_ms: 2 },
    models: { 'slow.stream-v1': { latency_ms: 5, answer_words: 24, chunk_words: 4, chunk_delay_ms: 40 } },
  })]);
});
after(async () => { await emu.stop(); });

test('converse-stream frames decode with CRCs, Bedrock headers and event order', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse-stream', userMsg('stream me'));
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
  assert.ok(res.headers['x-amzn-requestid']);
  const frames = decodeFrames(res.body);
  for (const f of frames) {
    assert.equal(f.headers[':message-type'], 'event');
    assert.equal(f.headers[':content-type'], 'application/json');
    assert.equal(Object.keys(f.headers).length, 3);
  }
  const types = frames.map((f) => f.headers[':event-type']);
  assert.equal(types[0], 'messageStart');
  assert.deepEqual(types.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
  const deltas = frames.filter((f) => f.headers[':event-type'] === 'contentBlockDelta');
  assert.ok(deltas.length >= 5, 'answer split into several chunks');
  assert.equal(frames[0].body.role, 'assistant');
  const text = deltas.map((f) => f.body.delta.text).join('');
  const meta = frames.at(-1).body;
  assert.equal(meta.usage.outputTokens, Math.ceil(text.length / 4));
  assert.equal(meta.usage.totalTokens, meta.usage.inputTokens + meta.usage.outputTokens);
  assert.equal(typeof meta.metrics.latencyMs, 'number');
  assert.equal(frames.at(-2).body.stopReason, 'end_turn');
  const plain = json(await sendSigned(emu.port, HAIKU, 'converse', userMsg('stream me')));
  assert.equal(text, plain.output.message.content[0].text, 'same answer as Converse');
  assert.deepEqual(plain.usage, meta.usage);
});

test('frames arrive spread over time (chunk_delay_ms), not in one burst', async () => {
  const s = await signed(emu.port, 'slow.stream-v1', 'converse-stream', userMsg('pace'));
  const res = await timedRequest(emu.port, s);
  assert.equal(res.status, 200);
  assert.ok(res.chunks.length >= 4, `got ${res.chunks.length} body chunks`);
  assert.ok(res.chunks.at(-1).t - res.chunks[0].t >= 150, 'about 6 deltas 40 ms apart');
  decodeFrames(res.body);
});

test('tool use streams contentBlockStart and toolUse input deltas', async () => {
  const toolConfig = { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object',
    properties: { q: { type: 'string' } }, required: ['q'] } } } }] };
  const frames = decodeFrames((await bearer(emu.port, HAIKU, 'converse-stream', userMsg('find', { toolConfig }))).body);
  const start = frames.find((f) => f.headers[':event-type'] === 'contentBlockStart');
  assert.equal(start.body.start.toolUse.name, 'lookup');
  const input = frames.filter((f) => f.headers[':event-type'] === 'contentBlockDelta')
    .map((f) => f.body.delta.toolUse.input).join('');
  assert.deepEqual(JSON.parse(input), { q: 'sample' });
  assert.equal(frames.find((f) => f.headers[':event-type'] === 'messageStop').body.stopReason, 'tool_use');
});

test('the AWS SDK ConverseStreamCommand reads the stream', async () => {
  const client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: emu.base,
    requestHandler: new NodeHttpHandler(),
    credentials: { accessKeyId: 'AKIATIERGATETEST0001', secretAccessKey: 'tiergate+test/secret/key/0000000000000000000' } });
  const out = await client.send(new ConverseStreamCommand({ modelId: HAIKU,
    messages: [{ role: 'user', content: [{ text: 'sdk [[words:10]]' }] }] }));
  let text = '';
  let usage;
  for await (const ev of out.stream) {
    if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    if (ev.metadata) usage = ev.metadata.usage;
  }
  assert.equal(text.split(' ').length, 10);
  assert.equal(usage.outputTokens, Math.ceil(text.length / 4));
});
