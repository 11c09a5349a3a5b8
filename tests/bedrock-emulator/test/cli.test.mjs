// CLI contract (listen line, --port-file, --config errors, SIGTERM) and
// 500 concurrent slow requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEmulator, tempDir, bearer, sendSigned, request, userMsg, json, SERVER, HAIKU } from '../testkit.mjs';

test('--port-file gets the port; SIGTERM exits 0', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'port');
  const emu = await startEmulator(['--port-file', file]);
  assert.equal(readFileSync(file, 'utf8').trim(), String(emu.port));
  assert.equal((await request(emu.port, { method: 'GET', path: '/_emulator/health' })).status, 200);
  assert.equal(await emu.stop(), 0);
});

test('a bad config file is reported and exits 2', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ models: { x: { latency: 5 } } }));
  const proc = spawn(process.execPath, [SERVER, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const [code] = await once(proc, 'exit');
  assert.equal(code, 2);
  assert.match(err, /unknown key "latency"/);
});

test('500 concurrent requests answering in 1 s complete together', async () => {
  const emu = await startEmulator();
  try {
    const t0 = Date.now();
    const all = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2
      ? bearer(emu.port, HAIKU, 'converse', userMsg(`c${i} [[latency:1000]]`))
      : sendSigned(emu.port, HAIKU, 'converse', userMsg(`c${i} [[latency:1000]]`)))));
    const elapsed = Date.now() - t0;
    assert.ok(all.every((r) => r.status === 200), 'all 200');
    assert.ok(elapsed >= 1000 && elapsed < 4000, `took ${elapsed} ms`);
    const stats = json(await request(emu.port, { method: 'GET', path: '/_emulator/stats' }));
    assert.equal(stats.by_status['200'], 500);
    assert.ok(stats.max_in_flight >= 400, `max_in_flight ${stats.max_in_flight}`);
  } finally {
    await emu.stop();
  }
});
