// AWS's own SDK for JavaScript against tiergate behind lighttpd: the
// drop-in claim.  Started by tests/sdk/run.sh, which exports TG_URL (the
// gateway), EMU_URL (the emulator's control API), the SigV4 pair
// TG_AKID/TG_SECRET and the API key TG_KEY of tenant "acme", TG_RUN (the
// run directory, with the decision log) and TG_ACCOUNT_ID.  Routers are
// those of tests/e2e/lib.sh: "support" (Claude 3 Haiku / 3.5 Sonnet,
// fallback Haiku) and "mixed" (Llama + Claude).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { decodeFrames } from '../bedrock-emulator/testkit.mjs';

const { TG_URL, EMU_URL, TG_KEY, TG_AKID, TG_SECRET, TG_RUN, TG_ACCOUNT_ID } = process.env;
const ROUTER_ARN = `arn:aws:bedrock:us-east-1:${TG_ACCOUNT_ID}:prompt-router/support`;
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const SUPPORT = [HAIKU, SONNET];
const RUN = `${process.pid}-${Date.now()}`;

// The client as an application configures it for Bedrock, with tiergate's
// endpoint and a tiergate-issued key pair.  maxAttempts 1: the SDK's own
// retries would hide what the gateway answered.  HTTP/1.1 here (as behind
// most TLS proxies); the SDK's default HTTP/2 handler has its own test,
// on TG_H2_URL when the web server serves clear-text HTTP/2 on a port of its
// own (nginx 1.22), else on TG_URL.
function client({ secret = TG_SECRET, maxAttempts = 1, http2 = false, systemClockOffset = 0 } = {}) {
  return new BedrockRuntimeClient({
    region: 'us-east-1', endpoint: http2 ? (process.env.TG_H2_URL || TG_URL) : TG_URL,
    maxAttempts, systemClockOffset,
    credentials: { accessKeyId: TG_AKID, secretAccessKey: secret },
    ...(http2 ? {} : { requestHandler: new NodeHttpHandler() }),
  });
}

const user = (text, extra = []) => [{ role: 'user', content: [{ text }, ...extra] }];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const answeredBy = (text, model) => new RegExp(`^This is an emulated answer from ${escape(model)}\\.`).test(text);

async function readStream(stream) {
  const out = { kinds: [], text: '', toolInput: '', toolStart: null, metadata: null, stop: null };
  for await (const ev of stream) {
    const kind = Object.keys(ev).find((k) => ev[k] !== undefined);
    out.kinds.push(kind);
    if (ev.contentBlockDelta?.delta?.text) out.text += ev.contentBlockDelta.delta.text;
    if (ev.contentBlockDelta?.delta?.toolUse) out.toolInput += ev.contentBlockDelta.delta.toolUse.input;
    if (ev.contentBlockStart?.start?.toolUse) out.toolStart = ev.contentBlockStart.start.toolUse;
    if (ev.messageStop) out.stop = ev.messageStop.stopReason;
    if (ev.metadata) out.metadata = ev.metadata;
  }
  return out;
}

