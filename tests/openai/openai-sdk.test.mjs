// The official `openai` SDK against tiergate's /v1 behind lighttpd: the
// "change the base URL and the model name" claim.  Routers are those of
// tests/e2e/lib.sh: "support" (Claude 3 Haiku / 3.5 Sonnet, fallback Haiku).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import {
  BASE, TG_KEY, TG_KEY2, SUPPORT, HAIKU, RUN, answeredBy, tokens, decision, converse, converseStream,
  adminStats, emulatorLog, FETCH_HEADERS, httpAgent,
} from './lib.mjs';

// maxRetries 0: the SDK's own retries would hide what the gateway answered.
const client = (apiKey = TG_KEY) => new OpenAI({ baseURL: BASE, apiKey, maxRetries: 0, httpAgent });
const user = (content) => [{ role: 'user', content }];

test('chat completion through a router: OpenAI shape, usage, routing facts', async () => {
  const q = 'What is the capital of France?';
  const { data, response } = await client().chat.completions.create({
    model: 'support', messages: [{ role: 'system', content: 'Be brief.' }, ...user(q)],
    max_tokens: 200, temperature: 0.2,
  }).withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^chatcmpl-[0-9a-f]{32}$/);
  assert.ok(SUPPORT.includes(data.model), `model ${data.model} is the one that answered`);
  assert.ok(answeredBy(data.choices[0].message.content, data.model));
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal('system_fingerprint' in data, false);
  // The emulator counts system + message text, and the answer.
  assert.equal(data.usage.prompt_tokens, tokens('Be brief.' + q));
  assert.equal(data.usage.completion_tokens, tokens(data.choices[0].message.content));
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  assert.deepEqual(data.tiergate.router, 'support');
  assert.equal(data.tiergate.model, data.model);
  assert.equal(response.headers.get('x-tiergate-router'), 'support');
  assert.equal(response.headers.get('x-tiergate-model'), data.model);
  assert.equal(response.headers.get('x-tiergate-reason'), data.tiergate.reason);
  const d = await decision(response.headers.get('x-request-id'));
  assert.equal(d.api, 'chat-completions');
  assert.equal(d.router, 'support');
  assert.equal(d.model, data.model);
  assert.equal(d.tenant, 'acme', 'the Bearer API key authenticated as its tenant');
  assert.equal(d.input_tokens, data.usage.prompt_tokens);
  assert.equal(d.output_tokens, data.usage.completion_tokens);
  assert.ok(d.cost > 0);
});

test('max_tokens cuts the answer: finish_reason length', async () => {
  const r = await client().chat.completions.create({
    model: 'support', messages: user('Tell me a long story.'), max_completion_tokens: 5,
  });
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 5);
});

test('a passthrough model id is called as is', async () => {
  const r = await client().chat.completions.create({ model: HAIKU, messages: user('Hello') });
  assert.equal(r.model, HAIKU);
  assert.ok(answeredBy(r.choices[0].message.content, HAIKU));
  assert.equal(r.tiergate.router, null);
  assert.equal(r.tiergate.reason, 'passthrough');
});

async function collect(stream) {
  const out = { chunks: [], text: '', roles: [], finish: null, usage: null, tools: {}, times: [] };
  for await (const c of stream) {
    out.chunks.push(c);
    out.times.push(Date.now());
    if (c.usage) out.usage = c.usage;
    const ch = c.choices[0];
    if (!ch) continue;
    if (ch.delta.role) out.roles.push(ch.delta.role);
    if (ch.delta.content) out.text += ch.delta.content;
    for (const t of ch.delta.tool_calls ?? []) {
      const acc = out.tools[t.index] ??= { id: null, name: null, args: '' };
      if (t.id) acc.id = t.id;
      if (t.function?.name) acc.name = t.function.name;
      if (t.function?.arguments) acc.args += t.function.arguments;
    }
    if (ch.finish_reason) out.finish = ch.finish_reason;
  }
  return out;
}

