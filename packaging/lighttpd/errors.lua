-- errors.lua - lighttpd's own error answers in Bedrock's shape (mod_magnet,
-- magnet.attract-response-start-to in tiergate.conf.in).
--
-- tiergate answers every error it raises itself as Bedrock does: a JSON
-- body {"message": "..."}, Content-Type application/json and the
-- x-amzn-ErrorType header the AWS SDKs read the error's type from.  The
-- errors lighttpd raises before or instead of tiergate (a path with CR,
-- LF or NUL, headers over its limits, a body it refuses, tiergate not
-- answering) would otherwise be lighttpd's HTML page, which an SDK reports
-- as a JSON parse error.  This runs when any response starts: a response
-- of status >= 400 without x-amzn-RequestId (which tiergate sends on every
-- answer, Bedrock- or OpenAI-shaped) did not come from tiergate, and is
-- rewritten here.  No secret, header or path of the request is echoed.
--
-- Under /v1/ (the OpenAI-compatible API) the same errors are answered in
-- OpenAI's shape instead, {"error": {"message", "type", "param", "code"}},
-- which the OpenAI SDKs read.  That needs the request's path: where
-- lighttpd refused the request before it could parse the request line
-- (a request line or header block over its limits), no path is known
-- and the answer stays Bedrock-shaped.

local types = {
  [400] = { "ValidationException", "The request could not be read (request line, header or path)" },
  [403] = { "AccessDeniedException", "Access to this path is denied" },
  [404] = { "ResourceNotFoundException", "Nothing is served at this path" },
  [405] = { "ValidationException", "The method is not allowed on this path" },
  [408] = { "ValidationException", "The request was not received in time" },
  [411] = { "ValidationException", "A Content-Length header is required" },
  [413] = { "ValidationException", "The request body is larger than this server accepts" },
  [414] = { "ValidationException", "The request path is too long" },
  [417] = { "ValidationException", "The Expect header is not supported" },
  [431] = { "ValidationException", "The request headers are too large" },
  [500] = { "InternalServerException", "The web server failed to process the request" },
  [501] = { "ValidationException", "The method is not implemented" },
  [502] = { "ServiceUnavailableException", "tiergate did not give a valid answer" },
  [503] = { "ServiceUnavailableException", "tiergate is not available" },
  [504] = { "ModelTimeoutException", "tiergate did not answer in time" },
}

-- OpenAI's error type and code for a status (the codes tiergate's own
-- OpenAI-shaped errors use; see gateway/openai.c).
local function openai_type(status)
  if status == 401 then return "authentication_error", "null" end
  if status == 403 then return "permission_error", "null" end
  if status == 404 then return "invalid_request_error", '"not_found"' end
  if status == 408 or status == 504 then return "server_error", '"timeout"' end
  if status == 413 then return "invalid_request_error", '"request_too_large"' end
  if status >= 500 then return "server_error", "null" end
  return "invalid_request_error", "null"
end

-- The request's path, or nil where lighttpd has none (request not parsed).
local function request_path(r)
  local ok, p = pcall(function() return r.req_attr["uri.path"] end)
  if ok and type(p) == "string" and p ~= "" then return p end
  ok, p = pcall(function() return r.req_attr["request.uri"] end)
  if ok and type(p) == "string" then return p end
  return nil
end

local r = lighty.r
local status = r.req_item.http_status
if status < 400 or r.resp_header["x-amzn-RequestId"] ~= nil then
  return 0
end
local t = types[status] or (status >= 500 and
  { "InternalServerException", "The web server could not answer" } or
  { "ValidationException", "The request was refused by the web server" })
local path = request_path(r)
r.resp_header["Content-Type"] = "application/json"
if path ~= nil and path:sub(1, 4) == "/v1/" then
  local otype, code = openai_type(status)
  r.resp_body.set({ '{"error":{"message":"' .. t[2] .. '","type":"' .. otype ..
    '","param":null,"code":' .. code .. '}}' })
  return status
end
r.resp_header["x-amzn-ErrorType"] = t[1]
r.resp_body.set({ '{"message":"' .. t[2] .. '"}' })
return status
