// InvokeModel and InvokeModelWithResponseStream: the providers' native
// request and response bodies (Anthropic messages API, Meta Llama, Mistral,
// Amazon Nova messages-v1). Each provider has read (body → conversation),
// body (plan → response JSON) and chunks (plan → stream payloads).
import { createHash } from 'node:crypto';
import { Tally, invalid, readConverse, base64Bytes } from './conversation.js';
import { chunkText, imageTokens, documentTokens } from './answer.js';
import { eventFrame } from './eventstream.js';

const GEO = /^(us|eu|apac|us-gov|ca|jp|au|global)\./;

function malformed(detail) {
  return invalid(`Malformed input request: ${detail}, please reformat your input and try again.`);
}

function requireInt(v, name, optional) {
  if (v === undefined && optional) return undefined;
  if (v === undefined) throw malformed(`#: required key [${name}] not found`);
  if (!Number.isInteger(v) || v < 1) throw malformed(`#/${name}: expected integer >= 1`);
  return v;
}

function chunkPlanText(plan, opts) {
  const text = plan.blocks[0].text ?? '';
  if (opts.chunkChars) {
    const out = [];
    for (let i = 0; i < text.length; i += opts.chunkChars) out.push(text.slice(i, i + opts.chunkChars));
    return out.length ? out : [''];
  }
  const c = chunkText(text, opts.chunkWords);
  return c.length ? c : [''];
}

function invocationMetrics(plan, ctx) {
  return {
    inputTokenCount: plan.usage.inputTokens,
    outputTokenCount: plan.usage.outputTokens,
    invocationLatency: Date.now() - ctx.started,
    firstByteLatency: ctx.firstByteMs ?? Date.now() - ctx.started,
  };
}

// ---- Anthropic messages API -------------------------------------------

function anthropicBlock(t, b, where) {
  if (typeof b === 'string') return t.text(b);
  if (!b || typeof b.type !== 'string') throw malformed(`${where}: expected a content block with "type"`);
  if (b.type === 'text') t.text(String(b.text ?? ''));
  else if (b.type === 'image') t.addMedia(imageTokens(base64Bytes(b.source?.data, `${where}.source.data`)));
  else if (b.type === 'document') t.addMedia(documentTokens(b.source?.data
    ? base64Bytes(b.source.data, `${where}.source.data`) : Buffer.byteLength(String(b.source?.text ?? ''))));
  else if (b.type === 'tool_use') t.text(String(b.name) + JSON.stringify(b.input ?? {}));
  else if (b.type === 'tool_result') {
    const c = b.content;
    if (Array.isArray(c)) c.forEach((x, i) => anthropicBlock(t, x, `${where}.content.${i}`));
    else t.text(typeof c === 'string' ? c : JSON.stringify(c ?? ''));
  } else throw malformed(`${where}.type: "${b.type}" is not a valid enum value`);
  if (b.cache_control) t.cachePoint();
}

function anthropicContent(t, content, where) {
  if (typeof content === 'string') return t.text(content);
  if (!Array.isArray(content)) throw malformed(`${where}: expected string or array`);
  content.forEach((b, i) => anthropicBlock(t, b, `${where}.${i}`));
}

function readAnthropic(body) {
  if (typeof body.anthropic_version !== 'string') throw malformed('#: required key [anthropic_version] not found');
  const maxTokens = requireInt(body.max_tokens, 'max_tokens');
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw malformed('#: required key [messages] not found');
  const t = new Tally();
  const tools = [];
  (Array.isArray(body.tools) ? body.tools : []).forEach((tool, i) => {
    if (!tool || typeof tool.name !== 'string') throw malformed(`#/tools/${i}: required key [name] not found`);
    t.text(JSON.stringify(tool));
    tools.push({ name: tool.name, schema: tool.input_schema });
    if (tool.cache_control) t.cachePoint();
  });
  if (body.system !== undefined) anthropicContent(t, body.system, '#/system');
  body.messages.forEach((m, i) => {
    if (!m || (m.role !== 'user' && m.role !== 'assistant')) throw malformed(`#/messages/${i}/role: invalid`);
    anthropicContent(t, m.content, `#/messages/${i}/content`);
  });
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  return {
    tally: t, tools, maxTokens,
    toolChoice: typeof body.tool_choice?.name === 'string' ? body.tool_choice.name : null,
    lastUserHasToolResult: Array.isArray(lastUser?.content) &&
      lastUser.content.some((b) => b && b.type === 'tool_result'),
  };
}

