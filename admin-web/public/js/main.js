// main.js: the console's entry point. Owns the state (token, window, chosen
// router), the periodic refresh and the error/empty/sign-in screens; the
// views render what the admin API answers.
import { apiGet, getToken, setToken, apiBase } from './api.js';
import { $, setText } from './dom.js';
import { fmtTime, setModelNames } from './format.js';
import { renderStats } from './overview.js';
import { renderRouterOptions, renderWhatif, whatifMessage } from './whatif.js';
import { renderNewest, renderOlder, olderCursor, decisionsMessage } from './decisions.js';

const WINDOWS = ['1h', '24h', '7d', '30d'];
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(1, Number(params.get('refresh')) || 10) * 1000;

const state = {
  window: WINDOWS.includes(params.get('window')) ? params.get('window') : sessionGet('tiergate.window') || '24h',
  router: sessionGet('tiergate.router') || '',
  routers: [],
  whatif: null,
  timer: null,
  statsSeq: 0,
  statsAbort: null,
  lastOk: 0,
};

function sessionGet(k) {
  try {
    return sessionStorage.getItem(k);
  } catch {
    return null;
  }
}

function sessionSet(k, v) {
  try {
    sessionStorage.setItem(k, v);
  } catch {
    /* ignore: storage disabled */
  }
}

/* ---- messages ---- */

function describe(err) {
  const base = apiBase().pathname;
  switch (err.kind) {
    case 'down': return `Cannot reach the tiergate admin API at ${base} (network error). Is tiergate running behind the web server?`;
    case 'server': return `The admin API at ${base} failed: HTTP ${err.status}: ${err.message}.`;
    case 'disabled': return `The admin API is disabled: ${err.message}.`;
    case 'schema': return `The admin API answered something this console does not understand (${err.message}).`;
    case 'auth': return `The admin token was rejected (HTTP ${err.status}: ${err.message}).`;
    default: return `The admin API refused the request: HTTP ${err.status}: ${err.message}.`;
  }
}

function showBanner(text) {
  const b = $('banner');
  setText($('banner-text'), text);
  b.hidden = text === '';
  document.body.classList.toggle('is-stale', text !== '');
}

function setStatus(text) {
  setText($('status'), text);
}

/* ---- sign in / out ---- */

function showLogin(message) {
  stopTimer();
  $('login').hidden = false;
  $('dashboard').hidden = true;
  $('controls').hidden = true;
  showBanner('');
  setStatus('');
  const err = $('login-error');
  setText(err, message || '');
  err.hidden = !message;
  const input = $('token');
  input.value = '';
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  input.focus();
}

function showDashboard() {
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('controls').hidden = false;
}

async function onLogin(e) {
  e.preventDefault();
  const token = $('token').value.trim();
  if (!token) return showLogin('Enter the admin token.');
  setToken(token);
  $('login-submit').disabled = true;
  try {
    await apiGet('routers');
    showDashboard();
    start();
  } catch (err) {
    if (err.kind === 'auth') {
      setToken('');
      showLogin(describe(err) + ' Check the token and try again.');
    } else {
      showDashboard();
      start();
    }
  } finally {
    $('login-submit').disabled = false;
  }
}

function signOut() {
  setToken('');
  showLogin('');
}

/* ---- loading ---- */

async function loadStats() {
  const seq = ++state.statsSeq;
  if (state.statsAbort) state.statsAbort.abort();
  state.statsAbort = new AbortController();
  document.body.dataset.statsWindow = state.window;
  const s = await apiGet('stats', { window: state.window }, { signal: state.statsAbort.signal });
  if (seq !== state.statsSeq) return;
  renderStats(s);
  document.body.dataset.statsLoaded = s.window.name;
  document.body.dataset.statsRenders = String(Number(document.body.dataset.statsRenders || 0) + 1);
}

async function loadWhatif() {
  state.router = renderRouterOptions(state.routers, state.router);
  if (!state.router) return;
  await loadWhatifFor(state.router);
}