test('stream: deltas as they arrive, the same text as unstreamed, include_usage, [DONE]', async () => {
  const q = `Explain event streams [[words:200]] #${RUN}`;
  const whole = await client().chat.completions.create({ model: 'support', messages: user(q) });
  const { data: stream, response } = await client().chat.completions.create({
    model: 'support', messages: user(q), stream: true, stream_options: { include_usage: true },
  }).withResponse();
  assert.match(response.headers.get('content-type'), /^text\/event-stream/);
  const s = await collect(stream);
  assert.deepEqual(s.roles, ['assistant'], 'the role comes once, first');
  assert.equal(s.text, whole.choices[0].message.content, 'deltas join to the unstreamed answer');
  assert.equal(s.finish, 'stop');
  assert.ok(s.chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === whole.model));
  assert.equal(s.chunks[0].tiergate.router, 'support');
  // The last chunk holds usage and no choice; the loop ended on [DONE].
  const last = s.chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual(s.usage, whole.usage);
  // 200 words in 4-word frames 2 ms apart: relayed, the chunks spread over
  // the stream's time; buffered, they would all arrive at once.
  assert.ok(s.chunks.length > 40, `${s.chunks.length} chunks`);
  assert.ok(s.times.at(-1) - s.times[1] >= 40, `chunks spread over ${s.times.at(-1) - s.times[1]} ms`);
  const d = await decision(response.headers.get('x-request-id'));
  assert.equal(d.api, 'chat-completions-stream');
  assert.equal(d.output_tokens, s.usage.completion_tokens);
  assert.equal(d.model, whole.model);
});

test('stream without include_usage: no usage chunk', async () => {
  const s = await collect(await client().chat.completions.create({
    model: 'support', messages: user('Hi there'), stream: true,
  }));
  assert.equal(s.usage, null);
  assert.equal(s.finish, 'stop');
  assert.ok(s.chunks.at(-1).choices.length === 1);
});

const weather = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

test('tools: tool_calls, then the tool result, then text', async () => {
  const c = client();
  const messages = user('What is the weather in Paris?');
  const r1 = await c.chat.completions.create({ model: 'support', messages, tools: weather });
  assert.equal(r1.choices[0].finish_reason, 'tool_calls');
  const call = r1.choices[0].message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'sample' });
  assert.equal(r1.choices[0].message.content, null);
  messages.push(r1.choices[0].message);
  messages.push({ role: 'tool', tool_call_id: call.id, content: '{"city":"Paris","tempC":21}' });
  const r2 = await c.chat.completions.create({ model: 'support', messages, tools: weather });
  assert.equal(r2.choices[0].finish_reason, 'stop');
  assert.ok(answeredBy(r2.choices[0].message.content, r2.model));
  // The tool result reached the model as its text (the emulator counts it).
  assert.ok(r2.usage.prompt_tokens > r1.usage.prompt_tokens);
});

test('tools: tool_choice names the tool; streamed tool-call deltas', async () => {
  const tools = [...weather, { type: 'function', function: { name: 'get_time',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } }];
  const s = await collect(await client().chat.completions.create({
    model: 'support', messages: user('What time is it in Oslo?'), tools, stream: true,
    tool_choice: { type: 'function', function: { name: 'get_time' } },
  }));
  assert.equal(s.finish, 'tool_calls');
  assert.equal(Object.keys(s.tools).length, 1);
  assert.equal(s.tools[0].name, 'get_time');
  assert.match(s.tools[0].id, /^tooluse_/);
  assert.deepEqual(JSON.parse(s.tools[0].args), { zone: 'sample' });
});

