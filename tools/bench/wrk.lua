-- tools/bench/wrk.lua — wrk script of tools/bench.sh.
--
-- Environment:
--   BENCH_BODY_FILE  when set, every request is a POST of this file's bytes
--                    as application/json (a reservation attempt); else GET
--   BENCH_OUT        file the summary is written to (key=value lines)
--
-- Counts every answer by status in each thread; done() adds them up and
-- writes, with wrk's own counts and latency percentiles (microseconds):
--   requests= duration_us= rps= p50= p90= p99= p999= max= mean= stdev=
--   err_connect= err_read= err_write= err_timeout= err_status=
--   status_<code>=N for every status seen
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
	local f = assert(io.open(body_file, "rb"))
	wrk.method = "POST"
	wrk.body = f:read("*a")
	f:close()
	wrk.headers["Content-Type"] = "application/json"
end

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	counts = {}
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		local c = t:get("counts")
		for k, v in pairs(c) do
			total[k] = (total[k] or 0) + v
		end
	end
	local out = io.open(os.getenv("BENCH_OUT") or "/dev/stdout", "w")
	local function kv(k, v) out:write(string.format("%s=%s\n", k, v)) end
	local secs = summary.duration / 1e6
	kv("requests", summary.requests)
	kv("duration_us", summary.duration)
	kv("rps", string.format("%.1f", summary.requests / secs))
	kv("p50", latency:percentile(50))
	kv("p90", latency:percentile(90))
	kv("p99", latency:percentile(99))
	kv("p999", latency:percentile(99.9))
	kv("max", latency.max)
	kv("mean", string.format("%.0f", latency.mean))
	kv("stdev", string.format("%.0f", latency.stdev))
	kv("err_connect", summary.errors.connect)
	kv("err_read", summary.errors.read)
	kv("err_write", summary.errors.write)
	kv("err_timeout", summary.errors.timeout)
	kv("err_status", summary.errors.status)
	local codes = {}
	for k in pairs(total) do table.insert(codes, k) end
	table.sort(codes)
	for _, k in ipairs(codes) do kv("status_" .. k, total[k]) end
	out:close()
end