// The decision log line of one request (written once the stream ended).
async function decision(requestId) {
  for (let i = 0; i < 100; i++) {
    const lines = readFileSync(`${TG_RUN}/decisions.jsonl`, 'utf8').split('\n').filter(Boolean);
    const d = lines.map((l) => JSON.parse(l)).find((x) => x.request_id === requestId);
    if (d) return d;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no decision logged for ${requestId}`);
}

async function emulatorLog() {
  return (await fetch(`${EMU_URL}/_emulator/log`)).json();
}

test('ConverseCommand with a router ARN: trace.promptRouter.invokedModelId', async () => {
  const out = await client().send(new ConverseCommand({
    modelId: ROUTER_ARN, messages: user('What is the capital of France?'),
  }));
  const id = out.trace?.promptRouter?.invokedModelId;
  assert.ok(SUPPORT.includes(id), `invokedModelId ${id}`);
  assert.ok(answeredBy(out.output.message.content[0].text, id), 'the model named in the trace answered');
  assert.equal(out.stopReason, 'end_turn');
  assert.ok(out.usage.inputTokens > 0 && out.usage.outputTokens > 0);
  const d = await decision(out.$metadata.requestId);
  assert.equal(d.router, 'support');
  assert.equal(d.model, id);
  assert.equal(d.tenant, 'acme', 'SigV4 key pair authenticated as its tenant');
});

test('ConverseStreamCommand with a router ARN: events, usage, invokedModelId in metadata', async () => {
  const out = await client().send(new ConverseStreamCommand({
    modelId: ROUTER_ARN, messages: user('Explain event streams in one paragraph.'),
  }));
  const s = await readStream(out.stream);
  assert.equal(s.kinds[0], 'messageStart');
  assert.deepEqual(s.kinds.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
  assert.ok(s.kinds.filter((k) => k === 'contentBlockDelta').length >= 3, 'several deltas');
  const id = s.metadata.trace?.promptRouter?.invokedModelId;
  assert.ok(SUPPORT.includes(id), `invokedModelId ${id}`);
  assert.ok(answeredBy(s.text, id));
  assert.equal(s.stop, 'end_turn');
  assert.equal(s.metadata.usage.outputTokens, Math.ceil(s.text.length / 4));
  // Usage read from the relayed metadata event reached the decision log.
  const d = await decision(out.$metadata.requestId);
  assert.equal(d.api, 'converse-stream');
  assert.equal(d.model, id);
  assert.equal(d.status, 200);
  assert.equal(d.input_tokens, s.metadata.usage.inputTokens);
  assert.equal(d.output_tokens, s.metadata.usage.outputTokens);
  assert.ok(d.cost > 0 && d.cf_cost >= d.cost, `cost ${d.cost}, counterfactual ${d.cf_cost}`);
});

const weatherTool = {
  tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather for a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }],
};

test('tool use round trip: toolConfig -> toolUse -> toolResult -> text', async () => {
  const c = client();
  const messages = user('What is the weather in Paris?');
  const r1 = await c.send(new ConverseCommand({ modelId: ROUTER_ARN, messages, toolConfig: weatherTool }));
  assert.equal(r1.stopReason, 'tool_use');
  const tu = r1.output.message.content.find((b) => b.toolUse)?.toolUse;
  assert.equal(tu.name, 'get_weather');
  assert.deepEqual(tu.input, { city: 'sample' });
  assert.ok(SUPPORT.includes(r1.trace.promptRouter.invokedModelId));
  messages.push(r1.output.message);
  messages.push({ role: 'user', content: [{ toolResult: { toolUseId: tu.toolUseId,
    content: [{ json: { city: 'Paris', tempC: 21 } }] } }] });
  const r2 = await c.send(new ConverseCommand({ modelId: ROUTER_ARN, messages, toolConfig: weatherTool }));
  assert.equal(r2.stopReason, 'end_turn');
  const id = r2.trace.promptRouter.invokedModelId;
  assert.ok(answeredBy(r2.output.message.content[0].text, id));
});

test('tool use streamed: contentBlockStart toolUse and input deltas', async () => {
  const out = await client().send(new ConverseStreamCommand({
    modelId: ROUTER_ARN, messages: user('Weather in Oslo?'), toolConfig: weatherTool,
  }));
  const s = await readStream(out.stream);
  assert.equal(s.toolStart?.name, 'get_weather');
  assert.deepEqual(JSON.parse(s.toolInput), { city: 'sample' });
  assert.equal(s.stop, 'tool_use');
  assert.ok(SUPPORT.includes(s.metadata.trace.promptRouter.invokedModelId));
});

test('an image block is passed through to the model (its tokens are counted upstream)', async () => {
  const bytes = new Uint8Array(3000);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const c = client();
  const text = 'Describe this picture.';
  const plain = await c.send(new ConverseCommand({ modelId: ROUTER_ARN, messages: user(text) }));
  const withImage = await c.send(new ConverseCommand({ modelId: ROUTER_ARN,
    messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes } } }, { text }] }] }));
  // The emulator counts an image as 85 + ceil(bytes / 750) tokens.
  assert.equal(withImage.usage.inputTokens - plain.usage.inputTokens, 85 + Math.ceil(3000 / 750));
  assert.ok(SUPPORT.includes(withImage.trace.promptRouter.invokedModelId));
  const out = await c.send(new ConverseStreamCommand({ modelId: ROUTER_ARN,
    messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes } } }, { text }] }] }));
  const s = await readStream(out.stream);
  assert.equal(s.metadata.usage.inputTokens, withImage.usage.inputTokens);
});

test('ThrottlingException when the upstream throttles past retries and fallback', async () => {
  const tag = `sdk-throttle-${RUN}`;
  await assert.rejects(client().send(new ConverseCommand({ modelId: ROUTER_ARN,
    messages: user(`hello [[fault:429 x20 #${tag}]]`) })), (e) => {
    assert.equal(e.name, 'ThrottlingException');
    assert.equal(e.$metadata.httpStatusCode, 429);
    return true;
  });
  const hits = (await emulatorLog()).filter((x) => x.tag === tag);
  // tiergate retried (2 retries in the e2e config) and, when the policy
  // chose Sonnet, tried the fallback Haiku as well.
  assert.ok(hits.length === 3 || hits.length === 6, `${hits.length} upstream attempts`);
  assert.ok(hits.every((x) => x.status === 429));
  assert.ok(hits.some((x) => x.model === HAIKU), 'the fallback (or the choice) was Haiku');
});

