// The AWS SDK for JavaScript against the errors a web server in front of
// tiergate raises itself (or lets tiergate raise): each request below is
// refused, and the SDK must report Bedrock's error type, not a parse error.
// Run by tests/e2e/webserver-errors.sh with TG_URL, TG_AKID, TG_SECRET,
// and NUL_STATUS/NUL_TYPE/LONG_STATUS (what this web server
// answers for a NUL in the path and for a path over its limits).
// Prints one line per case; exits 1 when any case fails.
import assert from 'node:assert/strict';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const { TG_URL, TG_AKID, TG_SECRET } = process.env;
const user = (text) => [{ role: 'user', content: [{ text }] }];

function client(http2) {
  return new BedrockRuntimeClient({
    region: 'us-east-1', endpoint: TG_URL, maxAttempts: 1,
    credentials: { accessKeyId: TG_AKID, secretAccessKey: TG_SECRET },
    // the SDK's default handler for bedrock-runtime speaks HTTP/2 (h2c here)
    ...(http2 ? {} : { requestHandler: new NodeHttpHandler() }),
  });
}

const cases = [
  { what: 'a body over 32 MiB', modelId: 'support', text: 'a'.repeat(33 << 20),
    status: 413, type: 'ValidationException' },
  { what: 'CR LF in the model id', modelId: 'a\r\nb', status: 400, type: 'ValidationException' },
  { what: 'NUL in the model id', modelId: 'a\u0000b', status: Number(process.env.NUL_STATUS),
    type: process.env.NUL_TYPE },
  { what: 'a path over the web server\'s limit', modelId: 'a'.repeat(40000),
    status: Number(process.env.LONG_STATUS), type: 'ValidationException' },
  { what: 'an unknown model id', modelId: 'no.such-model-v1', status: 400, type: 'ValidationException' },
  { what: 'a router ARN of another account',
    modelId: `arn:aws:bedrock:us-east-1:999999999999:prompt-router/support`,
    status: 403, type: 'AccessDeniedException' },
];

let failed = 0;
for (const http2 of [false, true]) {
  const c = client(http2);
  for (const k of cases) {
    const label = `${http2 ? 'h2c' : 'HTTP/1.1'}: ${k.what}`;
    const t0 = Date.now();
    try {
      await c.send(new ConverseCommand({ modelId: k.modelId, messages: user(k.text ?? 'hi') }));
      throw new Error('the request succeeded');
    } catch (e) {
      try {
        assert.equal(e.name, k.type, `error type (message: ${e.message})`);
        assert.equal(e.$metadata?.httpStatusCode, k.status, 'HTTP status');
        assert.ok(typeof e.message === 'string' && e.message.length > 0 && !/Unexpected token|JSON/.test(e.message),
          `a Bedrock message, not a parse error: ${e.message}`);
        assert.ok(Date.now() - t0 < 10000, `answered after ${Date.now() - t0} ms`);
        console.log(`ok: ${label}: ${e.name} ${k.status} in ${Date.now() - t0} ms`);
      } catch (f) {
        failed++;
        console.log(`FAIL: ${label}: ${f.message} (got ${e.name}, ${e.$metadata?.httpStatusCode})`);
      }
    }
  }
  c.destroy();
}
process.exit(failed ? 1 : 0);
