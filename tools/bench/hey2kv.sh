#!/usr/bin/env bash
# tools/bench/hey2kv.sh — hey's text summary (stdin) as the key=value lines
# tools/bench/wrk.lua writes, latencies in microseconds:
#   requests rps p50 p90 p99 max mean status_<code> err_hey (requests that got
#   no answer) and err_hey_kind=<count> <message> for each kind of error.
set -euo pipefail
awk '
	function us(s) { return sprintf("%.0f", s * 1e6) }
	/^  Total:/        { total = $2 }
	/^  Slowest:/      { print "max=" us($2) }
	/^  Average:/      { print "mean=" us($2) }
	/^  Requests\/sec:/ { print "rps=" $2 }
	/% in / { p = $1; sub("%", "", p); if (p == 50 || p == 90 || p == 99) print "p" p "=" us($3) }
	/^Status code distribution:/ { sec = "status"; next }
	/^Error distribution:/       { sec = "error"; next }
	/^$/ { if (sec != "") sec = ""; next }
	sec == "status" && /\[[0-9]+\]/ {
		code = $1; gsub(/[\[\]]/, "", code); n += $2; print "status_" code "=" $2
	}
	sec == "error" && /\[[0-9]+\]/ {
		c = $1; gsub(/[\[\]]/, "", c); e += c
		$1 = ""; sub(/^ +/, ""); print "err_hey_kind=" c " " $0
	}
	END { print "requests=" n + e; print "err_hey=" e + 0 }
'
