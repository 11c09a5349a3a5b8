// api.js: the console's only network code. Talks to the read-only admin API
// (docs/admin-api.md, schema version 1) on the same origin, relative to the
// page: a console served at /admin/ reads /admin/api/*.

const TOKEN_KEY = 'tiergate.adminToken';

/** Why a request failed; the UI picks its message from `kind`. */
export class ApiError extends Error {
  /**
   * kind: 'auth' (401, token missing or wrong), 'disabled' (404 admin API
   * disabled in the config), 'down' (network error: nothing answered),
   * 'server' (5xx), 'client' (other 4xx), 'schema' (not the JSON we expect).
   */
  constructor(kind, status, message) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

/** The base URL of the API: <meta name="tiergate-api-base"> or "api/". */
export function apiBase(doc = document) {
  const meta = doc.querySelector('meta[name="tiergate-api-base"]');
  const rel = meta && meta.content ? meta.content : 'api/';
  return new URL(rel, doc.baseURI);
}

/** The admin token lives in sessionStorage only: gone when the tab closes. */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: the token then lasts as long as the page */
  }
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body && typeof body.message === 'string') return body.message;
  } catch {
    /* not JSON: fall through */
  }
  return res.statusText || 'HTTP ' + res.status;
}

function errorKind(res, message) {
  if (res.status === 401 || res.status === 403) return 'auth';
  if (res.status === 404 && /disabled/i.test(message)) return 'disabled';
  if (res.status >= 500) return 'server';
  return 'client';
}

/**
 * GET <base><path>?<params> with the admin token; resolves to the parsed
 * JSON, rejects with an ApiError. `signal` aborts the request.
 */
export async function apiGet(path, params = {}, { token = getToken(), signal } = {}) {
  const url = new URL(path, apiBase());
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  let res;
  try {
    res = await fetch(url, {
      headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('down', 0, 'network error');
  }
  if (!res.ok) {
    const message = await errorMessage(res);
    throw new ApiError(errorKind(res, message), res.status, message);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError('schema', res.status, 'the response is not JSON');
  }
  if (!body || typeof body !== 'object' || body.schema_version !== 1) {
    throw new ApiError('schema', res.status, 'unsupported schema_version ' + (body && body.schema_version));
  }
  return body;
}
