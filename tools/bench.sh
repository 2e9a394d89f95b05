#!/usr/bin/env bash
# tools/bench.sh — `make bench`: start a stack of its own, load it on
# loopback, write BENCHMARKS.md. Every phase runs in this one invocation, so
# the ratios between them hold even on a machine shared with other work.
#
#   1. baseline  nginx serving a static file; the public worker answering a
#                404 from its router (neither PostgreSQL nor Redis), through
#                200 connections and again through the rush's 10 000
#   2. rush      wrk, BENCH_CONNECTIONS (10 000) connections, every request a
#                reservation attempt against one event of BENCH_CAPACITY
#                (5 000) tickets: a few thousand holds, then sold out
#   3. paced     hey at about half the rush throughput (hey -q: a fixed rate
#                per worker) against the rush's event, now sold out — the
#                path of nearly every rush attempt — to see its latency when
#                the system is not saturated
#   4. sustained wrk, 200 connections, reservations that succeed (ample stock)
#   5. profile   perf over a second, short rush (system-wide; hardware
#                cycles where `perf stat -e instructions` works, else the
#                software clock) and, without hardware counters, callgrind on
#                one public worker over sold-out attempts
#
# For each phase: requests/s, latency p50/p99/max, every kind of error (wrk
# socket errors, statuses, nginx's error log), the CPU each process kind used
# per request (from /proc), and the share of the machine other processes
# took. Tickets sold are counted in PostgreSQL and compared with capacity.
#
# Environment (all optional):
#   BENCH_VAR             state directory, wiped at start (default build/bench-var)
#   BENCH_PORT            nginx port (default 18780)
#   BENCH_OUT             report file (default BENCHMARKS.md in the repo root)
#   BENCH_CONNECTIONS     rush connections (default 10000)
#   BENCH_CAPACITY        tickets of the rush event (default 5000)
#   BENCH_RUSH_SECONDS    (30)  BENCH_PACED_SECONDS (20)  BENCH_SUSTAINED_SECONDS (20)
#   BENCH_BASELINE_SECONDS (10)
#   BENCH_PROFILE_REQUESTS requests the callgrind worker serves (default 1000; 0 = skip)
#   TICKET_BUILD          binaries (default build/)
#   TICKET_WORKERS_PUBLIC, TICKET_SOCKETS_PUBLIC, TICKET_FCGI_BACKLOG,
#   TICKET_NGINX_WORKERS, TICKET_NGINX_PRIORITY
#                         the stack's shape; unset, tools/stack.sh's defaults
#                         (sized from the machine: on 2 cores and somaxconn
#                         4096, 2 workers on each of 4 public sockets, backlog
#                         4096, one nginx worker at nice -10)
set -euo pipefail
shopt -s nullglob

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TICKET_BUILD:-$ROOT/build}
VAR=${BENCH_VAR:-$ROOT/build/bench-var}
PORT=${BENCH_PORT:-18780}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
CONNS=${BENCH_CONNECTIONS:-10000}
CAPACITY=${BENCH_CAPACITY:-5000}
RUSH_S=${BENCH_RUSH_SECONDS:-30}
PACED_S=${BENCH_PACED_SECONDS:-20}
SUST_S=${BENCH_SUSTAINED_SECONDS:-20}
BASE_S=${BENCH_BASELINE_SECONDS:-10}
PROFILE_N=${BENCH_PROFILE_REQUESTS:-1000}
SUST_CONNS=200
BASE_CONNS=200
# hey -q is a rate per worker, and its workers' tickers start together: c
# workers send bursts of c requests every c/rate seconds, and a burst is a
# short saturation of its own (100 workers: bursts of 100 every 20 ms, p99
# ~20 ms; 10 workers: 10 every 2 ms, p99 ~4 ms, on the same system). Ten
# workers come close to the fixed rate the phase is about.
PACED_WORKERS=10

# No knob is turned here: the bench measures the stack's defaults, which
# tools/stack.sh sizes from the machine (sockets, backlogs, workers, nginx
# workers and priority) — the configuration `make run` and the production
# units use untouched. Set a TICKET_* variable to measure another.
export TICKET_VAR=$VAR TICKET_PORT=$PORT TICKET_BUILD=$BUILD
unset TICKET_WORKER_DAEMON

BASE_URL=http://127.0.0.1:$PORT
WORK= # per-run scratch: $VAR/bench
STACK_UP=0

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: error: %s\n' "$*" >&2
	exit 1
}

