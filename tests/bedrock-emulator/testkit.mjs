// Test kit for the emulator, usable by any Node test under tests/: start the
// emulator through its CLI, sign requests with AWS's own signer, send raw
// HTTP/1.1 requests, decode and CRC-check event streams.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { toUtf8, fromUtf8 } from '@smithy/util-utf8';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SERVER = path.join(HERE, 'server.js');
export const DEFAULT_CONFIG = path.join(HERE, 'config.json');
export const KEY_ID = 'AKIATIERGATETEST0001';
export const SECRET = 'tiergate+test/secret/key/0000000000000000000';
export const BEARER = 'ABSKtiergate-test-bearer-token';
export const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
export const codec = new EventStreamCodec(toUtf8, fromUtf8);
export const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

// A temp directory removed when the process exits.
export function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bedrock-emu-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A config derived from the default one, written to a temp file.
export function writeConfig(patch) {
  const cfg = { ...JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8')), ...patch };
  const dir = tempDir();
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

// Starts server.js on port 0; resolves {port, base, proc, stop()}.
export async function startEmulator(args = []) {
  const proc = spawn(process.execPath, [SERVER, '--port', '0', '--quiet', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^bedrock-emulator listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`emulator exited with ${code}: ${out}`)));
  });
  return {
    port, proc, base: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const [code] = await once(proc, 'exit');
      return code;
    },
  };
}

// Raw HTTP request; resolves {status, headers, body: Buffer}. Rejects on
// socket errors (reset, truncation).
export function request(port, { method = 'POST', path: p, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function modelPath(modelId, api = 'converse') {
  return `/model/${encodeURIComponent(modelId)}/${api}`;
}

// Signs like the AWS SDK does (path percent-encoded once on the wire, the
// signer double-encodes it in the canonical URI).
export async function signed(port, modelId, api, bodyObj, {
  accessKeyId = KEY_ID, secretAccessKey = SECRET, sessionToken, region = 'us-east-1',
  signingDate = new Date(), extraHeaders = {}, tamper,
} = {}) {
  const body = typeof bodyObj === 'string' ? bodyObj : JSON.stringify(bodyObj);
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey, sessionToken },
    region, service: 'bedrock', sha256: Sha256 });
  const req = new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port,
    path: modelPath(modelId, api),
    headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...extraHeaders }, body });
  const s = await signer.sign(req, { signingDate });
  return { path: s.path, headers: s.headers, body: tamper ? tamper(body) : body };
}

export async function sendSigned(port, modelId, api, bodyObj, opts) {
  return request(port, await signed(port, modelId, api, bodyObj, opts));
}

export function bearer(port, modelId, api, bodyObj, token = BEARER) {
  return request(port, { path: modelPath(modelId, api),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof bodyObj === 'string' ? bodyObj : JSON.stringify(bodyObj) });
}

export function userMsg(text, extra = {}) {
  return { messages: [{ role: 'user', content: [{ text }] }], ...extra };
}

export function json(res) {
  return JSON.parse(res.body.toString('utf8'));
}

// CRC-32 (IEEE), independent of the codec, to check frame checksums.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Splits an event-stream body into frames, checking both CRCs by hand, and
// decodes each with AWS's codec. Returns [{headers, body (parsed JSON)}].
export function decodeFrames(buf) {
  const frames = [];
  let off = 0;
  while (off < buf.length) {
    const total = buf.readUInt32BE(off);
    const frame = buf.subarray(off, off + total);
    if (frame.length !== total) throw new Error('incomplete frame');
    if (crc32(frame.subarray(0, 8)) !== frame.readUInt32BE(8)) throw new Error('bad prelude CRC');
    if (crc32(frame.subarray(0, total - 4)) !== frame.readUInt32BE(total - 4)) throw new Error('bad message CRC');
    const msg = codec.decode(frame);
    const headers = Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, v.value]));
    frames.push({ headers, body: JSON.parse(toUtf8(msg.body)) });
    off += total;
  }
  return frames;
}

// Streams a request and records when each chunk of the body arrived. On a
// socket error the rejection carries the chunks received so far (.chunks).
export function timedRequest(port, opts) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const chunks = [];
    const fail = (e) => reject(Object.assign(e, { chunks }));
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: opts.path, headers: opts.headers, agent },
      (res) => {
        res.on('data', (c) => chunks.push({ t: Date.now() - t0, c }));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, chunks,
          body: Buffer.concat(chunks.map((x) => x.c)) }));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('aborted')));
      });
    req.on('error', fail);
    req.end(opts.body);
  });
}
