#!/usr/bin/env bash
# tools/bench/report.sh — writes $OUT (BENCHMARKS.md) from what tools/bench.sh
# left in $WORK: <phase>.wrk (key=value summary), .cmd, .time (load tool's
# user+sys seconds), .cpu0/.cpu1 (cpusnap.sh before/after), .wall,
# .access/.nginx-error (the phase's nginx log lines), profile.sym.
# Everything else comes from the environment tools/bench.sh sets.
set -euo pipefail

TCK=$(getconf CLK_TCK)

get() { sed -n "s/^$2=//p" "$WORK/$1.wrk" 2>/dev/null | head -n1; }
num() { local v; v=$(get "$1" "$2"); echo "${v:-0}"; }
ms() { awk -v u="$1" 'BEGIN { if (u == "") print "–"; else if (u >= 1e6) printf "%.2f s", u / 1e6; else printf "%.1f ms", u / 1e3 }'; }
wms() { if [ "$1" = flush ]; then echo "**not on their own** (flushed after 60 s)"; else echo "$1 ms later"; fi; }
fmt_int() { LC_ALL=C printf "%'d" "${1%.*}" 2>/dev/null || echo "$1"; }
yes_no() { if [ "$1" = 1 ]; then echo "**met**"; else echo "**not met**"; fi; }

# statuses NAME → "201: 5 000, 409: 95 000" (wrk / hey counts)
statuses() {
	sed -n 's/^status_\([0-9]*\)=\(.*\)/\1 \2/p' "$WORK/$1.wrk" |
		awk '{ printf "%s%s: %d", (NR > 1 ? ", " : ""), $1, $2 } END { if (NR == 0) printf "none" }'
}

# errors NAME → every kind of failure a phase saw, or "none"
errors() {
	local name=$1 out=()
	local k v
	for k in connect read write timeout; do
		v=$(num "$name" "err_$k")
		[ "$v" != 0 ] && out+=("socket $k errors: $v")
	done
	v=$(num "$name" err_hey)
	[ "$v" != 0 ] && out+=("requests without an answer: $v")
	while IFS= read -r line; do
		[ -n "$line" ] && out+=("hey: $line")
	done < <(sed -n 's/^err_hey_kind=//p' "$WORK/$name.wrk")
	v=$(sed -n 's/^status_\(5[0-9][0-9]\)=\(.*\)/\2/p' "$WORK/$name.wrk" | awk '{ s += $1 } END { print s + 0 }')
	[ "$v" != 0 ] && out+=("5xx answers: $v")
	if [ -s "$WORK/$name.nginx-error" ]; then
		while IFS= read -r line; do out+=("nginx: $line"); done < <(
			sed -E 's/^[0-9\/]+ [0-9:]+ \[([a-z]+)\] [0-9#]+: \*?[0-9]* ?//; s/, client:.*//; s/unix:[^ ]*\.sock/unix:SOCKET/g' \
				"$WORK/$name.nginx-error" | sort | uniq -c | sort -rn | head -n 5 |
				awk '{ c = $1; $1 = ""; printf "%d × %s\n", c, substr($0, 2) }')
	fi
	if [ "${#out[@]}" -eq 0 ]; then echo "none"; else
		local IFS=';'
		echo "${out[*]}" | sed 's/;/; /g'
	fi
}

# cpu NAME → "nginx 52, public 60, redis-server 25, postgres 12, wrk 23 | ours 172 | others 24 %, idle 0 %"
cpu() {
	local name=$1 req tool
	req=$(num "$name" requests)
	tool=$(awk '{ print $1 + $2 }' "$WORK/$name.time")
	{
		join "$WORK/$name.cpu0" "$WORK/$name.cpu1"
		echo "load-tool 0 $(awk -v s="$tool" -v t="$TCK" 'BEGIN { printf "%.0f", s * t }')"
	} | awk -v n="$req" -v tck="$TCK" '
		{ d = $3 - $2 }
		$1 ~ /^_machine/ { m[$1] = d; next }
		d > 0 { ours += d; c[$1] = d }
		END {
			us = 1e6 / tck
			order = "nginx public redis-server postgres load-tool"
			k = split(order, o, " ")
			for (i = 1; i <= k; i++) if (o[i] in c) { printf "%s%s %.0f", sep, o[i], c[o[i]] * us / n; sep = ", "; delete c[o[i]] }
			for (x in c) { printf "%s%s %.0f", sep, x, c[x] * us / n; sep = ", " }
			tot = m["_machine_busy"] + m["_machine_idle"]
			# /proc/stat counts in ticks, each process its own run time:
			# "others" near zero can come out a little below it.
			oth = tot ? (m["_machine_busy"] - ours) * 100 / tot : 0
			printf " | **%.0f** | %.0f %% | %.0f %%", ours * us / n, (oth < 0 ? 0 : oth),
				tot ? m["_machine_idle"] * 100 / tot : 0
		}'
}