test('ConverseStreamCommand: a throttle before the first byte is an HTTP ThrottlingException', async () => {
  const tag = `sdk-throttle-stream-${RUN}`;
  await assert.rejects(client().send(new ConverseStreamCommand({ modelId: ROUTER_ARN,
    messages: user(`hello [[fault:429 x20 #${tag}]]`) })), (e) => {
    assert.equal(e.name, 'ThrottlingException');
    assert.equal(e.$metadata.httpStatusCode, 429);
    return true;
  });
});

test('the fallback model serves a stream when the chosen model fails before any byte', async () => {
  const tag = `sdk-fb-${RUN}`;
  // x3: exactly the chosen model's three attempts fail; the fallback gets through.
  let out, err;
  try {
    out = await client().send(new ConverseStreamCommand({ modelId: ROUTER_ARN,
      messages: user(`Write a detailed, careful proof with many steps. [[fault:503 x3 #${tag}]]`) }));
  } catch (e) {
    err = e;
  }
  const d = await decision((out ?? err).$metadata.requestId);
  if (d.chosen === HAIKU) {
    // The policy chose the fallback itself: nothing else to try.
    assert.equal(err?.name, 'ServiceUnavailableException');
    assert.equal(d.status, 503);
    return;
  }
  assert.equal(err, undefined, `chose ${d.chosen}, fallback should have served`);
  const s = await readStream(out.stream);
  assert.equal(s.metadata.trace.promptRouter.invokedModelId, HAIKU);
  assert.ok(answeredBy(s.text, HAIKU));
  assert.equal(d.fallback, 'upstream');
  assert.equal(d.model, HAIKU);
});

