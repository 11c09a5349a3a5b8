// application/vnd.amazon.eventstream frames, encoded with AWS's own codec.
// Headers are those Bedrock sends: :event-type, :content-type, :message-type
// (or :exception-type for exception frames). Like Bedrock, each event
// payload carries a "p" padding field that clients must ignore.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { toUtf8, fromUtf8 } from '@smithy/util-utf8';

export const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function str(value) {
  return { type: 'string', value };
}

// Deterministic padding of varying length, as Bedrock's "p" field.
function pad(payload) {
  return PAD.slice(0, 1 + (JSON.stringify(payload).length % PAD.length));
}

export function eventFrame(eventType, payload, withPadding = true) {
  const body = withPadding ? { ...payload, p: pad(payload) } : payload;
  return Buffer.from(codec.encode({
    headers: {
      ':event-type': str(eventType),
      ':content-type': str('application/json'),
      ':message-type': str('event'),
    },
    body: fromUtf8(JSON.stringify(body)),
  }));
}

// exceptionType is the union member name, e.g. "throttlingException".
export function exceptionFrame(exceptionType, payload) {
  return Buffer.from(codec.encode({
    headers: {
      ':exception-type': str(exceptionType),
      ':content-type': str('application/json'),
      ':message-type': str('exception'),
    },
    body: fromUtf8(JSON.stringify(payload)),
  }));
}