# timeline NAME → per-second rows from the access log: completions, the
# client's cycle time (gap between two completions on one keep-alive
# connection: the time the client waited, whether in nginx's socket, the
# upstream queue or the worker), nginx's own request time.
timeline() {
	awk '
		{
			t = ""; c = ""; rt = ""; pid = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^t=/) t = substr($i, 3) + 0
				else if ($i ~ /^c=/) c = substr($i, 3)
				else if ($i ~ /^pid=/) pid = substr($i, 5)
				else if ($i ~ /^rt=/) rt = substr($i, 4) + 0
			}
			if (t == "" || c == "") next
			if (t0 == "" || t < t0) t0 = t
			T[NR] = t; K[NR] = pid ":" c; R[NR] = rt
		}
		END {
			for (i = 1; i <= NR; i++) {
				if (!(i in T)) continue
				s = int(T[i] - t0); n[s]++; rs[s] += R[i]; if (s > last) last = s
				if (K[i] in prev) {
					g = T[i] - prev[K[i]]; gn[s]++; gs[s] += g; if (g > gm[s]) gm[s] = g
					print g > gaps
				} else { first++; if (T[i] - t0 > fl) fl = T[i] - t0 }
				prev[K[i]] = T[i]
			}
			for (s = 0; s <= last; s++)
				printf "| %d | %d | %s | %s | %.2f s |\n", s, n[s],
					gn[s] ? sprintf("%.2f s", gs[s] / gn[s]) : "–",
					gn[s] ? sprintf("%.2f s", gm[s]) : "–", n[s] ? rs[s] / n[s] : 0
			printf "FIRST %d %.2f\n", first, fl
		}' gaps="$WORK/$1.gaps" "$WORK/$1.access"
}

# pct FILE → "p50 p99 max" of the numbers in FILE (seconds → microseconds)
pct() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "0 0 0"; exit }
		i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
		i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
		printf "%.0f %.0f %.0f\n", v[i50] * 1e6, v[i99] * 1e6, v[NR] * 1e6 }'
}

# ---------------------------------------------------------------------------

static_rps=$(num static rps)
nf_rps=$(num notfound rps)
nfr_rps=$(num notfound_rush rps)
rush_rps=$(num rush rps)
rush_req=$(num rush requests)
rush_dur=$(awk -v d="$(num rush duration_us)" 'BEGIN { printf "%.1f", d / 1e6 }')
paced_rps=$(num paced rps)
sust_dur=$(awk -v d="$(num sustained duration_us)" 'BEGIN { print d / 1e6 }')
sust_ok=$(num sustained status_201)
sust_ok_rps=$(awk -v n="$sust_ok" -v d="$sust_dur" 'BEGIN { printf "%.0f", (d > 0 ? n / d : 0) }')
rush_ok=$(num rush status_201)
expected_wait=$(awk -v c="$CONNS" -v r="$rush_rps" 'BEGIN { printf "%.0f", (r > 0 ? c / r * 1e6 : 0) }')
rush_p99=$(num rush p99)
p99_ratio=$(awk -v p="$rush_p99" -v e="$expected_wait" 'BEGIN { printf "%.2f", (e > 0 ? p / e : 0) }')
ratio_nf=$(awk -v a="$rush_rps" -v b="$nf_rps" 'BEGIN { printf "%.0f", (b > 0 ? a * 100 / b : 0) }')
ratio_nfr=$(awk -v a="$rush_rps" -v b="$nfr_rps" 'BEGIN { printf "%.0f", (b > 0 ? a * 100 / b : 0) }')
ratio_static=$(awk -v a="$rush_rps" -v b="$static_rps" 'BEGIN { printf "%.0f", (b > 0 ? a * 100 / b : 0) }')
rush_fail=$(($(num rush err_connect) + $(num rush err_read) + $(num rush err_write) + $(num rush err_timeout) +
	$(sed -n 's/^status_5[0-9][0-9]=//p' "$WORK/rush.wrk" | awk '{ s += $1 } END { print s + 0 }')))
