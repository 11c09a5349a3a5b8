// Helpers of the OpenAI front door's client tests (tests/openai/run.sh
// exports the environment: TG_URL, EMU_URL, TG_KEY (tenant acme), TG_KEY2
// (tenant globex), TG_RUN (run directory, decision log), TG_ADMIN_TOKEN).
// Routers are those of tests/e2e/lib.sh.
import { readFileSync } from 'node:fs';
import http from 'node:http';

export const { TG_URL, EMU_URL, TG_KEY, TG_KEY2, TG_RUN, TG_ADMIN_TOKEN } = process.env;
export const BASE = `${TG_URL}/v1`;
export const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
export const SONNET = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
export const SUPPORT = [HAIKU, SONNET];
export const RUN = `${process.pid}-${Date.now()}`;

// TG_NO_KEEPALIVE=1 (the Apache pass): a new connection per request.
// Apache's event MPM stops surplus child processes soon after it starts,
// closing their idle keep-alive connections; a client that reuses one at
// that moment gets a reset that says nothing about tiergate.
const noKeepAlive = process.env.TG_NO_KEEPALIVE === '1';
export const FETCH_HEADERS = noKeepAlive ? { connection: 'close' } : {};
export const httpAgent = noKeepAlive ? new http.Agent({ keepAlive: false }) : undefined;

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const answeredBy = (text, model) =>
  new RegExp(`^This is an emulated answer from ${escape(model)}\\.`).test(text);

// The emulator's token count of a text: ceil(code points / 4).
export const tokens = (s) => Math.ceil([...s].length / 4);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The decision log line of one request (written once the answer went out).
export async function decision(requestId) {
  for (let i = 0; i < 100; i++) {
    const lines = readFileSync(`${TG_RUN}/decisions.jsonl`, 'utf8').split('\n').filter(Boolean);
    const d = lines.map((l) => JSON.parse(l)).find((x) => x.request_id === requestId);
    if (d) return d;
    await sleep(20);
  }
  throw new Error(`no decision logged for ${requestId}`);
}

// POST a Converse request with an API key, as the Bedrock path takes it.
export async function converse(modelId, body, key = TG_KEY) {
  const r = await fetch(`${TG_URL}/model/${encodeURIComponent(modelId)}/converse`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...FETCH_HEADERS },
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

// POST a ConverseStream request and read the event stream to its end.
export async function converseStream(modelId, body, key = TG_KEY) {
  const r = await fetch(`${TG_URL}/model/${encodeURIComponent(modelId)}/converse-stream`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...FETCH_HEADERS },
  });
  await r.arrayBuffer();
  return { status: r.status, headers: r.headers };
}

export async function adminStats() {
  const r = await fetch(`${TG_URL}/admin/api/stats`, {
    headers: { authorization: `Bearer ${TG_ADMIN_TOKEN}`, ...FETCH_HEADERS },
  });
  if (r.status !== 200) throw new Error(`admin stats: ${r.status}`);
  return r.json();
}

export async function emulatorLog(tag) {
  return (await fetch(`${EMU_URL}/_emulator/log?tag=${encodeURIComponent(tag)}`,
    { headers: FETCH_HEADERS })).json();
}
