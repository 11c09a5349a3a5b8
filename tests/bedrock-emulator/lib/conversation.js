// Reading a request into a "conversation" summary (token tally, tools,
// whether the last user turn carries a tool result, max tokens), and
// planning the answer from it. Used by Converse, ConverseStream and the
// native InvokeModel bodies alike, so every API counts tokens the same way.
import { createHash } from 'node:crypto';
import { BedrockError } from './errors.js';
import {
  countChars, tokensForChars, imageTokens, documentTokens, makeAnswer, capToTokens,
  sampleFromSchema, toolUseId,
} from './answer.js';

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);
const DOC_FORMATS = new Set(['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md']);

export function invalid(message) {
  return new BedrockError('ValidationException', message);
}

// Token tally over the request, in Bedrock's prompt order (tools, system,
// messages). cachePoint() marks the end of the cacheable prefix.
export class Tally {
  constructor() {
    this.chars = 0;
    this.media = 0;
    this.prefixChars = 0;
    this.prefixMedia = 0;
    this.hasCachePoint = false;
    this.seed = [];
    this.prefixParts = 0;
  }

  text(s) {
    this.chars += countChars(s);
    this.seed.push(s);
  }

  addMedia(tokens) {
    this.media += tokens;
  }

  cachePoint() {
    this.hasCachePoint = true;
    this.prefixChars = this.chars;
    this.prefixMedia = this.media;
    this.prefixParts = this.seed.length;
  }

  inputTokens() {
    return Math.max(1, tokensForChars(this.chars) + this.media);
  }

  prefixTokens() {
    return tokensForChars(this.prefixChars) + this.prefixMedia;
  }
}

// Decoded length of a base64 string; throws ValidationException when the
// string is missing, empty or not base64.
export function base64Bytes(s, where) {
  if (typeof s !== 'string' || s.length === 0 || s.length % 4 === 1 || !B64_RE.test(s))
    throw invalid(`The ${where} field must contain non-empty base64-encoded bytes.`);
  const n = Buffer.from(s, 'base64').length;
  if (n === 0) throw invalid(`The ${where} field must contain non-empty base64-encoded bytes.`);
  return n;
}

function oneMember(block, where) {
  if (!block || typeof block !== 'object' || Array.isArray(block))
    throw invalid(`${where} must be an object.`);
  const keys = Object.keys(block);
  if (keys.length !== 1)
    throw invalid(`${where} must set exactly one member of the union, found ${keys.length}.`);
  return keys[0];
}

function mediaSource(src, where, formats, format) {
  if (!formats.has(format)) throw invalid(`${where}.format "${format}" is not supported.`);
  if (!src || typeof src !== 'object') throw invalid(`${where}.source is required.`);
  if (src.bytes !== undefined) return base64Bytes(src.bytes, `${where}.source.bytes`);
  if (src.s3Location && typeof src.s3Location.uri === 'string' && src.s3Location.uri.startsWith('s3://'))
    return 4000;
  if (typeof src.text === 'string') return Buffer.byteLength(src.text);
  throw invalid(`${where}.source must contain bytes, text or s3Location.`);
}

function tallyToolResult(t, tr, where) {
  if (!tr || typeof tr.toolUseId !== 'string') throw invalid(`${where}.toolUseId is required.`);
  if (!Array.isArray(tr.content)) throw invalid(`${where}.content must be a list.`);
  tr.content.forEach((c, i) => {
    const k = oneMember(c, `${where}.content.${i}`);
    if (k === 'text') t.text(String(c.text));
    else if (k === 'json') t.text(JSON.stringify(c.json));
    else tallyBlock(t, c, `${where}.content.${i}`);
  });
}

// Adds one Converse content block to the tally; throws ValidationException.
export function tallyBlock(t, block, where) {
  const k = oneMember(block, where);
  const v = block[k];
  switch (k) {
    case 'text':
      if (typeof v !== 'string' || v.trim() === '')
        throw invalid(`The text field in the ContentBlock object at ${where} is blank. ` +
          'Add text to the text field, and try again.');
      return t.text(v);
    case 'image': case 'video':
      return t.addMedia(imageTokens(mediaSource(v?.source, `${where}.${k}`,
        k === 'image' ? IMAGE_FORMATS : new Set(['mkv', 'mov', 'mp4', 'webm', 'flv', 'mpeg', 'mpg', 'wmv', 'three_gp']),
        v?.format)));
    case 'document':
      if (!v || typeof v.name !== 'string' || !v.name) throw invalid(`${where}.document.name is required.`);
      return t.addMedia(documentTokens(mediaSource(v.source, `${where}.document`, DOC_FORMATS, v.format)));
    case 'toolUse':
      if (!v || typeof v.toolUseId !== 'string' || typeof v.name !== 'string')
        throw invalid(`${where}.toolUse needs toolUseId and name.`);
      return t.text(v.name + JSON.stringify(v.input ?? {}));
    case 'toolResult': return tallyToolResult(t, v, `${where}.toolResult`);
    case 'cachePoint': return t.cachePoint();
    case 'reasoningContent': return t.text(String(v?.reasoningText?.text ?? ''));
    case 'guardContent': return t.text(String(v?.text?.text ?? ''));
    default: throw invalid(`${where}: content block type "${k}" is not supported by this model.`);
  }
}

function tallySystem(t, system) {
  if (system === undefined) return;
  if (!Array.isArray(system)) throw invalid('system must be a list of SystemContentBlock.');
  system.forEach((b, i) => {
    const k = oneMember(b, `system.${i}`);
    if (k === 'text') t.text(String(b.text));
    else if (k === 'cachePoint') t.cachePoint();
    else if (k === 'guardContent') t.text(String(b.guardContent?.text?.text ?? ''));
    else throw invalid(`system.${i}: "${k}" is not a system content block.`);
  });
}

