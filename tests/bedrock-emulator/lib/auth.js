// Request authentication, as Bedrock Runtime does it: SigV4 (verified by
// re-signing the received request with AWS's own JavaScript signer,
// @smithy/signature-v4) or a Bedrock API key sent as a bearer token.
//
// verifyAuth() never logs or returns secrets; its result names only the kind
// of authentication and, on failure, a BedrockError to send.
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BedrockError, MSG } from './errors.js';

const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const signers = new WeakMap();

function sha256hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

// Equal-length comparison of digests, so neither content nor length leaks.
function safeEqual(a, b) {
  return timingSafeEqual(createHash('sha256').update(String(a)).digest(),
    createHash('sha256').update(String(b)).digest());
}

function fail(type, message) {
  return new BedrockError(type, message);
}

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." →
// {credential, signedHeaders, signature} or null when malformed.
export function parseAuthorization(value) {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(value);
  if (!m) return null;
  const parts = {};
  for (const item of m[1].split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) return null;
    parts[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  if (!parts.Credential || !parts.SignedHeaders || !parts.Signature) return null;
  return { credential: parts.Credential, signedHeaders: parts.SignedHeaders,
    signature: parts.Signature };
}

function parseAmzDate(s) {
  const m = AMZ_DATE_RE.exec(s || '');
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) ? null : d;
}

function fmtAmz(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function checkSkew(config, amzDate, now) {
  const skew = config.maxClockSkewS * 1000;
  const t = amzDate.getTime();
  if (t < now - skew)
    return fail('InvalidSignatureException', `Signature expired: ${fmtAmz(t)} is now earlier than ` +
      `${fmtAmz(now - skew)} (${fmtAmz(now)} - ${config.maxClockSkewS / 60} min.)`);
  if (t > now + skew)
    return fail('InvalidSignatureException', `Signature not yet current: ${fmtAmz(t)} is still later than ` +
      `${fmtAmz(now + skew)} (${fmtAmz(now)} + ${config.maxClockSkewS / 60} min.)`);
  return null;
}

function checkScope(config, scope, amzDateStr) {
  const [date, region, service, term] = scope;
  if (scope.length !== 4 || term !== 'aws4_request')
    return fail('IncompleteSignatureException', 'Credential must have exactly 5 slash-delimited elements, ' +
      'e.g. keyid/date/region/service/term.');
  if (date !== amzDateStr.slice(0, 8))
    return fail('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 ` +
      `version of date from HTTP: '${date}' != '${amzDateStr.slice(0, 8)}', from '${amzDateStr}'.`);
  if (region !== config.region)
    return fail('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `);
  if (service !== config.service)
    return fail('InvalidSignatureException', `Credential should be scoped to correct service: '${config.service}'. `);
  return null;
}

function checkSessionToken(cred, headers) {
  const sent = headers['x-amz-security-token'];
  if (!cred.sessionToken && sent === undefined) return null;
  if (cred.sessionToken && sent !== undefined && safeEqual(cred.sessionToken, sent)) return null;
  return fail('UnrecognizedClientException', MSG.unknownKey);
}

function checkPayloadHash(headers, body) {
  const claimed = headers['x-amz-content-sha256'];
  if (claimed === undefined || claimed === sha256hex(body)) return null;
  return fail('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match " +
    'what was computed (unsigned payloads are not accepted by this service).');
}

function signerFor(config, cred) {
  let s = signers.get(cred);
  if (!s) {
    s = new SignatureV4({
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey,
        sessionToken: cred.sessionToken },
      region: config.region, service: config.service, sha256: Sha256,
      applyChecksum: false, uriEscapePath: true,
    });
    signers.set(cred, s);
  }
  return s;
}

function parseQuery(qs) {
  const query = {};
  if (!qs) return query;
  for (const pair of qs.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    if (k in query) query[k] = [].concat(query[k], v);
    else query[k] = v;
  }
  return query;
}

// Re-signs the request exactly as received (wire path, listed headers, body)
// and compares signatures in constant time.
async function resign(config, cred, req, rawUrl, body, auth, signed, amzDate) {
  const q = rawUrl.indexOf('?');
  const headers = {};
  for (const name of signed) {
    if (req.headers[name] === undefined)
      return fail('InvalidSignatureException', MSG.badSignature);
    headers[name] = String(req.headers[name]);
  }
  let query;
  try {
    query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
  } catch {
    return fail('InvalidSignatureException', MSG.badSignature);
  }
  const request = new HttpRequest({
    method: req.method, protocol: 'https:',
    hostname: String(req.headers.host ?? req.headers[':authority'] ?? '').split(':')[0],
    path: q < 0 ? rawUrl : rawUrl.slice(0, q), query, headers, body,
  });
  const out = await signerFor(config, cred).sign(request,
    { signingDate: amzDate, signableHeaders: new Set(signed) });
  const mine = parseAuthorization(out.headers.authorization);
  if (!mine || mine.signedHeaders !== auth.signedHeaders || !safeEqual(mine.signature, auth.signature))
    return fail('InvalidSignatureException', MSG.badSignature);
  return null;
}

async function verifySigV4(config, req, rawUrl, body, now) {
  const auth = parseAuthorization(req.headers.authorization);
  if (!auth)
    return fail('IncompleteSignatureException', 'Authorization header requires \'Credential\', ' +
      '\'SignedHeaders\' and \'Signature\' parameters (AWS4-HMAC-SHA256).');
  const [keyId, ...scope] = auth.credential.split('/');
  const cred = config.credentials.find((c) => safeEqual(c.accessKeyId, keyId));
  if (!cred) return fail('UnrecognizedClientException', MSG.unknownKey);
  const amzDateStr = req.headers['x-amz-date'];
  const amzDate = parseAmzDate(amzDateStr);
  if (!amzDate)
    return fail('IncompleteSignatureException', "Authorization header requires existence of a valid " +
      "'X-Amz-Date' header (YYYYMMDD'T'HHMMSS'Z').");
  const signed = auth.signedHeaders.split(';');
  if (!(signed.includes('host') || signed.includes(':authority')) || !signed.includes('x-amz-date'))
    return fail('InvalidSignatureException', "'Host' (HTTP/2: ':authority') and 'X-Amz-Date' must be signed headers.");
  return checkSkew(config, amzDate, now) || checkScope(config, scope, amzDateStr) ||
    checkSessionToken(cred, req.headers) || checkPayloadHash(req.headers, body) ||
    resign(config, cred, req, rawUrl, body, auth, signed, amzDate);
}

function verifyBearer(config, token) {
  const ok = config.apiKeys.reduce((acc, k) => safeEqual(k, token) || acc, false);
  return ok ? null : fail('UnrecognizedClientException', MSG.badBearer);
}

// Returns {kind: 'sigv4'|'bearer'|'none', error: BedrockError|null}.
export async function verifyAuth(config, req, rawUrl, body, now = Date.now()) {
  const h = req.headers.authorization;
  if (h === undefined || h === '')
    return { kind: 'none', error: fail('MissingAuthenticationTokenException', MSG.missingAuth) };
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (bearer) return { kind: 'bearer', error: verifyBearer(config, bearer[1]) };
  if (!h.startsWith('AWS4-HMAC-SHA256'))
    return { kind: 'none', error: fail('IncompleteSignatureException',
      'Authorization header must use AWS4-HMAC-SHA256 or Bearer.') };
  return { kind: 'sigv4', error: await verifySigV4(config, req, rawUrl, body, now) };
}
