// lib.mjs: shared setup of the console browser tests. Target selection:
//   CONSOLE_URL, ADMIN_TOKEN [, STATS_URL]  -> a running stack (the real
//       check: lighttpd + tiergate fed with traffic);
//   none of them                            -> the fixture server of this
//       directory, started in-process on a free 127.0.0.1 port.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'package.json'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const OUT_DIR = process.env.TEST_OUTPUT_DIR || join(here, 'test-output');

/** Resolves the target: {consoleUrl, token, statsUrl, stop(), fixture}. */
export async function target() {
  if (process.env.CONSOLE_URL) {
    if (!process.env.ADMIN_TOKEN) throw new Error('CONSOLE_URL is set but ADMIN_TOKEN is not');
    const consoleUrl = process.env.CONSOLE_URL;
    return { consoleUrl, token: process.env.ADMIN_TOKEN, fixture: false,
      statsUrl: process.env.STATS_URL || new URL('api/stats', consoleUrl).href, stop: async () => {} };
  }
  const { startFixture } = await import('./fixture-server.mjs');
  const fx = await startFixture({ token: 'fixture-token-' + process.pid });
  return { consoleUrl: fx.url, token: fx.ctx.token, fixture: true, statsUrl: new URL('api/stats', fx.url).href,
    stop: () => new Promise((ok) => fx.server.close(ok)) };
}

/** Launches the Debian chromium with a fresh profile; never downloads a browser. */
export async function launch() {
  const { chromium } = require('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'tg-console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true,
    viewport: { width: 1366, height: 900 }, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC',
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** GET an admin API URL with the token (Node's fetch), parsed JSON. */
export async function getJson(url, token) {
  const res = await fetch(url, { headers: { Authorization: 'Bearer ' + token } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

/** Saves a screenshot into the test output directory; returns its path. */
export async function shot(page, name, opts = {}) {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, name + '.png');
  await page.screenshot({ path, ...opts });
  return path;
}