rush_nginx_err=$(grep -c . "$WORK/rush.nginx-error" || true)

t_rush_rps=$(awk -v r="$rush_rps" 'BEGIN { print ((r >= 8000) ? 1 : 0) }')
t_rush_ratio=$(awk -v r="$ratio_nfr" 'BEGIN { print ((r >= 50) ? 1 : 0) }')
t_rush_fail=$([ "$rush_fail" -eq 0 ] && echo 1 || echo 0)
oversold=$(awk -v u="$RUSH_UNITS" -v c="$CAPACITY" 'BEGIN { print ((u > c) ? 1 : 0) }')
t_oversell=$([ "$oversold" -eq 0 ] && [ "$RUSH_ORDERS" = "$rush_ok" ] && echo 1 || echo 0)
t_p99=$(awk -v r="$p99_ratio" 'BEGIN { print ((r > 0 && r <= 1.5) ? 1 : 0) }')
t_paced=$(awk -v p="$(num paced p99)" 'BEGIN { print ((p > 0 && p <= 20000) ? 1 : 0) }')
t_sust=$(awk -v r="$sust_ok_rps" 'BEGIN { print ((r >= 2000) ? 1 : 0) }')

mapfile -t TL < <(timeline rush)
first_line=${TL[-1]}
unset 'TL[-1]'
read -r _ first_n first_last <<<"$first_line"
tl_stats=$(printf '%s\n' "${TL[@]}" | sed '1d;$d' | awk -F'|' '{ n = $3 + 0; if (min == "" || n < min) min = n; if (n > max) max = n } END { printf "%d %d", min, max }')
read -r tl_min tl_max <<<"$tl_stats"
read -r gap_p50 gap_p99 gap_max < <(pct "$WORK/rush.gaps")
gap_ratio=$(awk -v p="$gap_p99" -v e="$expected_wait" 'BEGIN { printf "%.2f", (e > 0 ? p / e : 0) }')
fair=$(printf '%s\n' "${TL[@]}" | sed '1,5d;$d' | awk -F'|' '{ m = $4 + 0; x = $5 + 0; if (m > 0 && x / m > r) r = x / m } END { printf "%.2f", r }')

cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
mem=$(free -h | awk '/^Mem:/ { print $2 }')
kernel=$(uname -r)
debian=$(cat /etc/debian_version 2>/dev/null || echo "?")
virt=$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -n1)
somaxconn=$(cat /proc/sys/net/core/somaxconn)
v_nginx=$(nginx -v 2>&1 | sed 's/.*\///')
v_pg=$(psql --version | awk '{ print $3 }')
v_redis=$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')
v_wrk=$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo "?")
v_hey=$(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo "?")

# How the stack was configured: the defaults, or the knobs the caller set.
if [ -n "${KNOBS// /}" ]; then
	STACK_HOW="with the knobs $(for k in $KNOBS; do printf '`%s` ' "$k"; done)"
else
	STACK_HOW='with its defaults, no knob set (what `make run` does)'
