// Converse: response shape, usage accounting, tools, media, caching, model ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, sendSigned, bearer, userMsg, json, request, HAIKU } from '../testkit.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu.stop(); });

const tokens = (s) => Math.ceil([...s].length / 4);

test('Converse shape, usage consistent with prompt and answer, request id', async () => {
  const prompt = 'Explain prompt routing in one paragraph, please.';
  const system = 'You are terse.';
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg(prompt, { system: [{ text: system }] }));
  assert.equal(res.status, 200);
  assert.match(res.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/);
  assert.equal(res.headers['content-type'], 'application/json');
  const out = json(res);
  assert.deepEqual(Object.keys(out).sort(), ['metrics', 'output', 'stopReason', 'usage']);
  assert.equal(out.output.message.role, 'assistant');
  const text = out.output.message.content[0].text;
  assert.equal(text.split(' ').length, 40, 'answer_words of haiku in config.json');
  assert.ok(text.includes(HAIKU), 'answer names the model');
  assert.equal(out.stopReason, 'end_turn');
  assert.equal(out.usage.inputTokens, tokens(system + prompt));
  assert.equal(out.usage.outputTokens, tokens(text));
  assert.equal(out.usage.totalTokens, out.usage.inputTokens + out.usage.outputTokens);
  assert.ok(out.metrics.latencyMs >= 8, 'haiku latency_ms is 8');
  const again = json(await sendSigned(emu.port, HAIKU, 'converse', userMsg(prompt, { system: [{ text: system }] })));
  assert.equal(again.output.message.content[0].text, text, 'deterministic');
});

test('per-model answer length and [[words:N]] / [[latency:MS]] overrides', async () => {
  const sonnet = json(await bearer(emu.port, 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'converse', userMsg('q')));
  assert.equal(sonnet.output.message.content[0].text.split(' ').length, 80);
  const t0 = Date.now();
  const short = json(await bearer(emu.port, HAIKU, 'converse', userMsg('q [[words:3]] [[latency:200]]')));
  assert.ok(Date.now() - t0 >= 195);
  assert.equal(short.output.message.content[0].text, 'This is an');
  assert.ok(short.metrics.latencyMs >= 195);
});

test('inferenceConfig.maxTokens caps the answer with stopReason max_tokens', async () => {
  const out = json(await bearer(emu.port, HAIKU, 'converse', userMsg('q', { inferenceConfig: { maxTokens: 5 } })));
  assert.equal(out.stopReason, 'max_tokens');
  assert.equal(out.usage.outputTokens, 5);
  assert.equal(out.output.message.content[0].text.length, 20);
});

test('tool use round trip: toolUse first, text after a toolResult', async () => {
  const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather by city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'] } } } }] };
  const first = json(await bearer(emu.port, HAIKU, 'converse', userMsg('Weather in Paris?', { toolConfig })));
  assert.equal(first.stopReason, 'tool_use');
  const tu = first.output.message.content[0].toolUse;
  assert.equal(tu.name, 'get_weather');
  assert.deepEqual(tu.input, { city: 'sample' });
  assert.match(tu.toolUseId, /^tooluse_/);
  const messages = [
    { role: 'user', content: [{ text: 'Weather in Paris?' }] },
    first.output.message,
    { role: 'user', content: [{ toolResult: { toolUseId: tu.toolUseId, content: [{ json: { temp: 21 } }] } }] },
  ];
  const second = json(await bearer(emu.port, HAIKU, 'converse', { messages, toolConfig }));
  assert.equal(second.stopReason, 'end_turn');
  assert.ok(second.output.message.content[0].text.length > 0);
});

test('images and documents are accepted, validated and counted', async () => {
  const png = Buffer.alloc(7500, 1).toString('base64');
  const body = { messages: [{ role: 'user', content: [{ text: 'describe' },
    { image: { format: 'png', source: { bytes: png } } },
    { document: { format: 'txt', name: 'notes', source: { bytes: Buffer.from('x'.repeat(400)).toString('base64') } } }] }] };
  const out = json(await bearer(emu.port, HAIKU, 'converse', body));
  assert.equal(out.usage.inputTokens, tokens('describe') + 85 + 10 + 100);
  body.messages[0].content[1].image.source.bytes = '';
  const bad = await bearer(emu.port, HAIKU, 'converse', body);
  assert.equal(bad.status, 400);
  assert.equal(bad.headers['x-amzn-errortype'], 'ValidationException');
  body.messages[0].content[1].image.source.bytes = 'not base64!';
  assert.equal((await bearer(emu.port, HAIKU, 'converse', body)).status, 400);
});

test('cachePoint: first request writes the prefix, the next reads it', async () => {
  const sys = `You are a careful assistant. ${'Context sentence. '.repeat(50)} ${Date.now()}`;
  const body = userMsg('question', { system: [{ text: sys }, { cachePoint: { type: 'default' } }] });
  const a = json(await bearer(emu.port, HAIKU, 'converse', body));
  const b = json(await bearer(emu.port, HAIKU, 'converse', body));
  assert.equal(a.usage.cacheWriteInputTokens, tokens(sys));
  assert.equal(a.usage.cacheReadInputTokens, 0);
  assert.equal(b.usage.cacheReadInputTokens, tokens(sys));
  assert.equal(b.usage.cacheWriteInputTokens, 0);
  assert.equal(b.usage.inputTokens, tokens(sys + 'question') - tokens(sys));
  assert.equal(b.usage.totalTokens, b.usage.inputTokens + b.usage.outputTokens + b.usage.cacheReadInputTokens);
});

test('bad requests → 400 ValidationException in Bedrock shape', async () => {
  const cases = [
    '{not json',
    '[]',
    {},
    { messages: [] },
    { messages: [{ role: 'assistant', content: [{ text: 'x' }] }] },
    { messages: [{ role: 'user', content: [{ text: '  ' }] }] },
    { messages: [{ role: 'user', content: [{ text: 'x' }] }, { role: 'user', content: [{ text: 'y' }] }] },
    userMsg('x', { inferenceConfig: { maxTokens: 0 } }),
  ];
  for (const c of cases) {
    const res = await bearer(emu.port, HAIKU, 'converse', c);
    assert.equal(res.status, 400, JSON.stringify(c));
    assert.equal(res.headers['x-amzn-errortype'], 'ValidationException');
    assert.ok(json(res).message.length > 0);
  }
});

test('model ids: ARN and unknown-but-valid ids answered, garbage rejected', async () => {
  const arn = 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';
  const a = await sendSigned(emu.port, arn, 'converse', userMsg('x'));
  assert.equal(a.status, 200, a.body.toString());
  assert.equal(json(a).output.message.content[0].text.split(' ').length, 40);
  const profile = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0';
  assert.equal((await sendSigned(emu.port, profile, 'converse', userMsg('x'))).status, 200);
  const unknown = await bearer(emu.port, 'cohere.command-r-v1:0', 'converse', userMsg('x'));
  assert.equal(unknown.status, 200);
  for (const bad of ['garbage', 'no spaces allowed.x y', 'arn:aws:s3:::bucket']) {
    const res = await bearer(emu.port, bad, 'converse', userMsg('x'));
    assert.equal(res.status, 400, bad);
    assert.equal(json(res).message, 'The provided model identifier is invalid.');
  }
});

test('unknown operation → 404 UnknownOperationException', async () => {
  const res = await request(emu.port, { method: 'GET', path: '/model/x.y/converse' });
  assert.equal(res.status, 404);
  assert.equal(res.headers['x-amzn-errortype'], 'UnknownOperationException');
});
