-- tests/bench/wrk/converse.lua - wrk script for the gateway benchmarks:
-- sends one fixed POST (a Bedrock Converse request) over and over and
-- counts what comes back.
--
-- Environment:
--   BENCH_REQ  file describing the request: the path on the first line,
--              then "Name: value" header lines, an empty line, the body
--              (everything after the empty line, byte for byte)
--   BENCH_OUT  file the results are written to as key=value lines
--
-- Results: requests, duration_us, rps, lat_mean_us, lat_p50_us, lat_p90_us, lat_p99_us,
-- lat_max_us, err_connect/read/write/timeout, non2xx, status_<code>=N for
-- every status seen, ov_n/ov_p50_us/ov_p90_us/ov_p99_us (the
-- x-tiergate-overhead-us header, when the answers carry it) and
-- model_<id>=N (the x-tiergate-model header).
--
-- Every thread keeps its own tables; done() gathers them through
-- thread:get().  The request string is built once per thread.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

local req_string

status_count = {}	-- status code -> count (read by done())
ov_hist = {}		-- overhead microseconds -> count
model_count = {}	-- x-tiergate-model -> count

local function read_request(file)
	local f = assert(io.open(file, "rb"), "BENCH_REQ: cannot open " .. file)
	local text = f:read("*a")
	f:close()
	local head, body = text:match("^(.-)\r?\n\r?\n(.*)$")
	assert(head, "BENCH_REQ: no empty line before the body")
	local path
	local headers = {}
	for line in head:gmatch("[^\r\n]+") do
		if path == nil then
			path = line
		else
			local name, value = line:match("^([^:]+):%s*(.*)$")
			assert(name, "BENCH_REQ: bad header line: " .. line)
			-- wrk adds "Host" itself unless the table has exactly that key.
			if name:lower() == "host" then name = "Host" end
			headers[name] = value
		end
	end
	return path, headers, body
end

function init(args)
	local path, headers, body = read_request(os.getenv("BENCH_REQ"))
	req_string = wrk.format("POST", path, headers, body)
end

function request()
	return req_string
end

local function header(headers, name)
	local v = headers[name]
	if v ~= nil then return v end
	for k, val in pairs(headers) do
		if k:lower() == name then return val end
	end
	return nil
end

function response(status, headers, body)
	status_count[status] = (status_count[status] or 0) + 1
	local ov = header(headers, "x-tiergate-overhead-us")
	if ov ~= nil then
		local us = tonumber(ov)
		if us ~= nil then ov_hist[us] = (ov_hist[us] or 0) + 1 end
	end
	local m = header(headers, "x-tiergate-model")
	if m ~= nil then model_count[m] = (model_count[m] or 0) + 1 end
end

-- Percentiles of a value -> count histogram: returns n and a function
-- q -> the smallest value with at least q% of the samples at or below it.
local function hist_pct(hist)
	local keys, n = {}, 0
	for k, c in pairs(hist) do
		table.insert(keys, k)
		n = n + c
	end
	table.sort(keys)
	return n, function(q)
		local want, seen = math.ceil(n * q / 100), 0
		for _, k in ipairs(keys) do
			seen = seen + hist[k]
			if seen >= want then return k end
		end
		return keys[#keys]
	end
end

local function merge(into, from)
	for k, c in pairs(from or {}) do into[k] = (into[k] or 0) + c end
end

function done(summary, latency, requests)
	local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
	local function put(k, v) out:write(k, "=", tostring(v), "\n") end
	local st, ov, models = {}, {}, {}
	for _, t in ipairs(threads) do
		merge(st, t:get("status_count"))
		merge(ov, t:get("ov_hist"))
		merge(models, t:get("model_count"))
	end
	put("requests", summary.requests)
	put("duration_us", summary.duration)
	put("rps", string.format("%.1f", summary.requests / summary.duration * 1e6))
	put("lat_mean_us", string.format("%.0f", latency.mean))
	put("lat_p50_us", latency:percentile(50))
	put("lat_p90_us", latency:percentile(90))
	put("lat_p99_us", latency:percentile(99))
	put("lat_max_us", latency.max)
	for _, k in ipairs({ "connect", "read", "write", "timeout" }) do
		put("err_" .. k, summary.errors[k])
	end
	local non2xx = 0
	for code, c in pairs(st) do
		put("status_" .. code, c)
		if code < 200 or code > 299 then non2xx = non2xx + c end
	end
	put("non2xx", non2xx)
	local n, pct = hist_pct(ov)
	put("ov_n", n)
	if n > 0 then
		put("ov_p50_us", pct(50))
		put("ov_p90_us", pct(90))
		put("ov_p99_us", pct(99))
	end
	for m, c in pairs(models) do put("model_" .. m, c) end
	out:close()
end