fi
{
	cat <<-EOF
		# Benchmarks

		Written by \`make bench\` (\`tools/bench.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC'). Every figure
		below comes from that one run: a stack of its own (\`build/bench-var\`,
		port ${BENCH_PORT:-18480}), loaded on loopback, phases back to back, so the ratios
		between phases hold even though the machine is shared (the CPU other
		processes took during each phase is in the CPU table). Re-run \`make bench\`
		to refresh the file; nothing in it is edited by hand.

		## Machine

		| | |
		|---|---|
		| CPU | $cpu_model, $(nproc) cores ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread per core)${virt:+, $virt guest} |
		| memory | $mem |
		| kernel | Linux $kernel, Debian $debian |
		| \`net.core.somaxconn\` | $somaxconn (stock; the bench changes no sysctl) |
		| open files | $NOFILE (hard limit; wrk and each nginx worker get this) |
		| software | nginx $v_nginx, PostgreSQL $v_pg, Redis $v_redis, wrk $v_wrk, hey $v_hey |

		The load generators run on the same two cores as nginx, the workers,
		Redis and PostgreSQL: their CPU is counted in the table below.

		## Stack under test

		\`tools/stack.sh\` ${STACK_HOW},
		which on this machine gave $((TICKET_SHAPE_PUBLIC_WORKERS * TICKET_SHAPE_PUBLIC_SOCKETS)) public workers
		on ${TICKET_SHAPE_PUBLIC_SOCKETS} sockets (${TICKET_SHAPE_PUBLIC_WORKERS} each) with a backlog of
		${TICKET_SHAPE_FCGI_BACKLOG}, ${TICKET_SHAPE_OTHER_WORKERS} workers for each other family,
		${TICKET_SHAPE_NGINX_WORKERS} nginx worker(s) at nice ${TICKET_SHAPE_NGINX_PRIORITY}
		holding every client. A reservation's pending order is written to
		PostgreSQL behind its 201 (\`lib/pending.h\`); the public family
		commits with \`synchronous_commit=off\` (pending orders only; payments
		commit synchronously). Where the hard limit on open files (see the
		table above) is below the 32 768 connections one nginx worker is given
		for 2 × 10 000 descriptors, the stack gives it as many as the limit,
		so nginx starts without a warning; a phase that ran out of descriptors
		would show as errors below.
		nginx, as rendered from \`nginx/dev.conf.in\`:

		\`\`\`nginx
		$(printf '%s\n' "$STACK_CONF")
		\`\`\`

		Events (created with SQL, \`tools/bench/event.sql\`): \`rush\` with one
		per-day quota of $(fmt_int "$CAPACITY") tickets, \`sustained\` with 100 000 000; each sells
		one dated product. Every request of the rush, paced and sustained phases is
		one reservation attempt: \`POST /fcgi/public/events/{code}/reservations\`
		with one ticket for tomorrow (201 = held, 409 \`SOLD_OUT\`). The paced phase
		goes to the \`rush\` event once it is sold out: the path of nearly every
		rush attempt, at half the rush's throughput (a fresh event would put its
		$(fmt_int "$CAPACITY") PostgreSQL inserts in the phase's first second, a burst, not the
		unsaturated state the phase is for; the sustained phase measures inserts).

		## Commands

		| phase | command |
		|---|---|
		| static | \`$(cat "$WORK/static.cmd")\` |
		| 404 | \`$(cat "$WORK/notfound.cmd")\` |
		| 404, rush connections | \`$(cat "$WORK/notfound_rush.cmd")\` |
		| rush | \`$(cat "$WORK/rush.cmd")\` |
		| paced | \`$(cat "$WORK/paced.cmd")\` |
		| sustained | \`$(cat "$WORK/sustained.cmd")\` |

		wrk's latency is from writing a request to reading its whole answer;
		hey's the same, without the time a worker waits for its rate limiter.
		hey's \`-q\` is a rate per worker and its workers start their tickers
		together, so $PACED_WORKERS workers send bursts of $PACED_WORKERS every $PACED_WORKERS ÷ rate seconds
		(with 100 workers the bursts of 100 were themselves a short saturation:
		p99 ~20 ms where 10 workers measure ~4 ms on the same system); the rate
		actually reached is in the table.
		\`tools/bench/wrk.lua\` counts every status.

		## Results

		| phase | connections | requests/s | p50 | p99 | max | answers | errors |
		|---|---|---|---|---|---|---|---|
		| static file (nginx) | $BASE_CONNS | $(fmt_int "$static_rps") | $(ms "$(get static p50)") | $(ms "$(get static p99)") | $(ms "$(get static max)") | $(statuses static) | $(errors static) |
		| 404 from the public worker | $BASE_CONNS | $(fmt_int "$nf_rps") | $(ms "$(get notfound p50)") | $(ms "$(get notfound p99)") | $(ms "$(get notfound max)") | $(statuses notfound) | $(errors notfound) |
		| 404 from the public worker | $(fmt_int "$CONNS") | $(fmt_int "$nfr_rps") | $(ms "$(get notfound_rush p50)") | $(ms "$(get notfound_rush p99)") | $(ms "$(get notfound_rush max)") | $(statuses notfound_rush) | $(errors notfound_rush) |
		| rush, ${RUSH_S} s | $(fmt_int "$CONNS") | **$(fmt_int "$rush_rps")** | $(ms "$(get rush p50)") | $(ms "$rush_p99") | $(ms "$(get rush max)") | $(statuses rush) | $(errors rush) |
		| paced at $(fmt_int "$PACED_RATE")/s, ${PACED_S} s, sold-out event | $PACED_WORKERS | $(fmt_int "$paced_rps") | $(ms "$(get paced p50)") | **$(ms "$(get paced p99)")** | $(ms "$(get paced max)") | $(statuses paced) | $(errors paced) |
		| sustained, ${SUST_S} s | $SUST_CONNS | $(fmt_int "$(num sustained rps)") (**$(fmt_int "$sust_ok_rps")** held/s) | $(ms "$(get sustained p50)") | $(ms "$(get sustained p99)") | $(ms "$(get sustained max)") | $(statuses sustained) | $(errors sustained) |

		Tickets sold (pending orders in PostgreSQL, their units, what Redis has left).
		A 201 goes out once Redis holds the units; the pending order is
		written to PostgreSQL behind it (\`lib/pending.h\`): at once when a
		worker is idle, in paced batches while requests wait. "Queued at the
		end" is how many orders were still waiting in Redis when the phase
		stopped, "written" how long after it the workers had them all in
		PostgreSQL on their own (no flush, no daemon); the counts are taken
		after that.

		| event | capacity | 201 answers | queued at the end | written | pending orders | units held | Redis counter left | oversold |
		|---|---|---|---|---|---|---|---|---|
		| rush | $(fmt_int "$CAPACITY") | $(fmt_int "$rush_ok") | $(fmt_int "$RUSH_QUEUED") | $(wms "$RUSH_WRITTEN_MS") | $(fmt_int "$RUSH_ORDERS") | $(fmt_int "$RUSH_UNITS") | $RUSH_LEFT | $([ "$oversold" -eq 0 ] && echo no || echo "**YES**") |
		| rush, after the paced phase | $(fmt_int "$CAPACITY") | $(fmt_int "$(num paced status_201)") more | $(fmt_int "$AFTER_QUEUED") | $(wms "$AFTER_WRITTEN_MS") | $(fmt_int "$AFTER_ORDERS") | $(fmt_int "$AFTER_UNITS") | $AFTER_LEFT | $(awk -v u="$AFTER_UNITS" -v c="$CAPACITY" 'BEGIN { print ((u > c) ? "**YES**" : "no") }') |
		| sustained | 100 000 000 | $(fmt_int "$sust_ok") | $(fmt_int "$SUST_QUEUED") | $(wms "$SUST_WRITTEN_MS") | $(fmt_int "$SUST_ORDERS") | $(fmt_int "$SUST_UNITS") | $SUST_LEFT | $([ "$SUST_ORDERS" -ge "$sust_ok" ] && echo "no (orders ≥ 201s: wrk does not count answers in flight when it stops)" || echo "**orders missing: $SUST_ORDERS for $sust_ok 201s**") |

		## Targets

		| target | measured | |
		|---|---|---|
		| rush ≥ 8 000 attempts/s | $(fmt_int "$rush_rps")/s | $(yes_no "$t_rush_rps") |
		| rush ≥ 50 % of the 404 baseline | ${ratio_nfr} % of the 404 through the same $(fmt_int "$CONNS") connections ($(fmt_int "$nfr_rps")/s); ${ratio_nf} % of the 404 through $BASE_CONNS ($(fmt_int "$nf_rps")/s); ${ratio_static} % of the static file | $(yes_no "$t_rush_ratio") |
		| rush: no 5xx, no connection errors | $rush_fail failed requests, $rush_nginx_err nginx error-log lines | $(yes_no "$t_rush_fail") |
		| rush: zero oversell | $(fmt_int "$RUSH_UNITS") units held for $(fmt_int "$CAPACITY"), $(fmt_int "$rush_ok") 201s = $(fmt_int "$RUSH_ORDERS") orders | $(yes_no "$t_oversell") |
		| rush p99 ≤ 1.5 × connections ÷ throughput | $(ms "$rush_p99") = ${p99_ratio} × $(ms "$expected_wait") (wrk, every request). After the opening round, from nginx's log: client cycle p50 $(ms "$gap_p50"), p99 $(ms "$gap_p99") = ${gap_ratio} ×, max $(ms "$gap_max") | $(yes_no "$t_p99") |
		| paced p99 ≤ 20 ms | $(ms "$(get paced p99)") | $(yes_no "$t_paced") |
		| sustained ≥ 2 000 successful reservations/s | $(fmt_int "$sust_ok_rps")/s | $(yes_no "$t_sust") |

		## Where the CPU goes

		CPU time each kind of process used during the phase, in microseconds per
		request (\`/proc/<pid>/stat\` before and after, \`tools/bench/cpusnap.sh\`; the
		load tool's from its own rusage). "others" is what processes outside this
		stack took from the two cores meanwhile (other work on the machine): at 100 %
		busy, whatever they take the stack does not get.

		| phase | µs of CPU per request, by process | ours | others | idle |
		|---|---|---|---|---|
		| static file | $(cpu static) |
		| 404 | $(cpu notfound) |
		| 404, $(fmt_int "$CONNS") connections | $(cpu notfound_rush) |
		| rush | $(cpu rush) |
		| paced | $(cpu paced) |
		| sustained | $(cpu sustained) |

		Two cores give 2 000 000 µs of CPU a second, so a path that costs C µs in
		all can serve at most 2 000 000 ÷ C requests a second, less what others take.

		## The rush, second by second

		From nginx's access log (\`t=\$msec c=\$connection\`): completions per second,
		and the **client's cycle time** — the gap between two answers on one
		keep-alive connection, i.e. how long the client waited for the second one,
		wherever the request waited (unread in nginx's socket, in a FastCGI backlog,
		in a worker). Its spread within one second shows whether the queues are
		fair; its movement from second to second follows the throughput.
		The first round — $(fmt_int "${first_n:-0}") requests sent at once when wrk connects — was answered
		within ${first_last:-?} s of the first answer: that is the opening of the sale, the
		$(fmt_int "$CAPACITY") successful holds (their orders written to PostgreSQL later, paced), the connections still being made, and the queue of
		everyone else behind them.

		| second | answers | mean client cycle | max client cycle | mean nginx request time |
		|---|---|---|---|---|
	EOF
	printf '%s\n' "${TL[@]}"
	cat <<-EOF

		Completions per second (first and last, partial, seconds left out) ranged
		from $(fmt_int "${tl_min:-0}") to $(fmt_int "${tl_max:-0}"). From second 5 on (the opening's
		queue drained), the longest client cycle in any one second was at most
		${fair:-?} × that second's mean.

		## Profile

	EOF
	if [ -s "$WORK/perf.top" ]; then
		cat <<-EOF
			### perf, system-wide

			\`perf record -a -g -e $PERF_KIND -F 499\` over 10 s of a second 10 000-connection
			rush on a fresh event$([ "$PERF_KIND" = cpu-clock ] && echo " (the software clock: this guest has no
			hardware counters)"). Where the two cores' time went, by process and
			object (\`[kernel.kallsyms]\` is the kernel working for that process;
			processes that are not ours are other work on the machine):

			\`\`\`
			$(cat "$WORK/perf.top")
			\`\`\`

			The hottest symbols, by process:

			\`\`\`
			$(cat "$WORK/perf.sym")
			\`\`\`

		EOF
	fi
	case $PROFILE_KIND in
	callgrind)
		cat <<-EOF
			### callgrind, one public worker

			\`perf stat -e instructions\` does not work on this machine (no hardware
			counters in the guest), so the worker's own code is profiled with
			callgrind (\`tools/bench/callgrind.sh\`): one worker on a socket of its own,
			against the bench's PostgreSQL and Redis, sent $PROFILE_N reservation attempts for
			the sold-out \`rush\` event with \`cgi-fcgi\`; only the request loop is
			counted. Instructions in user space; the kernel's share (sockets, context
			switches) is in the CPU table and the perf sample, not here.

			\`\`\`
			$(cat "$WORK/profile.sym")
			\`\`\`
		EOF
		;;
	none) [ -s "$WORK/perf.top" ] || echo "No profile in this run." ;;
	*) echo "No callgrind profile in this run ($PROFILE_KIND)." ;;
	esac
	cat "$ROOT/tools/bench/notes.md"
	# The first-run check's section is written by tools/fresh-check.sh, not
	# by this run: kept as it was.
	if [ -f "$OUT" ]; then
		sed -n '/^<!-- fresh-check:begin -->$/,/^<!-- fresh-check:end -->$/p' "$OUT"
	fi
} >"$OUT.tmp"
mv -f -- "$OUT.tmp" "$OUT"
