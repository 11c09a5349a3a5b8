// Emulator configuration: load, validate, and look up per-model settings.
// The config file is JSON; see ../README.md ("Configuration") for every key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const DEFAULT_CONFIG_PATH = path.join(
  path.dirname(fileURLToPath(import.meta.url)), '..', 'config.json');

const BUILTIN_DEFAULTS = {
  latency_ms: 10,
  answer_words: 40,
  chunk_words: 4,
  chunk_delay_ms: 2,
};

// Cross-region inference profile prefixes ("us.", "eu.", ...): an id with one
// of these falls back to the settings of the bare model id.
const GEO_PREFIXES = ['us', 'eu', 'apac', 'us-gov', 'ca', 'jp', 'au', 'global'];

function num(v, name, min, max) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new Error(`config: ${name} must be a number in [${min}, ${max}]`);
  return v;
}

function checkModelSettings(s, where) {
  const out = {};
  for (const [k, v] of Object.entries(s || {})) {
    if (!(k in BUILTIN_DEFAULTS))
      throw new Error(`config: ${where}: unknown key "${k}"`);
    out[k] = num(v, `${where}.${k}`, 0, 10_000_000);
  }
  return out;
}

function checkCredentials(list) {
  if (!Array.isArray(list)) throw new Error('config: credentials must be an array');
  return list.map((c, i) => {
    if (!c || typeof c.access_key_id !== 'string' || typeof c.secret_access_key !== 'string')
      throw new Error(`config: credentials[${i}] needs access_key_id and secret_access_key strings`);
    if (c.session_token !== undefined && typeof c.session_token !== 'string')
      throw new Error(`config: credentials[${i}].session_token must be a string`);
    return { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key,
      sessionToken: c.session_token };
  });
}

// Returns a normalised config object; throws Error with a readable message.
export function loadConfig(file = DEFAULT_CONFIG_PATH) {
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const defaults = { ...BUILTIN_DEFAULTS, ...checkModelSettings(raw.defaults, 'defaults') };
  const models = new Map();
  for (const [id, s] of Object.entries(raw.models || {}))
    models.set(id, { ...defaults, ...checkModelSettings(s, `models["${id}"]`) });
  const apiKeys = raw.api_keys ?? [];
  if (!Array.isArray(apiKeys) || apiKeys.some((k) => typeof k !== 'string' || !k))
    throw new Error('config: api_keys must be an array of non-empty strings');
  return {
    region: typeof raw.region === 'string' ? raw.region : 'us-east-1',
    service: typeof raw.service === 'string' ? raw.service : 'bedrock',
    maxClockSkewS: num(raw.max_clock_skew_s ?? 300, 'max_clock_skew_s', 0, 86400),
    credentials: checkCredentials(raw.credentials ?? []),
    apiKeys,
    slowMs: num(raw.slow_ms ?? 3000, 'slow_ms', 0, 600000),
    oversizedBytes: num(raw.oversized_bytes ?? 20 * 1024 * 1024, 'oversized_bytes', 1024, 1 << 30),
    maxBodyBytes: num(raw.max_body_bytes ?? 25 * 1024 * 1024, 'max_body_bytes', 1024, 1 << 30),
    logMax: num(raw.log_max ?? 20000, 'log_max', 0, 10_000_000),
    defaults,
    models,
  };
}

// Settings for a model id (already resolved from an ARN): exact entry, else
// the entry without a geo prefix, else the defaults. Never throws.
export function modelSettings(config, modelId) {
  if (config.models.has(modelId)) return config.models.get(modelId);
  const dot = modelId.indexOf('.');
  if (dot > 0 && GEO_PREFIXES.includes(modelId.slice(0, dot))) {
    const bare = modelId.slice(dot + 1);
    if (config.models.has(bare)) return config.models.get(bare);
  }
  return config.defaults;
}
