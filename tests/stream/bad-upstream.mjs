// A deliberately broken Bedrock stand-in for tests/stream/upstream-errors.sh:
// it answers every converse-stream call (no authentication) according to
// the first word of the prompt:
//   crc        messageStart, then a contentBlockDelta whose payload has one
//              byte flipped after encoding (message CRC mismatch)
//   slow       messageStart, then a delta every 300 ms for 6 s
//   stall      messageStart, four deltas, then silence for 6 s
//   exception  a throttlingException frame and the end of the stream
// Prints "bad-upstream listening on 127.0.0.1:PORT" when ready.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { codec } from '../bedrock-emulator/testkit.mjs';

const str = (value) => ({ type: 'string', value });
const frame = (type, body, kind = 'event') => Buffer.from(codec.encode({
  headers: kind === 'event'
    ? { ':event-type': str(type), ':content-type': str('application/json'), ':message-type': str('event') }
    : { ':exception-type': str(type), ':content-type': str('application/json'), ':message-type': str('exception') },
  body: Buffer.from(JSON.stringify(body)),
}));
const delta = (text) => frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });

async function answer(mode, res) {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
  if (mode === 'exception') return res.end(frame('throttlingException', { message: 'Slow down (bad-upstream)' }, 'exception'));
  res.write(frame('messageStart', { role: 'assistant' }));
  if (mode === 'crc') {
    const f = delta('this frame is corrupted');
    f[f.length - 8] ^= 0x20;
    await sleep(50);
    res.write(f);
    await sleep(50);
    return res.end(delta('never reaches the client'));
  }
  if (mode === 'stall') {
    for (let i = 0; i < 4; i++) res.write(delta(`before the stall ${i} `));
    await sleep(6000);
    return res.end(delta('after the stall'));
  }
  for (let i = 0; i < 20 && !res.destroyed; i++) {
    await sleep(300);
    res.write(delta(`slow ${i} `));
  }
  return res.end();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let mode = 'crc';
    try {
      mode = JSON.parse(Buffer.concat(chunks).toString()).messages[0].content[0].text.split(' ')[0];
    } catch { /* default */ }
    answer(mode, res).catch(() => res.destroy());
  });
});
server.listen(0, '127.0.0.1', () => console.log(`bad-upstream listening on 127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
