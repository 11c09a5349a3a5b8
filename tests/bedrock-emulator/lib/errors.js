// Bedrock-shaped errors: JSON {"message": ...}, an x-amzn-ErrorType header
// naming the exception, and the status Bedrock's service model gives it.

export const ERRORS = {
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  IncompleteSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ModelTimeoutException: 408,
  ServiceQuotaExceededException: 400,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ModelErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

export class BedrockError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
    this.status = ERRORS[type] ?? 500;
  }
}

export const MSG = {
  badSignature: 'The request signature we calculated does not match the signature you provided. ' +
    'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  unknownKey: 'The security token included in the request is invalid.',
  missingAuth: 'Missing Authentication Token',
  badBearer: 'Invalid API Key: the bearer token is not valid for this service.',
  invalidModel: 'The provided model identifier is invalid.',
  throttled: 'Too many requests, please wait before trying again.',
  notReady: 'Model is not ready for inference. Wait and try your request again. ' +
    'Refer to Bedrock documentation for more information.',
  internal: 'The system encountered an unexpected error during processing. Try your request again.',
  unavailable: 'Bedrock is unable to process your request.',
  timeout: 'Model has timed out in processing the request. Try your request again.',
  injected400: 'Malformed input request (injected by the emulator), please reformat your input and try again.',
};

// Writes a complete error response. requestId is echoed in x-amzn-RequestId.
export function sendError(res, requestId, type, message) {
  const status = ERRORS[type] ?? 500;
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': type,
  });
  res.end(body);
  return status;
}
