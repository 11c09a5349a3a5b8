// InvokeModel / InvokeModelWithResponseStream: native bodies per provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, sendSigned, bearer, json, decodeFrames, HAIKU } from '../testkit.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu.stop(); });

const tokens = (s) => Math.ceil([...s].length / 4);
const CASES = {
  anthropic: [HAIKU, { anthropic_version: 'bedrock-2023-05-31', max_tokens: 200,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello Claude' }] }] }],
  meta: ['meta.llama3-1-70b-instruct-v1:0', { prompt: 'Hello Llama', max_gen_len: 300 }],
  mistral: ['mistral.mistral-large-2407-v1:0', { prompt: '<s>[INST] Hello Mistral [/INST]', max_tokens: 300 }],
  nova: ['amazon.nova-micro-v1:0', { schemaVersion: 'messages-v1',
    messages: [{ role: 'user', content: [{ text: 'Hello Nova' }] }], inferenceConfig: { max_new_tokens: 300 } }],
};

function checkHeaders(res, input, output) {
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers['x-amzn-bedrock-input-token-count'], String(input));
  assert.equal(res.headers['x-amzn-bedrock-output-token-count'], String(output));
  assert.ok(res.headers['x-amzn-requestid']);
}

test('anthropic messages API body', async () => {
  const [model, body] = CASES.anthropic;
  const out = json(await sendSigned(emu.port, model, 'invoke', body));
  assert.equal(out.type, 'message');
  assert.equal(out.role, 'assistant');
  assert.match(out.id, /^msg_bdrk_/);
  assert.equal(out.content[0].type, 'text');
  assert.equal(out.stop_reason, 'end_turn');
  assert.equal(out.usage.input_tokens, tokens('Hello Claude'));
  assert.equal(out.usage.output_tokens, tokens(out.content[0].text));
  checkHeaders(await sendSigned(emu.port, model, 'invoke', body), out.usage.input_tokens, out.usage.output_tokens);
  const capped = json(await bearer(emu.port, model, 'invoke', { ...body, max_tokens: 3 }));
  assert.equal(capped.stop_reason, 'max_tokens');
  assert.equal(capped.usage.output_tokens, 3);
  const missing = await bearer(emu.port, model, 'invoke', { messages: body.messages, anthropic_version: 'x' });
  assert.equal(missing.status, 400);
  assert.match(json(missing).message, /max_tokens/);
});

test('meta llama body', async () => {
  const [model, body] = CASES.meta;
  const res = await bearer(emu.port, model, 'invoke', body);
  const out = json(res);
  assert.deepEqual(Object.keys(out).sort(), ['generation', 'generation_token_count', 'prompt_token_count', 'stop_reason']);
  assert.equal(out.prompt_token_count, tokens('Hello Llama'));
  assert.equal(out.generation_token_count, tokens(out.generation));
  assert.equal(out.stop_reason, 'stop');
  checkHeaders(res, out.prompt_token_count, out.generation_token_count);
  assert.equal((await bearer(emu.port, model, 'invoke', { max_gen_len: 5 })).status, 400);
});

test('mistral body', async () => {
  const [model, body] = CASES.mistral;
  const out = json(await bearer(emu.port, model, 'invoke', body));
  assert.equal(out.outputs.length, 1);
  assert.equal(out.outputs[0].stop_reason, 'stop');
  assert.ok(out.outputs[0].text.includes(model));
});

test('amazon nova messages-v1 body', async () => {
  const [model, body] = CASES.nova;
  const out = json(await bearer(emu.port, model, 'invoke', body));
  assert.equal(out.output.message.role, 'assistant');
  assert.equal(out.stopReason, 'end_turn');
  assert.equal(out.usage.inputTokens, tokens('Hello Nova'));
  assert.equal(out.usage.outputTokens, tokens(out.output.message.content[0].text));
});

test('invoke-with-response-stream: chunk events carrying base64 JSON', async () => {
  for (const [name, [model, body]] of Object.entries(CASES)) {
    const res = await bearer(emu.port, model, 'invoke-with-response-stream', body);
    assert.equal(res.status, 200, name);
    assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.equal(res.headers['x-amzn-bedrock-content-type'], 'application/json');
    const frames = decodeFrames(res.body);
    assert.ok(frames.length >= 3, name);
    const payloads = frames.map((f) => {
      assert.equal(f.headers[':event-type'], 'chunk');
      assert.equal(f.headers[':message-type'], 'event');
      return JSON.parse(Buffer.from(f.body.bytes, 'base64').toString('utf8'));
    });
    const metrics = payloads.at(-1)['amazon-bedrock-invocationMetrics'];
    assert.ok(metrics && metrics.outputTokenCount > 0, name);
    let text = '';
    if (name === 'anthropic') {
      assert.equal(payloads[0].type, 'message_start');
      assert.equal(payloads.at(-1).type, 'message_stop');
      text = payloads.filter((p) => p.type === 'content_block_delta').map((p) => p.delta.text).join('');
    } else if (name === 'meta') text = payloads.map((p) => p.generation).join('');
    else if (name === 'mistral') text = payloads.map((p) => p.outputs[0].text).join('');
    else text = payloads.filter((p) => p.contentBlockDelta).map((p) => p.contentBlockDelta.delta.text).join('');
    assert.equal(metrics.outputTokenCount, tokens(text), name);
    assert.ok(text.includes(model), name);
  }
});
