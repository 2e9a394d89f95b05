-- tools/bench/queue_poll.lua — wrk script: waiting-room polls with distinct
-- queue ids (issue 13's 50 000 polling buyers).
--
-- Environment: BENCH_QUEUE_CODE (the event), BENCH_QUEUE_IDS (a file of
-- queue ids, one a line). Each request polls a random one. done() prints
-- rps, p50/p99 (ms) and the count of each status.
local code = os.getenv("BENCH_QUEUE_CODE")
local ids_file = os.getenv("BENCH_QUEUE_IDS")
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ids = {}
	for line in io.lines(ids_file) do
		ids[#ids + 1] = line
	end
	counts = {}
	math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
	local q = ids[math.random(#ids)]
	return wrk.format("GET", "/fcgi/public/events/" .. code .. "/queue/" .. q)
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("counts")) do
			total[k] = (total[k] or 0) + v
		end
	end
	io.write(string.format("requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		summary.requests, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
	for k, v in pairs(total) do
		io.write(string.format("status_%s=%d\n", k, v))
	end
	io.write(string.format("errors connect=%d read=%d write=%d timeout=%d\n",
		summary.errors.connect, summary.errors.read, summary.errors.write,
		summary.errors.timeout))
end
