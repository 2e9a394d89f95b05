#!/usr/bin/env bash
# tools/bench/stats.sh — the figures' benchmark: a year of sales behind the
# dashboard, the sales statistics and analytics/overview.
#
#   1. a stack of its own (BENCH_VAR, wiped at start) on BENCH_PORT
#   2. tools/bench/stats-orders.sql: BENCH_ORDERS (1 000 000) paid orders over
#      BENCH_DAYS (365) days, with their items, tickets, refunds, admissions
#   3. hey: BENCH_STATS_REQUESTS (2000) requests at BENCH_STATS_CONCURRENCY
#      (2) of each of GET events/{id}/dashboard, …/stats/sales?period=daily,
#      …/stats/sales?period=monthly and analytics/overview, through nginx;
#      p50 / p95 / p99, requests/s, statuses
#   4. `ticketctl explain-figures`: EXPLAIN (ANALYZE, BUFFERS) of the same
#      statements, and whether any plan scans `orders` sequentially
#
# Writes a Markdown report to BENCH_STATS_OUT (default $BENCH_VAR/stats.md)
# and prints it. Exits non-zero when a p95 is over BENCH_STATS_P95_MS (50) or
# a plan has a sequential scan of orders.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${TICKET_BUILD:-$ROOT/build}
VAR=${BENCH_VAR:-$ROOT/build/bench-stats-var}
PORT=${BENCH_PORT:-18481}
ORDERS=${BENCH_ORDERS:-1000000}
DAYS=${BENCH_DAYS:-365}
REQUESTS=${BENCH_STATS_REQUESTS:-2000}
CONC=${BENCH_STATS_CONCURRENCY:-2}
BUDGET_MS=${BENCH_STATS_P95_MS:-50}
OUT=${BENCH_STATS_OUT:-$VAR/stats.md}
CODE=figbench

export TICKET_VAR=$VAR TICKET_PORT=$PORT TICKET_BUILD=$BUILD
export TICKET_WORKERS=${TICKET_WORKERS:-2}
unset TICKET_WORKER_DAEMON

log() { printf 'stats-bench: %s\n' "$*" >&2; }
stack() { bash "$ROOT/tools/stack.sh" "$@"; }

for tool in hey psql curl jq; do
	command -v "$tool" >/dev/null || { log "needs $tool"; exit 2; }
done

if [ -e "$VAR" ]; then
	if [ ! -e "$VAR/.ticketd-stack" ] && [ -n "$(ls -A "$VAR")" ]; then
		log "BENCH_VAR=$VAR exists and is not a stack directory: not wiping it"
		exit 2
	fi
	stack stop >/dev/null 2>&1 || true
	rm -rf -- "$VAR"
fi
mkdir -p "$VAR"
trap 'stack stop >/dev/null 2>&1 || true' EXIT
stack start >&2
set -a
# shellcheck disable=SC1091
. "$VAR/env"
set +a
BASE=$TICKET_BASE_URL

log "loading $ORDERS orders over $DAYS days"
t0=$(date +%s)
EVENT=$(psql "$TICKET_PG" -q -At -v code=$CODE -v orders="$ORDERS" -v days="$DAYS" \
	-f "$ROOT/tools/bench/stats-orders.sql" | tail -n 1)
load_s=$(($(date +%s) - t0))
log "event $EVENT loaded in ${load_s}s"
counts=$(psql "$TICKET_PG" -At -F ' ' -c "SELECT (SELECT count(*) FROM orders WHERE event_id = $EVENT),
	(SELECT count(*) FROM tickets WHERE event_id = $EVENT),
	(SELECT count(*) FROM refunds f JOIN orders o ON o.id = f.order_id WHERE o.event_id = $EVENT),
	(SELECT count(*) FROM sales_daily WHERE event_id = $EVENT),
	(SELECT pg_size_pretty(pg_total_relation_size('orders')))")
read -r n_orders n_tickets n_refunds n_days orders_size <<<"$counts"

TOKEN=$(curl -fsS -X POST "$BASE/fcgi/super-admin/login" -H 'Content-Type: application/json' \
	-d "{\"username\":\"superadmin\",\"password\":\"${TICKET_SUPERADMIN_PASSWORD:-superadmin-demo}\"}" |
	jq -r .token)

# One hey run: "p50 p95 p99 rps statuses" (ms).
measure() {
	local url=$1 outf
	outf=$(mktemp)
	curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$url" # warm the worker's statements
	hey -n "$REQUESTS" -c "$CONC" -H "Authorization: Bearer $TOKEN" "$url" >"$outf"
	awk '
		/Requests\/sec:/ { rps = $2 }
		/ 50% in / { p50 = $3 * 1000 } / 95% in / { p95 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 }
		/^[ \t]*\[[0-9]+\]/ { st = st (st ? "," : "") $1 "×" $2 }
		END { printf "%.1f %.1f %.1f %.0f %s\n", p50, p95, p99, rps, st }' "$outf"
	rm -f "$outf"
}

declare -a names=("dashboard" "stats/sales daily" "stats/sales monthly" "analytics/overview")
declare -a urls=("$BASE/fcgi/admin/events/$EVENT/dashboard"
	"$BASE/fcgi/admin/events/$EVENT/stats/sales?period=daily"
	"$BASE/fcgi/admin/events/$EVENT/stats/sales?period=monthly"
	"$BASE/fcgi/super-admin/analytics/overview")
rows=""
fail=0
for i in "${!names[@]}"; do
	log "measuring ${names[$i]}"
	read -r p50 p95 p99 rps st <<<"$(measure "${urls[$i]}")"
	verdict=ok
	if awk -v a="$p95" -v b="$BUDGET_MS" 'BEGIN { exit !(a > b) }'; then
		verdict="OVER ${BUDGET_MS} ms"
		fail=1
	fi
	rows+="| ${names[$i]} | $p50 | $p95 | $p99 | $rps | $st | $verdict |"$'\n'
done

explain=$("$BUILD/ticketctl" explain-figures --event $CODE)
if grep -q 'Seq Scan on orders' <<<"$explain"; then
	seq="**a plan scans orders sequentially**"
	fail=1
else
	seq="no plan scans orders sequentially"
fi

{
	echo "## Figures over a year of sales"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; event $EVENT: $n_orders orders" \
		"($orders_size for the orders table), $n_tickets tickets, $n_refunds refunds," \
		"$n_days sale days; loaded in ${load_s}s. hey: $REQUESTS requests per route," \
		"$CONC at a time, through nginx, ${TICKET_WORKERS} workers per family."
	echo
	echo "| route | p50 ms | p95 ms | p99 ms | req/s | statuses | p95 ≤ ${BUDGET_MS} ms |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "Plans ($seq):"
	echo
	echo "$explain"
} >"$OUT"
cat "$OUT"
exit "$fail"