test('mid-stream errors reach the SDK as ModelStreamErrorException', async () => {
  for (const fault of ['mid_stream_error', 'stream_reset', 'truncated']) {
    const out = await client().send(new ConverseStreamCommand({ modelId: 'support',
      messages: user(`[[words:200]] stream then break [[fault:${fault} #sdk-${fault}-${RUN}]]`) }));
    let text = '';
    await assert.rejects((async () => {
      for await (const ev of out.stream) text += ev.contentBlockDelta?.delta?.text ?? '';
    })(), (e) => {
      assert.equal(e.name, 'ModelStreamErrorException', `${fault}: ${e.name}: ${e.message}`);
      return true;
    });
    assert.ok(text.length > 0, `${fault}: text before the error`);
    const d = await decision(out.$metadata.requestId);
    assert.notEqual(d.upstream_error, null, `${fault}: recorded as an upstream error`);
  }
});

test('a wrong secret is refused with the SDK\'s signature error', async () => {
  for (const Cmd of [ConverseCommand, ConverseStreamCommand]) {
    await assert.rejects(client({ secret: 'not-the-secret/0000000000000000000000000' })
      .send(new Cmd({ modelId: ROUTER_ARN, messages: user('hi') })), (e) => {
      assert.equal(e.name, 'InvalidSignatureException');
      assert.equal(e.$metadata.httpStatusCode, 403);
      assert.match(e.message, /signature/i);
      return true;
    });
  }
});

test('a signature more than 5 minutes off is refused; 4 minutes is accepted', async () => {
  for (const minutes of [-6, 6]) {
    await assert.rejects(client({ systemClockOffset: minutes * 60000 })
      .send(new ConverseCommand({ modelId: ROUTER_ARN, messages: user('hi') })), (e) => {
      assert.equal(e.name, 'InvalidSignatureException', `${minutes} min: ${e.message}`);
      assert.equal(e.$metadata.httpStatusCode, 403);
      return true;
    });
  }
  const out = await client({ systemClockOffset: -4 * 60000 })
    .send(new ConverseCommand({ modelId: ROUTER_ARN, messages: user('hi') }));
  assert.ok(SUPPORT.includes(out.trace.promptRouter.invokedModelId));
});

test('upstream, every call was re-signed with tiergate\'s own credentials', async () => {
  const log = await emulatorLog();
  assert.ok(log.length >= 20, `${log.length} upstream requests`);
  for (const x of log) {
    assert.equal(x.auth_kind, 'sigv4', x.path);
    assert.equal(x.signature_ok, true, x.path);
  }
});

test('InvokeModelCommand: native body routed, trace in the answer; mixed router refused', async () => {
  const c = client();
  const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 200,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Name three colours.' }] }] });
  const out = await c.send(new InvokeModelCommand({ modelId: ROUTER_ARN, body,
    contentType: 'application/json', accept: 'application/json' }));
  const j = JSON.parse(Buffer.from(out.body).toString('utf8'));
  const id = j['amazon-bedrock-trace']?.promptRouter?.invokedModelId;
  assert.ok(SUPPORT.includes(id));
  assert.ok(answeredBy(j.content[0].text, id));
  const d = await decision(out.$metadata.requestId);
  assert.equal(d.api, 'invoke');
  assert.equal(d.input_tokens, j.usage.input_tokens);
  assert.equal(d.output_tokens, j.usage.output_tokens);
  await assert.rejects(c.send(new InvokeModelCommand({ modelId: 'mixed',
    body: JSON.stringify({ prompt: 'hi' }), contentType: 'application/json' })), (e) => {
    assert.equal(e.name, 'ValidationException');
    assert.match(e.message, /router mixed mixes providers meta, anthropic/);
    return true;
  });
});

