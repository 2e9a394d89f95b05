#!/usr/bin/env bash
# tools/bench/cpusnap.sh ROOT_PID... — CPU time used so far by the processes
# ROOT_PID and their descendants, grouped by command name, in clock ticks
# (1/CLK_TCK s): "name ticks" lines, then "_machine_busy ticks" and
# "_machine_idle ticks" from /proc/stat (every process on the machine, ours
# or not). tools/bench.sh takes one snapshot before a phase and one after and
# subtracts them: where the two cores went, and how much went to strangers.
# A process that ended in between is missed (the stack's do not end).
set -euo pipefail
declare -A want=()
for p in "$@"; do want[$p]=1; done
for f in /proc/[0-9]*/stat; do
	{ read -r line <"$f"; } 2>/dev/null || continue # it may have ended
	pid=${line%% *}
	comm=${line#*(}
	comm=${comm%)*}
	comm=${comm// /_}
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	# fields after comm: 1 state 2 ppid … 12 utime 13 stime
	printf '%s %s %s %s\n' "$pid" "$2" "$comm" "$((${12} + ${13}))"
done | awk -v roots="${!want[*]}" '
	BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
	{ ppid[$1] = $2; comm[$1] = $3; ticks[$1] = $4 }
	END {
		for (p in ppid) {
			q = p
			for (d = 0; d < 64 && q != "" && q != 0; d++) {
				if (q in keep) { t[comm[p]] += ticks[p]; break }
				q = ppid[q]
			}
		}
		for (k in t) print k, t[k]
	}' | sort
awk '/^cpu / { print "_machine_busy", $2 + $3 + $4 + $7 + $8 + $9; print "_machine_idle", $5 + $6 }' /proc/stat
