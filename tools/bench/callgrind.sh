#!/usr/bin/env bash
# tools/bench/callgrind.sh VAR BINARY OUT N EVENT BODY — run one public worker
# under callgrind on a socket of its own (the stack's PostgreSQL and Redis
# from VAR/env), send it N reservation attempts for EVENT with cgi-fcgi, stop
# it, and print what one request costs in instructions (Ir): the request loop
# broken down by function (inclusive), then the most expensive functions
# (exclusive). The figures are per request: totals divided by N.
set -euo pipefail
var=$1 bin=$2 out=$3 n=$4 ev=$5 body=$6
sock=$var/run/callgrind.sock
rm -f -- "$sock" "$out"
(
	set -a
	# shellcheck disable=SC1091
	. "$var/env"
	set +a
	exec spawn-fcgi -n -s "$sock" -M 0600 -- \
		"$(command -v valgrind)" --tool=callgrind --collect-atstart=no \
		--toggle-collect=FCGX_Accept_r --toggle-collect=http_parse \
		--toggle-collect=app_dispatch --toggle-collect=http_write \
		--toggle-collect=FCGX_Finish_r --toggle-collect=FCGX_Detach \
		--toggle-collect=FCGX_GetStr --toggle-collect=log_event \
		--toggle-collect=arena_reset --callgrind-out-file="$out" "$bin"
) 2>"$var/log/callgrind-worker.log" &
sp=$!
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || {
	tail -n 5 "$var/log/callgrind-worker.log" >&2
	echo "callgrind worker did not start" >&2
	exit 1
}
len=$(stat -c %s "$body")
uri=/fcgi/public/events/$ev/reservations
send() {
	local i
	for ((i = 0; i < $1; i++)); do
		env -i REQUEST_METHOD=POST CONTENT_TYPE=application/json CONTENT_LENGTH="$len" \
			REQUEST_URI="$uri" DOCUMENT_URI="$uri" SCRIPT_NAME= REMOTE_ADDR=127.0.0.1 \
			REQUEST_ID=0123456789abcdef0123456789abcdef HTTP_HOST=localhost \
			cgi-fcgi -bind -connect "$sock" <"$body" >"$out.reply"
	done
}
# Only the request loop is counted (--toggle-collect: accept and read, parse,
# dispatch, write, finish, the log line, arena reset), not start-up.
send "$n"
status=$(sed -n '1s/\r$//p' "$out.reply")
# SIGTERM: the worker finishes its loop and exits; callgrind then writes.
pkill -TERM -P "$sp" 2>/dev/null || true
kill -TERM "$sp" 2>/dev/null || true
wait "$sp" 2>/dev/null || true
for _ in $(seq 50); do
	[ -s "$out" ] && break
	sleep 0.1
done
rm -f -- "$sock"
last=$out
[ -s "$last" ] || {
	echo "no callgrind output" >&2
	exit 1
}
# file:function → function; library path → its base name
annotate() {
	callgrind_annotate "$1" "$last" 2>/dev/null | awk -v n="$n" -v want="$2" '
		/^ *[0-9][0-9,]* \(/ && !/PROGRAM TOTALS/ {
			ir = $1; gsub(",", "", ir)
			rest = $0; sub(/^ *[0-9,]+ \([^)]*\) +/, "", rest)
			lib = ""; if (match(rest, / \[[^]]*\]$/)) { lib = substr(rest, RSTART + 2, RLENGTH - 3); rest = substr(rest, 1, RSTART - 1) }
			sub(/^.*\//, "", lib); fn = rest; sub(/^.*:/, "", fn); sub(/ \([0-9]+x\)$/, "", fn)
			if (want == "" && k++ < 25) printf "  %-34s %-22s %7.0f\n", fn, lib, ir / n
			if (want != "" && index(want, " " fn " ") && !(fn in seen)) { seen[fn] = 1; printf "  %-22s %8.0f\n", fn, ir / n }
		}'
}
total=$(callgrind_annotate "$last" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "last answer: $status; $n requests"
echo "instructions per request (request loop): $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }')"
echo
echo "inclusive Ir per request, the request loop:"
annotate --inclusive=yes " FCGX_Accept_r http_parse app_dispatch booking_reserve catalog_get json_body_or_reply json_validate stock_hold kv_eval redisCommandArgv http_reply_error http_reply_json cJSON_PrintUnformatted http_write finish FCGX_Finish_r log_event arena_reset "
echo
echo "exclusive Ir per request, top functions:"
annotate --inclusive=no ""