test('InvokeModelWithResponseStreamCommand: chunks relayed, usage and trace in the last one', async () => {
  const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 300,
    messages: [{ role: 'user', content: 'Tell me about rivers.' }] });
  const out = await client().send(new InvokeModelWithResponseStreamCommand({ modelId: 'support', body,
    contentType: 'application/json' }));
  const chunks = [];
  for await (const ev of out.body) chunks.push(JSON.parse(Buffer.from(ev.chunk.bytes).toString('utf8')));
  assert.equal(chunks[0].type, 'message_start');
  const last = chunks.at(-1);
  const id = last['amazon-bedrock-trace'].promptRouter.invokedModelId;
  assert.ok(SUPPORT.includes(id));
  const text = chunks.filter((c) => c.delta?.type === 'text_delta').map((c) => c.delta.text).join('');
  assert.ok(answeredBy(text, id));
  const d = await decision(out.$metadata.requestId);
  assert.equal(d.output_tokens, last['amazon-bedrock-invocationMetrics'].outputTokenCount);
  assert.equal(d.input_tokens, last['amazon-bedrock-invocationMetrics'].inputTokenCount);
  // A plain model id passes through untouched (Llama's native schema).
  const llama = await client().send(new InvokeModelCommand({ modelId: 'meta.llama3-1-8b-instruct-v1:0',
    body: JSON.stringify({ prompt: 'Why is the sky blue?', max_gen_len: 64 }), contentType: 'application/json' }));
  const lj = JSON.parse(Buffer.from(llama.body).toString('utf8'));
  assert.ok(answeredBy(lj.generation, 'meta.llama3-1-8b-instruct-v1:0'));
  assert.equal(lj['amazon-bedrock-trace'], undefined, 'no router, no trace');
});

test('Bearer API key with plain fetch: converse-stream frames and headers', async () => {
  const res = await fetch(`${TG_URL}/model/support/converse-stream`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TG_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: user('Hello over a bearer key') }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.amazon.eventstream');
  assert.equal(res.headers.get('x-tiergate-router'), 'support');
  const model = res.headers.get('x-tiergate-model');
  assert.ok(SUPPORT.includes(model));
  const frames = decodeFrames(Buffer.from(await res.arrayBuffer()));   // checks both CRCs of each
  const meta = frames.at(-1);
  assert.equal(meta.headers[':event-type'], 'metadata');
  assert.equal(meta.body.trace.promptRouter.invokedModelId, model);
  const bad = await fetch(`${TG_URL}/model/support/converse-stream`, {
    method: 'POST', headers: { authorization: 'Bearer tg-not-a-key', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: user('hi') }),
  });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers.get('x-amzn-errortype'), 'AccessDeniedException');
});

test('a client that goes away stops the upstream transfer', async () => {
  // 20000 words at 4 words per frame and 2 ms per frame: about 10 s upstream.
  const model = `example.abort-${RUN}-v1`;
  const ac = new AbortController();
  const res = await fetch(`${TG_URL}/model/${model}/converse-stream`, {
    method: 'POST', signal: ac.signal,
    headers: { authorization: `Bearer ${TG_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: user('a very long answer please [[words:20000]]') }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const first = await reader.read();
  assert.ok(first.value.length > 0);
  const t0 = Date.now();
  ac.abort();
  let entry;
  for (let i = 0; i < 100 && !(entry && entry.status !== null); i++) {
    await new Promise((r) => setTimeout(r, 50));
    entry = (await emulatorLog()).find((x) => x.model === model);
  }
  assert.ok(entry && entry.status !== null, 'the upstream request ended');
  assert.ok(Date.now() - t0 < 3000, `upstream stopped ${Date.now() - t0} ms after the abort`);
  assert.ok(entry.duration_ms < 5000, `upstream ran ${entry.duration_ms} ms of ~10000`);
});

test('the SDK\'s default handler (HTTP/2, signs :authority) works through lighttpd', async () => {
  const c = client({ http2: true });
  const out = await c.send(new ConverseCommand({ modelId: ROUTER_ARN, messages: user('Over HTTP/2') }));
  assert.ok(SUPPORT.includes(out.trace.promptRouter.invokedModelId));
  const st = await c.send(new ConverseStreamCommand({ modelId: ROUTER_ARN, messages: user('Stream over HTTP/2') }));
  const s = await readStream(st.stream);
  assert.ok(answeredBy(s.text, s.metadata.trace.promptRouter.invokedModelId));
  c.destroy();
});
