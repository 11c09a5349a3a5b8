// Deterministic answers and token counts.
//
// Token rule (documented in README): a text costs ceil(code points / 4)
// tokens, counted over the concatenation of all texts of a request; an image
// costs 85 + ceil(bytes / 750); a document ceil(bytes / 4). The same request
// to the same model always gets the same answer and the same usage.
import { createHash } from 'node:crypto';

const VOCAB = ('the a model router request answer token latency cost quality prompt cheap strong ' +
  'fallback policy threshold stream frame gateway bedrock region inference budget tenant savings ' +
  'predict choose route measure signal context window cache result value simple complex clear ' +
  'short long fast slow careful reason step check data label score weak rank tree feature').split(' ');

export function countChars(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function tokensForChars(chars) {
  return Math.ceil(chars / 4);
}

export function imageTokens(bytes) {
  return 85 + Math.ceil(bytes / 750);
}

export function documentTokens(bytes) {
  return Math.ceil(bytes / 4);
}

// Small seeded PRNG (mulberry32) so answers are reproducible.
function prng(seedStr) {
  let a = createHash('sha256').update(seedStr).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// An answer of exactly `words` whitespace-separated words (0 → "").
// It starts by naming the model, so end-to-end tests can see who answered.
export function makeAnswer(modelId, seed, words) {
  const head = `This is an emulated answer from ${modelId}.`.split(' ');
  if (words <= head.length) return head.slice(0, words).join(' ');
  const rnd = prng(`${modelId}\n${seed}`);
  const out = head.slice();
  let sentence = 0;
  for (let i = head.length; i < words; i++) {
    let w = VOCAB[Math.floor(rnd() * VOCAB.length)];
    if (sentence === 0) w = w[0].toUpperCase() + w.slice(1);
    sentence++;
    if (i === words - 1 || (sentence >= 8 && rnd() < 0.2)) {
      w += '.';
      sentence = 0;
    }
    out.push(w);
  }
  return out.join(' ');
}

// Cuts text to at most maxTokens tokens under the token rule.
export function capToTokens(text, maxTokens) {
  const cps = [...text];
  if (tokensForChars(cps.length) <= maxTokens) return { text, capped: false };
  return { text: cps.slice(0, maxTokens * 4).join(''), capped: true };
}

// Splits text into chunks of about `words` words, keeping the separators, so
// that the chunks concatenate back to the exact text.
export function chunkText(text, words) {
  const parts = text.match(/\S+\s*/g) ?? [];
  const lead = text.match(/^\s*/)[0];
  const chunks = [];
  const per = Math.max(1, words);
  for (let i = 0; i < parts.length; i += per) chunks.push(parts.slice(i, i + per).join(''));
  if (chunks.length === 0) return text ? [text] : [];
  chunks[0] = lead + chunks[0];
  return chunks;
}

// A JSON value matching a (subset of) JSON Schema, for fake tool inputs.
export function sampleFromSchema(schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 5) return 'sample';
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  switch (schema.type) {
    case 'string': return 'sample';
    case 'integer': case 'number': return 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'object': default: {
      const props = schema.properties && typeof schema.properties === 'object' ? schema.properties : {};
      const keys = Array.isArray(schema.required) && schema.required.length
        ? schema.required : Object.keys(props);
      const out = {};
      for (const k of keys) out[k] = sampleFromSchema(props[k], depth + 1);
      return out;
    }
  }
}

export function toolUseId(seed) {
  const h = createHash('sha256').update(seed).digest('base64url').replace(/[-_]/g, 'x');
  return `tooluse_${h.slice(0, 22)}`;
}
