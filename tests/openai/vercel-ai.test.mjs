// The Vercel AI SDK (`ai`) with its OpenAI-compatible provider
// (`@ai-sdk/openai-compatible`) against tiergate's /v1 behind lighttpd:
// text, streaming with usage, a tool loop, structured output, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateText, streamText, generateObject, tool, stepCountIs, APICallError } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { BASE, TG_KEY, SUPPORT, RUN, answeredBy, tokens, decision } from './lib.mjs';

const provider = (apiKey = TG_KEY, extra = {}) =>
  createOpenAICompatible({ name: 'tiergate', baseURL: BASE, apiKey, includeUsage: true, ...extra });
const model = (id = 'support', p = provider()) => p.chatModel(id);

test('generateText: the routed model answers; usage and response model', async () => {
  const prompt = 'What is the capital of Spain?';
  const r = await generateText({ model: model(), prompt, maxRetries: 0 });
  assert.ok(SUPPORT.includes(r.response.modelId), r.response.modelId);
  assert.ok(answeredBy(r.text, r.response.modelId));
  assert.equal(r.finishReason, 'stop');
  assert.equal(r.usage.inputTokens, tokens(prompt));
  assert.equal(r.usage.outputTokens, tokens(r.text));
  assert.equal(r.response.headers['x-tiergate-router'], 'support');
  const d = await decision(r.response.headers['x-request-id']);
  assert.equal(d.api, 'chat-completions');
  assert.equal(d.model, r.response.modelId);
});

test('streamText: text parts as they come, usage at the end', async () => {
  const prompt = `Tell me about streams [[words:120]] #${RUN}`;
  const whole = await generateText({ model: model(), prompt, maxRetries: 0 });
  const r = streamText({ model: model(), prompt, maxRetries: 0 });
  let text = '';
  let parts = 0;
  for await (const t of r.textStream) {
    text += t;
    parts++;
  }
  assert.equal(text, whole.text);
  assert.ok(parts > 20, `${parts} text parts`);
  const usage = await r.usage;
  assert.equal(usage.outputTokens, whole.usage.outputTokens);
  assert.equal(usage.inputTokens, whole.usage.inputTokens);
  assert.equal(await r.finishReason, 'stop');
});

test('tools: the SDK runs the tool and sends its result back (two steps)', async () => {
  const seen = [];
  const r = await generateText({
    model: model(), maxRetries: 0, prompt: 'What is the weather in Lisbon?',
    tools: {
      get_weather: tool({
        description: 'Current weather for a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          seen.push(city);
          return { city, tempC: 19 };
        },
      }),
    },
    stopWhen: stepCountIs(2),
  });
  assert.deepEqual(seen, ['sample'], 'the emulated model called the tool once');
  assert.equal(r.steps.length, 2);
  assert.equal(r.steps[0].finishReason, 'tool-calls');
  assert.equal(r.finishReason, 'stop');
  assert.ok(answeredBy(r.text, r.response.modelId));
});

test('streamText with a tool: tool-call parts assembled from deltas', async () => {
  const r = streamText({
    model: model(), maxRetries: 0, prompt: 'Weather in Bergen?',
    tools: { get_weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
  });
  const calls = [];
  for await (const p of r.fullStream) if (p.type === 'tool-call') calls.push(p);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].toolName, 'get_weather');
  assert.deepEqual(calls[0].input, { city: 'sample' });
  assert.equal(await r.finishReason, 'tool-calls');
});

test('generateObject with a JSON schema (strictJsonSchema off)', async () => {
  const p = provider(TG_KEY, { supportsStructuredOutputs: true });
  const r = await generateObject({
    model: p.chatModel('support'), maxRetries: 0, prompt: 'Name a city and its rank.',
    schema: z.object({ city: z.string(), rank: z.number().int() }),
    providerOptions: { tiergate: { strictJsonSchema: false } },
  });
  assert.deepEqual(r.object, { city: 'sample', rank: 1 });
});

test('errors: a bad key is a 401 APICallError, an unknown router a 404', async () => {
  await assert.rejects(generateText({ model: model('support', provider('tg-wrong')), prompt: 'x', maxRetries: 0 }),
    (e) => APICallError.isInstance(e) && e.statusCode === 401 && !JSON.stringify(e.responseBody).includes('tg-wrong'));
  await assert.rejects(generateText({
    model: model('arn:aws:bedrock:us-east-1:123456789012:prompt-router/nope'), prompt: 'x', maxRetries: 0 }),
  (e) => APICallError.isInstance(e) && e.statusCode === 404 && /nope/.test(e.message));
});

test('a mid-stream upstream error reaches streamText as an error part', async () => {
  const errors = [];
  const r = streamText({ model: model(), maxRetries: 0,
    prompt: `Hi [[words:80]] [[fault:mid_stream_error #vmid-${RUN}]]`, onError: ({ error }) => errors.push(error) });
  let text = '';
  const kinds = [];
  for await (const p of r.fullStream) {
    kinds.push(p.type);
    if (p.type === 'text-delta') text += p.text;
  }
  assert.ok(text.length > 0);
  assert.ok(kinds.includes('error'), kinds.join(','));
  assert.equal(errors.length, 1);
  assert.match(JSON.stringify(errors[0]), /interrupted/);
});