function anthropicModelName(ctx) {
  return ctx.modelId.replace(GEO, '').replace(/^anthropic\./, '').replace(/-v\d+(:\d+)?$/, '');
}

function anthropicUsage(plan) {
  const u = { input_tokens: plan.usage.inputTokens, output_tokens: plan.usage.outputTokens };
  if (plan.usage.cacheReadInputTokens !== undefined) {
    u.cache_read_input_tokens = plan.usage.cacheReadInputTokens;
    u.cache_creation_input_tokens = plan.usage.cacheWriteInputTokens;
  }
  return u;
}

function anthropicBlocks(plan) {
  return plan.blocks.map((b) => (b.toolUse
    ? { type: 'tool_use', id: b.toolUse.toolUseId.replace(/^tooluse_/, 'toolu_bdrk_'),
      name: b.toolUse.name, input: b.toolUse.input }
    : { type: 'text', text: b.text }));
}

function messageId(ctx) {
  return `msg_bdrk_${createHash('sha256').update(ctx.requestId).digest('hex').slice(0, 24)}`;
}

function anthropicBody(plan, ctx) {
  return {
    id: messageId(ctx), type: 'message', role: 'assistant', model: anthropicModelName(ctx),
    content: anthropicBlocks(plan), stop_reason: plan.stopReason, stop_sequence: null,
    usage: anthropicUsage(plan),
  };
}

