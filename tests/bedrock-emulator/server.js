#!/usr/bin/env node
// Bedrock Runtime emulator for tiergate's tests, demo and benchmarks.
//   node tests/bedrock-emulator/server.js [--port N] [--port-file FILE]
//                                         [--config FILE] [--quiet]
// Listens on 127.0.0.1; prints "bedrock-emulator listening on 127.0.0.1:PORT"
// once ready. See README.md in this directory for the full contract.
import { writeFileSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, DEFAULT_CONFIG_PATH } from './lib/config.js';
import { createEmulator } from './lib/emulator.js';

function usage(msg) {
  if (msg) console.error(`bedrock-emulator: ${msg}`);
  console.error('usage: server.js [--port N] [--port-file FILE] [--config FILE] [--quiet]');
  process.exit(2);
}

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        'port-file': { type: 'string' },
        config: { type: 'string', default: DEFAULT_CONFIG_PATH },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    usage(e.message);
  }
  if (values.help) usage();
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`invalid --port "${values.port}"`);
  return { ...values, port };
}

function writePortFile(file, port) {
  const tmp = `${file}.tmp.${process.pid}`;
  writeFileSync(tmp, `${port}\n`);
  renameSync(tmp, file);
}

function main() {
  const opts = parseCli();
  let config;
  try {
    config = loadConfig(opts.config);
  } catch (e) {
    console.error(`bedrock-emulator: ${opts.config}: ${e.message}`);
    process.exit(2);
  }
  const { server, close } = createEmulator(config, { quiet: opts.quiet });
  server.on('error', (e) => {
    console.error(`bedrock-emulator: ${e.message}`);
    process.exit(1);
  });
  server.listen({ host: '127.0.0.1', port: opts.port, backlog: 4096 }, () => {
    const { port } = server.address();
    try {
      if (opts['port-file']) writePortFile(opts['port-file'], port);
    } catch (e) {
      console.error(`bedrock-emulator: --port-file: ${e.message}`);
      process.exit(1);
    }
    process.stdout.write(`bedrock-emulator listening on 127.0.0.1:${port}\n`);
  });
  const stop = () => {
    close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