for tool in wrk hey psql redis-cli nginx spawn-fcgi curl; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (tools/deps.sh installs it)"
done
[ -x "$BUILD/public" ] || die "$BUILD/public missing: run make first"
for v in CONNS CAPACITY RUSH_S PACED_S SUST_S BASE_S PROFILE_N; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: want a number"
done

# ---------------------------------------------------------------------------
# the stack
# ---------------------------------------------------------------------------

stack() { bash "$ROOT/tools/stack.sh" "$@"; }

cleanup() {
	local rc=$?
	if [ -n "${CG_PID:-}" ]; then kill "$CG_PID" 2>/dev/null || true; fi
	if [ "$STACK_UP" -eq 1 ]; then
		log "stopping the bench stack"
		stack stop >/dev/null 2>&1 || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Open files: wrk holds one per connection; nginx's workers one per client
# and one per upstream connection (the stack sets worker_rlimit_nofile to the
# hard limit). Only the soft limit is ours to raise.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((CONNS + 1024)) ]; then
	log "open-file limit $NOFILE is too low for $CONNS connections; using $((NOFILE - 1024))"
	CONNS=$((NOFILE - 1024))
fi

if [ -e "$VAR" ]; then
	[ -e "$VAR/.ticketd-stack" ] || [ -z "$(ls -A "$VAR")" ] ||
		die "BENCH_VAR=$VAR exists and is not a stack directory"
	stack stop >/dev/null 2>&1 || true
	rm -rf -- "$VAR"
fi
mkdir -p "$VAR"
log "starting the bench stack on $BASE_URL (state $VAR)"
STACK_UP=1
start_log=$(mktemp)
stack start 2>"$start_log" || {
	tail -n 20 "$start_log" >&2
	rm -f -- "$start_log"
	die "the stack did not start"
}
rm -f -- "$start_log"
# The shape the stack chose (tools/stack.sh writes it into the env file).
eval "$(grep '^TICKET_SHAPE_' "$VAR/env")"
WORK=$VAR/bench
mkdir -p "$WORK"
RUN=$VAR/run
LOGD=$VAR/log
PSQL=(psql -h "$RUN" -U ticketd -d ticketd -XqtA -v ON_ERROR_STOP=1)

sql() { "${PSQL[@]}" -c "$1"; }

# new_event CODE CAPACITY → "event_id product_id quota_id"
new_event() {
	(cd "$WORK" && "${PSQL[@]}" -v code="$1" -v capacity="$2" -f "$ROOT/tools/bench/event.sql") |
		tail -n1 | tr '|' ' '
}

VISIT_DATE=$(TZ=Asia/Seoul date -d tomorrow +%F)

# body_for PRODUCT → file with one reservation attempt for PRODUCT
body_for() {
	local f=$WORK/body-$1.json
	printf '{"visit_date":"%s","items":[{"product_id":%s,"qty":1}],"customer":{"name":"홍길동","phone":"01012345678"}}\n' \
		"$VISIT_DATE" "$1" >"$f"
	echo "$f"
}

# ---------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------

# Processes whose CPU we count: nginx, PostgreSQL, Redis, the public pool
# (their descendants are included), plus the load tool (timed separately).
stack_roots() {
	cat "$RUN/nginx.pid" "$RUN/redis.pid" 2>/dev/null
	head -n1 "$VAR/pg/postmaster.pid"
	local f
	for f in "$RUN"/public*.pid; do grep -o '[0-9]\+' "$f"; done
}

snap() { bash "$ROOT/tools/bench/cpusnap.sh" $(stack_roots) >"$1"; }

log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# phase NAME TOOL ARGS…: runs one load, records CPU, nginx logs and the tool's output.
phase() {
	local name=$1 p=$WORK/$1
	shift
	local err0 acc0
	err0=$(log_size "$LOGD/nginx-error.log")
	acc0=$(log_size "$LOGD/nginx-access.log")
	snap "$p.cpu0"
	local t0 t1
	t0=$(date +%s.%N)
	TIMEFORMAT='%U %S'
	{ time "$@" >"$p.tool" 2>"$p.tool-err"; } 2>"$p.time" || {
		cat "$p.tool-err" >&2
		die "$name: $1 failed"
	}
	t1=$(date +%s.%N)
	snap "$p.cpu1"
	sleep 1.5 # the access log is flushed every second
	tail -c +"$((err0 + 1))" "$LOGD/nginx-error.log" >"$p.nginx-error"
	tail -c +"$((acc0 + 1))" "$LOGD/nginx-access.log" >"$p.access"
	echo "$t0 $t1" >"$p.wall"
}

# wrk_phase NAME URL CONNECTIONS SECONDS [BODY]
wrk_phase() {
	local name=$1 url=$2 c=$3 s=$4 body=${5:-}
	log "$name: wrk -c $c -d ${s}s $url"
	echo "wrk -t2 -c$c -d${s}s --timeout 30s -s tools/bench/wrk.lua ${body:+(BENCH_BODY_FILE=reservation JSON) }$url" >"$WORK/$name.cmd"
	BENCH_OUT=$WORK/$name.wrk BENCH_BODY_FILE=$body \
		phase "$name" wrk -t2 -c"$c" -d"${s}s" --timeout 30s -s "$ROOT/tools/bench/wrk.lua" "$url"
}

# get NAME KEY: a value from a phase's key=value summary
get() { sed -n "s/^$2=//p" "$WORK/$1.wrk" 2>/dev/null | head -n1; }

# queued EVENT → pending orders still queued in Redis or being written
queued() {
	local w p
	w=$(redis-cli -s "$RUN/redis.sock" ZCARD "{ev:$1}:w")
	p=$(redis-cli -s "$RUN/redis.sock" ZCARD "{ev:$1}:wp")
	echo $((w + p))
}

# sold EVENT QUOTA → "orders units redis_left queued_at_end written_ms"
# (pending orders, their units, what Redis says is left for the visit
# date; the orders still queued behind their holds when the phase ended
# and how long after it the workers had written them on their own —
# lib/pending.h; after 60 s `ticketctl flush` writes the rest and the
# time reads "flush")
sold() {
	local o u left q0 t0 ms=0
	q0=$(queued "$1")
	t0=$(date +%s%N)
	while [ "$(queued "$1")" -gt 0 ]; do
		if [ $((($(date +%s%N) - t0) / 1000000)) -gt 60000 ]; then
			"$BUILD/ticketctl" flush >/dev/null
			ms=flush
			break
		fi
		sleep 0.01
	done
	[ "$ms" = flush ] || ms=$((($(date +%s%N) - t0) / 1000000))
	o=$(sql "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'pending'")
	u=$(sql "SELECT COALESCE(sum(i.qty), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
	         WHERE o.event_id = $1 AND o.status = 'pending'")
	left=$(redis-cli -s "$RUN/redis.sock" GET "{ev:$1}:a:$2:$VISIT_DATE")
	echo "$o $u ${left:-none} $q0 $ms"
}

# ---------------------------------------------------------------------------
# the phases
# ---------------------------------------------------------------------------

log "setting up the events"
read -r RUSH_EV RUSH_PROD RUSH_Q < <(new_event rush "$CAPACITY")
read -r SUST_EV SUST_PROD SUST_Q < <(new_event sustained 100000000)
RUSH_BODY=$(body_for "$RUSH_PROD")
SUST_BODY=$(body_for "$SUST_PROD")
# One attempt each through the whole path, so every worker's first request
# (catalog load, prepared statements, script load) is not in the figures:
# warm every public worker with requests on all sockets.
for _ in $(seq $((TICKET_SHAPE_PUBLIC_WORKERS * TICKET_SHAPE_PUBLIC_SOCKETS * 4))); do
	curl -fsS -o /dev/null "$BASE_URL/fcgi/public/events/rush/products?date=$VISIT_DATE" || true
	curl -fsS -o /dev/null "$BASE_URL/fcgi/public/events/sustained/products?date=$VISIT_DATE" || true
done

wrk_phase static "$BASE_URL/index.html" "$BASE_CONNS" "$BASE_S"
wrk_phase notfound "$BASE_URL/fcgi/public/bench-not-a-route" "$BASE_CONNS" "$BASE_S"
# The same 404 through the rush's 10 000 connections: what the front end
# (wrk, nginx, the FastCGI hop) costs at that concurrency with no work behind.
wrk_phase notfound_rush "$BASE_URL/fcgi/public/bench-not-a-route" "$CONNS" "$BASE_S"
wrk_phase rush "$BASE_URL/fcgi/public/events/rush/reservations" "$CONNS" "$RUSH_S" "$RUSH_BODY"
read -r RUSH_ORDERS RUSH_UNITS RUSH_LEFT RUSH_QUEUED RUSH_WRITTEN_MS < <(sold "$RUSH_EV" "$RUSH_Q")

RUSH_RPS=$(get rush rps)
PACED_RATE=$(awk -v r="$RUSH_RPS" 'BEGIN { printf "%d", r / 2 }')
[ "$PACED_RATE" -ge "$PACED_WORKERS" ] || PACED_RATE=$PACED_WORKERS
PACED_Q_PER=$(awk -v r="$PACED_RATE" -v c="$PACED_WORKERS" 'BEGIN { printf "%.2f", r / c }')
log "paced: hey at $PACED_RATE requests/s ($PACED_WORKERS workers × $PACED_Q_PER/s) for ${PACED_S}s"
echo "hey -z ${PACED_S}s -c $PACED_WORKERS -q $PACED_Q_PER -t 30 -m POST -T application/json -D (reservation JSON) $BASE_URL/fcgi/public/events/rush/reservations" >"$WORK/paced.cmd"
phase paced hey -z "${PACED_S}s" -c "$PACED_WORKERS" -q "$PACED_Q_PER" -t 30 -m POST \
	-T application/json -D "$RUSH_BODY" "$BASE_URL/fcgi/public/events/rush/reservations"
bash "$ROOT/tools/bench/hey2kv.sh" <"$WORK/paced.tool" >"$WORK/paced.wrk"

wrk_phase sustained "$BASE_URL/fcgi/public/events/sustained/reservations" "$SUST_CONNS" "$SUST_S" "$SUST_BODY"

# ---------------------------------------------------------------------------
# tickets sold vs capacity
# ---------------------------------------------------------------------------

read -r AFTER_ORDERS AFTER_UNITS AFTER_LEFT AFTER_QUEUED AFTER_WRITTEN_MS < <(sold "$RUSH_EV" "$RUSH_Q")
read -r SUST_ORDERS SUST_UNITS SUST_LEFT SUST_QUEUED SUST_WRITTEN_MS < <(sold "$SUST_EV" "$SUST_Q")

# ---------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------

# perf with hardware counters where they work; else callgrind on a worker
# (instructions, exact), plus, where perf runs at all, a system-wide sample
# on the software clock (where the cores' time goes, kernel included).
PROFILE_KIND=none
PERF_KIND=none
if [ "$PROFILE_N" -gt 0 ]; then
	if command -v perf >/dev/null; then
		perf_out=$(perf stat -e instructions true 2>&1) || perf_out="not supported"
		if grep -q 'not supported' <<<"$perf_out"; then
			PERF_KIND=cpu-clock
		else
			PERF_KIND=cycles
		fi
	fi
	if [ "$PERF_KIND" != cycles ] && command -v valgrind >/dev/null && command -v cgi-fcgi >/dev/null; then
		PROFILE_KIND=callgrind
	fi
fi
if [ "$PERF_KIND" != none ]; then
	# A second, short rush on a fresh event, sampled system-wide.
	read -r PEV PPROD _ < <(new_event profile "$CAPACITY")
	PBODY=$(body_for "$PPROD")
	curl -fsS -o /dev/null "$BASE_URL/fcgi/public/events/profile/products?date=$VISIT_DATE" || true
	log "profile: perf record -a -g -e $PERF_KIND during 10 s of a second rush"
	BENCH_OUT=$WORK/profile.wrk BENCH_BODY_FILE=$PBODY \
		wrk -t2 -c"$CONNS" -d13s --timeout 30s -s "$ROOT/tools/bench/wrk.lua" \
		"$BASE_URL/fcgi/public/events/profile/reservations" >/dev/null &
	wrk_pid=$!
	sleep 2
	if perf record -a -g -e "$PERF_KIND" -F 499 -o "$WORK/perf.data" -- sleep 10 >/dev/null 2>&1; then
		perf report -i "$WORK/perf.data" --no-children --sort comm,dso -g none --stdio 2>/dev/null |
			grep '%' | head -n 20 >"$WORK/perf.top" || true
		perf report -i "$WORK/perf.data" --no-children --sort comm,sym -g none --stdio 2>/dev/null |
			grep '%' | head -n 40 >"$WORK/perf.sym" || true
	else
		PERF_KIND="none (perf record failed)"
	fi
	wait "$wrk_pid" || true
fi
if [ "$PROFILE_KIND" = callgrind ]; then
	log "profile: callgrind on one public worker, $PROFILE_N sold-out attempts"
	bash "$ROOT/tools/bench/callgrind.sh" "$VAR" "$BUILD/public" "$WORK/callgrind.out" \
		"$PROFILE_N" rush "$RUSH_BODY" >"$WORK/profile.sym" 2>"$WORK/profile.err" ||
		PROFILE_KIND="callgrind (failed: $(tail -n1 "$WORK/profile.err"))"
fi

# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------

log "writing $OUT"
# Knobs the caller set (none: the defaults were measured).
KNOBS=$(env | grep -E '^TICKET_(WORKERS|SOCKETS|FCGI_|NGINX_)' | sort | tr '\n' ' ' || true)
STACK_CONF=$(grep -v '^ *#' "$VAR/nginx/nginx.conf" |
	grep -E '^(worker_processes|worker_priority|worker_rlimit_nofile)|worker_connections|multi_accept|listen 127|server unix:.*public|least_conn|zone ticketd_public|access_log' |
	sed 's/^ *//' | sort -u)
# Everything the report needs besides $WORK, kept so that it can be
# written again from this run: (. $WORK/report.env; bash tools/bench/report.sh)
declare -p ROOT OUT CONNS CAPACITY RUSH_S PACED_S SUST_S BASE_S SUST_CONNS BASE_CONNS \
	PACED_RATE PACED_WORKERS PROFILE_KIND PROFILE_N PERF_KIND RUSH_ORDERS RUSH_UNITS RUSH_LEFT \
	AFTER_ORDERS AFTER_UNITS AFTER_LEFT SUST_ORDERS SUST_UNITS SUST_LEFT STACK_CONF NOFILE \
	RUSH_QUEUED RUSH_WRITTEN_MS AFTER_QUEUED AFTER_WRITTEN_MS SUST_QUEUED SUST_WRITTEN_MS \
	TICKET_SHAPE_PUBLIC_SOCKETS TICKET_SHAPE_PUBLIC_WORKERS TICKET_SHAPE_FCGI_BACKLOG \
	TICKET_SHAPE_NGINX_WORKERS TICKET_SHAPE_NGINX_PRIORITY TICKET_SHAPE_OTHER_WORKERS KNOBS \
	2>/dev/null | sed 's/^declare -[-a-z]* /export /' >"$WORK/report.env"
echo "export WORK=$WORK BENCH_PORT=$PORT" >>"$WORK/report.env"
WORK=$WORK ROOT=$ROOT OUT=$OUT CONNS=$CONNS CAPACITY=$CAPACITY \
	RUSH_S=$RUSH_S PACED_S=$PACED_S SUST_S=$SUST_S BASE_S=$BASE_S \
	SUST_CONNS=$SUST_CONNS BASE_CONNS=$BASE_CONNS PACED_RATE=$PACED_RATE \
	PACED_WORKERS=$PACED_WORKERS PROFILE_KIND=$PROFILE_KIND PROFILE_N=$PROFILE_N PERF_KIND=$PERF_KIND \
	RUSH_ORDERS=$RUSH_ORDERS RUSH_UNITS=$RUSH_UNITS RUSH_LEFT=$RUSH_LEFT \
	AFTER_ORDERS=$AFTER_ORDERS AFTER_UNITS=$AFTER_UNITS AFTER_LEFT=$AFTER_LEFT \
	SUST_ORDERS=$SUST_ORDERS SUST_UNITS=$SUST_UNITS SUST_LEFT=$SUST_LEFT \
	RUSH_QUEUED=$RUSH_QUEUED RUSH_WRITTEN_MS=$RUSH_WRITTEN_MS AFTER_QUEUED=$AFTER_QUEUED \
	AFTER_WRITTEN_MS=$AFTER_WRITTEN_MS SUST_QUEUED=$SUST_QUEUED SUST_WRITTEN_MS=$SUST_WRITTEN_MS \
	STACK_CONF=$STACK_CONF NOFILE=$NOFILE KNOBS=$KNOBS \
	TICKET_SHAPE_PUBLIC_SOCKETS=$TICKET_SHAPE_PUBLIC_SOCKETS \
	TICKET_SHAPE_PUBLIC_WORKERS=$TICKET_SHAPE_PUBLIC_WORKERS \
	TICKET_SHAPE_FCGI_BACKLOG=$TICKET_SHAPE_FCGI_BACKLOG \
	TICKET_SHAPE_NGINX_WORKERS=$TICKET_SHAPE_NGINX_WORKERS \
	TICKET_SHAPE_NGINX_PRIORITY=$TICKET_SHAPE_NGINX_PRIORITY \
	TICKET_SHAPE_OTHER_WORKERS=$TICKET_SHAPE_OTHER_WORKERS \
	bash "$ROOT/tools/bench/report.sh"
# Only the rush's access-log lines are read again (its timeline); the other
# phases' copies are hundreds of MB of nothing new (the stack's own log keeps
# every line until the next run wipes BENCH_VAR).
rm -f -- "$WORK"/{static,notfound,notfound_rush,paced,sustained}.access "$WORK"/perf.data*
log "done: $OUT"