function tallyTools(t, toolConfig) {
  if (toolConfig === undefined) return [];
  const tools = toolConfig?.tools;
  if (!Array.isArray(tools) || tools.length === 0)
    throw invalid('toolConfig.tools must be a non-empty list.');
  const specs = [];
  tools.forEach((tool, i) => {
    const k = oneMember(tool, `toolConfig.tools.${i}`);
    if (k === 'cachePoint') return t.cachePoint();
    const s = tool.toolSpec;
    if (k !== 'toolSpec' || !s || typeof s.name !== 'string' || !s.inputSchema || !('json' in s.inputSchema))
      throw invalid(`toolConfig.tools.${i} must be a toolSpec with name and inputSchema.json.`);
    t.text(JSON.stringify(s));
    specs.push({ name: s.name, schema: s.inputSchema.json });
  });
  return specs;
}

function checkMessages(messages) {
  if (messages === undefined || messages === null)
    throw invalid("1 validation error detected: Value null at 'messages' failed to satisfy constraint: " +
      'Member must not be null');
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalid('A conversation must start with a user message. Try again with a conversation that ' +
      'starts with a user message.');
  messages.forEach((m, i) => {
    if (!m || (m.role !== 'user' && m.role !== 'assistant'))
      throw invalid(`messages.${i}.role must be "user" or "assistant".`);
    if (i === 0 && m.role !== 'user')
      throw invalid('A conversation must start with a user message. Try again with a conversation that ' +
        'starts with a user message.');
    if (i > 0 && messages[i - 1].role === m.role)
      throw invalid('A conversation must alternate between user and assistant roles. Make sure the ' +
        'conversation alternates between user and assistant roles and try again.');
    if (!Array.isArray(m.content) || m.content.length === 0)
      throw invalid(`messages.${i}.content must be a non-empty list of ContentBlock.`);
  });
}

function lastUserHasToolResult(messages, isResult) {
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i].role === 'user') return messages[i].content.some(isResult);
  return false;
}

function maxTokensOf(value, where) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw invalid(`${where} must be an integer greater than or equal to 1.`);
  return value;
}

// Converse/ConverseStream body (and Nova's messages-v1, which shares it) →
// conversation summary. Throws ValidationException.
export function readConverse(body, { maxTokensPath = ['inferenceConfig', 'maxTokens'] } = {}) {
  checkMessages(body.messages);
  const t = new Tally();
  const tools = tallyTools(t, body.toolConfig);
  tallySystem(t, body.system);
  body.messages.forEach((m, i) => m.content.forEach((b, j) => tallyBlock(t, b, `messages.${i}.content.${j}`)));
  const choice = body.toolConfig?.toolChoice?.tool?.name;
  return {
    tally: t,
    tools,
    toolChoice: typeof choice === 'string' ? choice : null,
    lastUserHasToolResult: lastUserHasToolResult(body.messages, (b) => b && 'toolResult' in b),
    maxTokens: maxTokensOf(body[maxTokensPath[0]]?.[maxTokensPath[1]], maxTokensPath.join('.')),
  };
}

// Answer plan from a conversation: blocks (text or toolUse), stopReason and
// usage, cache accounting against the emulator's prompt cache.
export function planAnswer(ctx, conv, { bigText } = {}) {
  const t = conv.tally;
  const seed = t.seed.join('\n');
  const usage = { inputTokens: t.inputTokens(), outputTokens: 0 };
  if (t.hasCachePoint) applyCache(ctx, t, usage);
  let blocks;
  let stopReason = 'end_turn';
  if (conv.tools.length && !conv.lastUserHasToolResult && !ctx.overrides.noTool && !bigText) {
    const spec = conv.tools.find((s) => s.name === conv.toolChoice) ?? conv.tools[0];
    const input = sampleFromSchema(spec.schema);
    blocks = [{ toolUse: { toolUseId: toolUseId(`${ctx.requestId}${seed}`), name: spec.name, input } }];
    usage.outputTokens = tokensForChars(countChars(spec.name + JSON.stringify(input)));
    stopReason = 'tool_use';
  } else {
    const words = ctx.overrides.answerWords ?? ctx.settings.answer_words;
    let text = bigText ?? makeAnswer(ctx.modelId, seed, words);
    if (conv.maxTokens !== undefined && !bigText) {
      const c = capToTokens(text, conv.maxTokens);
      text = c.text;
      if (c.capped) stopReason = 'max_tokens';
    }
    blocks = [{ text }];
    usage.outputTokens = tokensForChars(countChars(text));
  }
  usage.totalTokens = usage.inputTokens + usage.outputTokens +
    (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
  return { blocks, stopReason, usage };
}

// The prefix up to the last cachePoint is written on first sight (per model
// and prefix) and read afterwards; inputTokens then excludes it.
function applyCache(ctx, t, usage) {
  const prefix = t.prefixTokens();
  const key = createHash('sha256').update(ctx.modelId).update('\n')
    .update(t.seed.slice(0, t.prefixParts).join('\n')).digest('hex');
  const hit = ctx.state.promptCache.has(key);
  if (!hit) {
    if (ctx.state.promptCache.size > 10000) ctx.state.promptCache.clear();
    ctx.state.promptCache.add(key);
  }
  usage.inputTokens = Math.max(0, usage.inputTokens - prefix);
  usage.cacheReadInputTokens = hit ? prefix : 0;
  usage.cacheWriteInputTokens = hit ? 0 : prefix;
}