async function loadWhatifFor(id) {
  try {
    const d = await apiGet('whatif', { router: id });
    if (id !== state.router) return;
    state.whatif = d;
    renderWhatif(d, state.routers.find((r) => r.id === id), $('whatif-mode').value);
  } catch (err) {
    if (err.kind === 'auth' || err.kind === 'down') throw err;
    whatifMessage(describe(err));
  }
}

async function loadDecisions() {
  try {
    renderNewest(await apiGet('decisions', { limit: 50 }));
    decisionsMessage('');
  } catch (err) {
    if (err.kind === 'auth' || err.kind === 'down') throw err;
    decisionsMessage(describe(err));
  }
}

async function loadOlder() {
  const b = $('decisions-more');
  b.disabled = true;
  try {
    renderOlder(await apiGet('decisions', { limit: 50, before: olderCursor() }));
  } catch (err) {
    decisionsMessage(describe(err));
  } finally {
    b.disabled = false;
  }
}

/** One refresh of everything; the first failure decides the message. */
/** The routers document, and the display names of models it carries (once
 * per refresh, before anything shows a model). */
async function loadRouters() {
  const d = await apiGet('routers');
  setModelNames(d.model_names || {}, d.routers);
  state.routers = d.routers;
}

async function refresh() {
  const first = await Promise.allSettled([loadRouters()]);
  const results = first[0].status === 'rejected' ? first
    : await Promise.allSettled([loadStats(), loadWhatif(), loadDecisions()]);
  const errs = results.filter((r) => r.status === 'rejected').map((r) => r.reason)
    .filter((e) => !(e && e.name === 'AbortError'));
  const auth = errs.find((e) => e.kind === 'auth');
  if (auth) {
    setToken('');
    return showLogin(describe(auth) + ' Enter the token again.');
  }
  if (errs.length) {
    const stale = state.lastOk ? ' Showing data from ' + fmtTime(state.lastOk / 1000) + '.' : '';
    showBanner(describe(errs[0]) + stale + ` Retrying every ${REFRESH_MS / 1000} s.`);
    setStatus('Update failed');
    if (!errs[0].kind) console.error(errs[0]);
    return;
  }
  state.lastOk = Date.now();
  showBanner('');
  setStatus('Updated ' + new Date().toLocaleTimeString('en-GB', { hour12: false }));
  document.body.dataset.ready = '1';
}

function stopTimer() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

function start() {
  stopTimer();
  markWindow();
  refresh();
  state.timer = setInterval(refresh, REFRESH_MS);
}

/* ---- controls ---- */

function markWindow() {
  for (const b of document.querySelectorAll('[data-window]')) {
    b.setAttribute('aria-pressed', String(b.dataset.window === state.window));
  }
}

function onWindow(e) {
  const w = e.currentTarget.dataset.window;
  if (w === state.window) return;
  state.window = w;
  sessionSet('tiergate.window', w);
  markWindow();
  loadStats().catch((err) => err.name !== 'AbortError' && refresh());
}

function onRouter(e) {
  state.router = e.target.value;
  sessionSet('tiergate.router', state.router);
  loadWhatifFor(state.router).catch(() => refresh());
}

function bind() {
  $('login-form').addEventListener('submit', onLogin);
  $('signout').addEventListener('click', signOut);
  $('refresh-now').addEventListener('click', () => refresh());
  $('banner-retry').addEventListener('click', () => refresh());
  $('decisions-more').addEventListener('click', loadOlder);
  $('whatif-router').addEventListener('change', onRouter);
  $('whatif-mode').addEventListener('change', () => {
    if (state.whatif) renderWhatif(state.whatif, state.routers.find((r) => r.id === state.router), $('whatif-mode').value);
  });
  for (const b of document.querySelectorAll('[data-window]')) b.addEventListener('click', onWindow);
}

function main() {
  bind();
  if (!getToken()) return showLogin('');
  showDashboard();
  start();
}

main();
