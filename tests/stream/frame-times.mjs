// Runs `curl --no-buffer ARGS...`, reads the event stream it writes, checks
// every frame's CRCs as it completes, and prints one JSON line:
//   {frames, chunks, first_frame_ms, last_byte_ms, kinds, invoked, frame_ms, bytes}
// (frame_ms: when each frame completed; bytes: body bytes received)
// Times are milliseconds since curl was started, so a stream that a proxy
// buffered shows first_frame_ms close to last_byte_ms.
import { spawn } from 'node:child_process';
import { codec, crc32 } from '../bedrock-emulator/testkit.mjs';

const curl = spawn('curl', ['-sS', '--no-buffer', ...process.argv.slice(2)],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const t0 = performance.now();
let buf = Buffer.alloc(0);
let chunks = 0;
let firstFrame = null;
let lastByte = null;
const kinds = [];
const frameMs = [];
let bytes = 0;
let invoked = null;

function takeFrames() {
  while (buf.length >= 12) {
    const total = buf.readUInt32BE(0);
    if (buf.length < total) return;
    const frame = buf.subarray(0, total);
    if (crc32(frame.subarray(0, 8)) !== frame.readUInt32BE(8)) throw new Error('bad prelude CRC');
    if (crc32(frame.subarray(0, total - 4)) !== frame.readUInt32BE(total - 4)) throw new Error('bad message CRC');
    const m = codec.decode(frame);
    const h = (k) => m.headers[k]?.value;
    kinds.push(h(':event-type') ?? `!${h(':exception-type')}`);
    if (h(':event-type') === 'metadata')
      invoked = JSON.parse(Buffer.from(m.body).toString('utf8')).trace?.promptRouter?.invokedModelId ?? null;
    frameMs.push(Math.round(performance.now() - t0));
    if (firstFrame === null) firstFrame = performance.now() - t0;
    buf = buf.subarray(total);
  }
}

curl.stdout.on('data', (d) => {
  chunks++;
  bytes += d.length;
  lastByte = performance.now() - t0;
  buf = Buffer.concat([buf, d]);
  takeFrames();
});
curl.on('close', (code) => {
  if (code !== 0) throw new Error(`curl exited with ${code}`);
  if (buf.length) throw new Error(`${buf.length} bytes of an incomplete frame at the end`);
  console.log(JSON.stringify({ frames: kinds.length, chunks, first_frame_ms: firstFrame,
    last_byte_ms: lastByte, kinds, invoked, frame_ms: frameMs, bytes }));
});
