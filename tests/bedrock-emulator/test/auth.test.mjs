// SigV4 and bearer authentication of the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startEmulator, sendSigned, bearer, request, modelPath, userMsg, json, signed,
  HAIKU, SECRET, BEARER,
} from '../testkit.mjs';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu.stop(); });

function assertError(res, status, type) {
  assert.equal(res.status, status, res.body.toString());
  assert.equal(res.headers['x-amzn-errortype'], type);
  assert.ok(res.headers['x-amzn-requestid']);
  assert.equal(typeof json(res).message, 'string');
}

test('a request signed with the right key passes; the model id path is percent-encoded', async () => {
  const s = await signed(emu.port, HAIKU, 'converse', userMsg('hello'));
  assert.equal(s.path, '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse');
  const res = await request(emu.port, s);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(json(res).output.message.role, 'assistant');
});

test('the real AWS SDK client (ConverseCommand) is accepted', async () => {
  const client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: emu.base,
    requestHandler: new NodeHttpHandler(),
    credentials: { accessKeyId: 'AKIATIERGATETEST0001', secretAccessKey: SECRET } });
  const out = await client.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  assert.equal(out.stopReason, 'end_turn');
  const bad = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: emu.base, maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
    credentials: { accessKeyId: 'AKIATIERGATETEST0001', secretAccessKey: 'not-the-secret' } });
  await assert.rejects(bad.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
    (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
});

test('wrong secret → 403 InvalidSignatureException with Bedrock message', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg('hello'), { secretAccessKey: 'wrong' });
  assertError(res, 403, 'InvalidSignatureException');
  assert.match(json(res).message, /^The request signature we calculated does not match/);
  assert.ok(!res.body.toString().includes(SECRET));
});

test('unknown access key → 403 UnrecognizedClientException', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg('hello'), { accessKeyId: 'AKIAUNKNOWN000000000' });
  assertError(res, 403, 'UnrecognizedClientException');
});

test('missing Authorization → 403', async () => {
  const res = await request(emu.port, { path: modelPath(HAIKU), headers: { 'content-type': 'application/json' },
    body: JSON.stringify(userMsg('x')) });
  assertError(res, 403, 'MissingAuthenticationTokenException');
});

test('body changed after signing → 403 InvalidSignatureException', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg('hello'),
    { tamper: (b) => b.replace('hello', 'jello') });
  assertError(res, 403, 'InvalidSignatureException');
});

test('clock skew over 5 minutes → 403; under 5 minutes passes', async () => {
  const old = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { signingDate: new Date(Date.now() - 6 * 60000) });
  assertError(old, 403, 'InvalidSignatureException');
  assert.match(json(old).message, /Signature expired/);
  const future = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { signingDate: new Date(Date.now() + 6 * 60000) });
  assertError(future, 403, 'InvalidSignatureException');
  const ok = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { signingDate: new Date(Date.now() - 4 * 60000) });
  assert.equal(ok.status, 200);
});

test('credential scoped to another region → 403', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { region: 'us-west-2' });
  assertError(res, 403, 'InvalidSignatureException');
  assert.match(json(res).message, /region/);
});

test('x-amz-content-sha256 that does not match the body → 403', async () => {
  const res = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'),
    { extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  assertError(res, 403, 'InvalidSignatureException');
});

test('session credentials: token required and checked', async () => {
  const cred = { accessKeyId: 'ASIATIERGATETEST0002', secretAccessKey: 'tiergate+session/secret/key/00000000000000' };
  const token = 'tiergate-test-session-token-0000000000000000000000000000000001';
  const ok = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { ...cred, sessionToken: token });
  assert.equal(ok.status, 200, ok.body.toString());
  const none = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), cred);
  assertError(none, 403, 'UnrecognizedClientException');
  const wrong = await sendSigned(emu.port, HAIKU, 'converse', userMsg('x'), { ...cred, sessionToken: 'nope' });
  assertError(wrong, 403, 'UnrecognizedClientException');
});

test('bearer API key: accepted when listed, 403 otherwise', async () => {
  const ok = await bearer(emu.port, HAIKU, 'converse', userMsg('x'));
  assert.equal(ok.status, 200);
  const bad = await bearer(emu.port, HAIKU, 'converse', userMsg('x'), 'ABSKnot-a-key');
  assertError(bad, 403, 'UnrecognizedClientException');
});

test('the request log records auth results and holds no secrets', async () => {
  const res = await request(emu.port, { method: 'GET', path: '/_emulator/log' });
  const log = json(res);
  assert.ok(log.some((e) => e.auth_kind === 'sigv4' && e.signature_ok === true && e.status === 200));
  assert.ok(log.some((e) => e.auth_kind === 'sigv4' && e.signature_ok === false && e.status === 403));
  assert.ok(log.some((e) => e.auth_kind === 'bearer' && e.status === 200));
  const text = res.body.toString();
  for (const secret of [SECRET, BEARER, 'tiergate-test-session-token', 'Signature='])
    assert.ok(!text.includes(secret), `log leaks ${secret.slice(0, 12)}`);
});