test('image parts (data URLs) reach the model as image blocks', async () => {
  const png = Buffer.alloc(3000);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const text = 'Describe this picture.';
  const plain = await client().chat.completions.create({ model: 'support', messages: user(text) });
  const r = await client().chat.completions.create({ model: 'support', messages: user([
    { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
    { type: 'text', text },
  ]) });
  // The emulator counts an image as 85 + ceil(bytes / 750) tokens.
  assert.equal(r.usage.prompt_tokens - plain.usage.prompt_tokens, 85 + Math.ceil(3000 / 750));
  await assert.rejects(client().chat.completions.create({ model: 'support', messages: user([
    { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }]) }),
  (e) => e.status === 400 && e.param === 'messages[0].content[0].image_url.url' &&
    /data URLs/.test(e.message));
});

test('JSON mode: json_object and json_schema answer with JSON', async () => {
  const r1 = await client().chat.completions.create({
    model: 'support', messages: user('Give me a JSON object.'), response_format: { type: 'json_object' },
  });
  assert.equal(r1.choices[0].finish_reason, 'stop');
  assert.equal(typeof JSON.parse(r1.choices[0].message.content), 'object');
  const schema = { type: 'object', properties: { city: { type: 'string' }, rank: { type: 'integer' } },
    required: ['city', 'rank'] };
  const r2 = await client().chat.completions.create({
    model: 'support', messages: user('Name the largest city.'),
    response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
  });
  assert.deepEqual(JSON.parse(r2.choices[0].message.content), { city: 'sample', rank: 1 });
  assert.equal(r2.choices[0].message.tool_calls, undefined);
  const s = await collect(await client().chat.completions.create({
    model: 'support', messages: user('Name the largest city.'), stream: true,
    response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
  }));
  assert.deepEqual(JSON.parse(s.text), { city: 'sample', rank: 1 });
  assert.equal(s.finish, 'stop');
  await assert.rejects(client().chat.completions.create({
    model: 'support', messages: user('x'),
    response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
  }), (e) => e.status === 400 && e.param === 'response_format' && /strict/.test(e.message));
});

test('errors: OpenAI shape and status for key, model, fields, n', async () => {
  await assert.rejects(client('tg-not-a-key').chat.completions.create({ model: 'support', messages: user('x') }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key' &&
      !e.message.includes('tg-not-a-key'));
  await assert.rejects(client().chat.completions.create({
    model: 'arn:aws:bedrock:us-east-1:123456789012:prompt-router/nosuch', messages: user('x') }),
  (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found' && e.param === 'model');
  let refused;
  await assert.rejects(client().chat.completions.create({ model: 'support', messages: user('x'), n: 2 }),
    (e) => (refused = e) instanceof OpenAI.BadRequestError && e.param === 'n' && e.type === 'invalid_request_error');
  // A refused request is counted and logged like a refused Converse call.
  const d = await decision(refused.request_id);
  assert.deepEqual([d.status, d.router, d.api, d.tenant], [400, 'support', 'chat-completions', 'acme']);
  await assert.rejects(client().chat.completions.create({ model: 'support', messages: user('x'), seed: 7 }),
    (e) => e.status === 400 && e.param === 'seed' && /Unrecognized request argument/.test(e.message));
  await assert.rejects(client().chat.completions.create({ model: 'support', messages: user('x'), temperature: 1.5 }),
    (e) => e.status === 400 && e.param === 'temperature');
  await assert.rejects(client().chat.completions.create({ model: 'support', messages: [] }),
    (e) => e.status === 400 && e.param === 'messages');
});

test('errors: upstream throttling after retries is a 429, a mid-stream error ends the stream', async () => {
  await assert.rejects(client().chat.completions.create({ model: HAIKU,
    messages: user(`Hi [[fault:429 x* #oa429-${RUN}]]`) }),
  (e) => e instanceof OpenAI.RateLimitError && e.code === 'rate_limit_exceeded');
  assert.equal((await emulatorLog(`oa429-${RUN}`)).length, 3, 'tiergate retried twice (config retries: 2)');
  const stream = await client().chat.completions.create({ model: 'support', stream: true,
    messages: user(`Hi [[words:80]] [[fault:mid_stream_error #oamid-${RUN}]]`) });
  let text = '';
  await assert.rejects((async () => {
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
  })(), (e) => e instanceof OpenAI.APIError && e.code === 'modelStreamErrorException');
  assert.ok(text.length > 0, 'part of the answer came before the error');
});

function postOwnConnection(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: {
      authorization: `Bearer ${TG_KEY}`, 'content-type': 'application/json',
      'content-length': Buffer.byteLength(body) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a body over the cap and bad JSON: 4xx in OpenAI shape', async () => {
  // On a connection of its own: the web server may close it after a
  // refusal that left the body unread, and fetch's pool would reuse it.
  const big = await postOwnConnection(`${BASE}/chat/completions`,
    JSON.stringify({ model: 'support', messages: user('x'.repeat(1100000)) }));
  assert.equal(big.status, 413);
  assert.equal(JSON.parse(big.body).error.type, 'invalid_request_error');
  const bad = await fetch(`${BASE}/chat/completions`, { method: 'POST',
    headers: { authorization: `Bearer ${TG_KEY}`, 'content-type': 'application/json', ...FETCH_HEADERS },
    body: '{"model":' });
  const j = await bad.json();
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(j.error).sort(), ['code', 'message', 'param', 'type']);
  const nope = await fetch(`${BASE}/embeddings`, { method: 'POST',
    headers: { authorization: `Bearer ${TG_KEY}`, ...FETCH_HEADERS }, body: '{}' });
  assert.equal(nope.status, 404);
  assert.equal((await nope.json()).error.code, 'unknown_url');
});

test('models: list and retrieve routers and passthrough models', async () => {
  const ids = [];
  for await (const m of client().models.list()) ids.push(m.id);
  for (const r of ['support', 'nova', 'mixed', 'cheapfirst']) assert.ok(ids.includes(r), r);
  assert.ok(ids.includes(HAIKU), 'passthrough models are listed when allowed');
  const m = await client().models.retrieve('support');
  assert.equal(m.object, 'model');
  assert.deepEqual(m.tiergate.models, SUPPORT);
  await assert.rejects(client().models.retrieve('nosuch'), (e) => e.status === 404 && e.code === 'model_not_found');
  await assert.rejects(client('bad').models.list(), (e) => e.status === 401);
});

// The decision log line without what differs between two requests by
// nature (ids, clocks, the API, the tenant).
const comparable = (d) => {
  const { request_id, time, ts, api, tenant, upstream_ms, overhead_us, upstream_us, ...rest } = d;
  return rest;
};

const tenantRow = (stats, name) => stats.by_tenant.tenants.find((t) => t.tenant === name) ?? {};
const COUNTED = ['requests', 'input_tokens', 'output_tokens', 'cost_usd', 'cf_cost_usd', 'savings_usd',
  'routed_cheaper', 'unpriced_requests'];
const delta = (after, before) => Object.fromEntries(COUNTED.map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));

test('the same requests as Converse (tenant globex) and Chat Completions (acme), streamed or not: equal decisions and stats', async () => {
  const cases = [
    { chat: { messages: user('What is 2 + 2?') },
      conv: { messages: [{ role: 'user', content: [{ text: 'What is 2 + 2?' }] }] } },
    { chat: { messages: [{ role: 'system', content: 'You are a careful analyst.' },
      ...user('Prove that the square root of two is irrational, step by step, with all details.')],
      max_tokens: 300 },
      conv: { system: [{ text: 'You are a careful analyst.' }], inferenceConfig: { maxTokens: 300 },
        messages: [{ role: 'user', content: [{ text: 'Prove that the square root of two is irrational, step by step, with all details.' }] }] } },
    { chat: { messages: user('Weather in Rome?'), tools: weather },
      conv: { messages: [{ role: 'user', content: [{ text: 'Weather in Rome?' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', description: 'Current weather',
          inputSchema: { json: weather[0].function.parameters } } }] } } },
  ];
  const before = await adminStats();
  for (const c of cases) {
    const conv = await converse('support', c.conv, TG_KEY2);
    assert.equal(conv.status, 200);
    const { response } = await client().chat.completions.create({ model: 'support', ...c.chat }).withResponse();
    const dc = await decision(conv.headers.get('x-amzn-requestid'));
    const doa = await decision(response.headers.get('x-request-id'));
    assert.equal(dc.api, 'converse');
    assert.equal(doa.api, 'chat-completions');
    assert.deepEqual(comparable(doa), comparable(dc));
  }
  // Streamed: ConverseStream against stream: true with include_usage.
  const s = cases[1];
  const cs = await converseStream('support', s.conv, TG_KEY2);
  assert.equal(cs.status, 200);
  const { data: stream, response } = await client().chat.completions.create({ model: 'support',
    ...s.chat, stream: true, stream_options: { include_usage: true } }).withResponse();
  for await (const c of stream) void c;
  const dcs = await decision(cs.headers.get('x-amzn-requestid'));
  const doas = await decision(response.headers.get('x-request-id'));
  assert.equal(dcs.api, 'converse-stream');
  assert.equal(doas.api, 'chat-completions-stream');
  assert.deepEqual(comparable(doas), comparable(dcs));
  const after = await adminStats();
  const oa = delta(tenantRow(after, 'acme'), tenantRow(before, 'acme'));
  const cv = delta(tenantRow(after, 'globex'), tenantRow(before, 'globex'));
  assert.equal(cv.requests, cases.length + 1);
  for (const k of COUNTED) assert.ok(Math.abs(oa[k] - cv[k]) < 1e-12, `${k}: ${oa[k]} vs ${cv[k]}`);
});