function anthropicChunks(plan, opts, ctx) {
  const out = [{ type: 'message_start', message: { ...anthropicBody(plan, ctx), content: [],
    stop_reason: null, usage: { ...anthropicUsage(plan), output_tokens: 1 } } }];
  anthropicBlocks(plan).forEach((b, index) => {
    if (b.type === 'tool_use') {
      out.push({ type: 'content_block_start', index, content_block: { ...b, input: {} } });
      out.push({ type: 'content_block_delta', index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    } else {
      out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const text of chunkPlanText(plan, opts))
        out.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    }
    out.push({ type: 'content_block_stop', index });
  });
  out.push({ type: 'message_delta', delta: { stop_reason: plan.stopReason, stop_sequence: null },
    usage: { output_tokens: plan.usage.outputTokens } });
  out.push(() => ({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': invocationMetrics(plan, ctx) }));
  return out;
}

// ---- Meta Llama and Mistral (prompt completion) --------------------------

function readPrompt(maxKey) {
  return (body) => {
    if (typeof body.prompt !== 'string' || body.prompt === '') throw malformed('#: required key [prompt] not found');
    const t = new Tally();
    t.text(body.prompt);
    return { tally: t, tools: [], toolChoice: null, lastUserHasToolResult: false,
      maxTokens: requireInt(body[maxKey], maxKey, true) };
  };
}

const llamaStop = (plan) => (plan.stopReason === 'max_tokens' ? 'length' : 'stop');

function llamaBody(plan) {
  return { generation: plan.blocks[0].text, prompt_token_count: plan.usage.inputTokens,
    generation_token_count: plan.usage.outputTokens, stop_reason: llamaStop(plan) };
}

function llamaChunks(plan, opts, ctx) {
  const chunks = chunkPlanText(plan, opts);
  const out = chunks.map((generation, i) => ({ generation,
    prompt_token_count: i === 0 ? plan.usage.inputTokens : null,
    generation_token_count: Math.max(1, Math.round(plan.usage.outputTokens * (i + 1) / chunks.length)),
    stop_reason: null }));
  out.push(() => ({ generation: '', prompt_token_count: null, generation_token_count: plan.usage.outputTokens,
    stop_reason: llamaStop(plan), 'amazon-bedrock-invocationMetrics': invocationMetrics(plan, ctx) }));
  return out;
}

function mistralBody(plan) {
  return { outputs: [{ text: plan.blocks[0].text, stop_reason: llamaStop(plan) }] };
}

function mistralChunks(plan, opts, ctx) {
  const out = chunkPlanText(plan, opts).map((text) => ({ outputs: [{ text, stop_reason: null }] }));
  out.push(() => ({ outputs: [{ text: '', stop_reason: llamaStop(plan) }],
    'amazon-bedrock-invocationMetrics': invocationMetrics(plan, ctx) }));
  return out;
}

// ---- Amazon Nova (messages-v1) -------------------------------------------

function readNova(body) {
  return readConverse(body, { maxTokensPath: ['inferenceConfig', 'max_new_tokens'] });
}

function novaUsage(plan) {
  return { inputTokens: plan.usage.inputTokens, outputTokens: plan.usage.outputTokens,
    totalTokens: plan.usage.totalTokens, cacheReadInputTokenCount: plan.usage.cacheReadInputTokens ?? 0,
    cacheWriteInputTokenCount: plan.usage.cacheWriteInputTokens ?? 0 };
}

function novaBody(plan) {
  return { output: { message: { role: 'assistant', content: plan.blocks } },
    stopReason: plan.stopReason, usage: novaUsage(plan) };
}

function novaChunks(plan, opts, ctx) {
  const out = [{ messageStart: { role: 'assistant' } }];
  plan.blocks.forEach((b, contentBlockIndex) => {
    if (b.toolUse) {
      out.push({ contentBlockStart: { start: { toolUse: { toolUseId: b.toolUse.toolUseId, name: b.toolUse.name } },
        contentBlockIndex } });
      out.push({ contentBlockDelta: { delta: { toolUse: { input: JSON.stringify(b.toolUse.input) } },
        contentBlockIndex } });
    } else {
      for (const text of chunkPlanText(plan, opts))
        out.push({ contentBlockDelta: { delta: { text }, contentBlockIndex } });
    }
    out.push({ contentBlockStop: { contentBlockIndex } });
  });
  out.push({ messageStop: { stopReason: plan.stopReason } });
  out.push(() => ({ metadata: { usage: novaUsage(plan), metrics: {}, trace: {} },
    'amazon-bedrock-invocationMetrics': invocationMetrics(plan, ctx) }));
  return out;
}

export const PROVIDERS = {
  anthropic: { read: readAnthropic, body: anthropicBody, chunks: anthropicChunks },
  meta: { read: readPrompt('max_gen_len'), body: llamaBody, chunks: llamaChunks },
  mistral: { read: readPrompt('max_tokens'), body: mistralBody, chunks: mistralChunks },
  amazon: { read: readNova, body: novaBody, chunks: novaChunks },
};

// Provider of a model id; for ids of other providers the body's shape
// decides (anthropic_version → anthropic, messages → nova, prompt → llama).
export function providerFor(modelId, body) {
  const p = modelId.replace(GEO, '').split('.')[0];
  if (PROVIDERS[p] && !(p === 'amazon' && !/nova/.test(modelId))) return p;
  if (typeof body.anthropic_version === 'string') return 'anthropic';
  if (Array.isArray(body.messages)) return 'amazon';
  if (typeof body.prompt === 'string') return /mistral|mixtral/.test(modelId) ? 'mistral' : 'meta';
  throw invalid('The emulator does not know the native request schema of this model; send an ' +
    'Anthropic, Meta Llama, Mistral or Amazon Nova body.');
}

// Stream payloads → "chunk" event frames ({bytes: base64(json)}), keeping
// lazily built payloads (functions) lazy.
export function chunkFrames(payloads) {
  const frame = (p) => eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(p)).toString('base64') });
  return payloads.map((p) => (typeof p === 'function' ? () => frame(p()) : frame(p)));
}
