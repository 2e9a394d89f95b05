#!/usr/bin/env bash
# tools/bench/outbox-drain.sh — how fast `ticketctl send-outbox` drains the
# Alimtalk outbox into the fake Kakao of a running stack.
#
#   TICKET_VAR=<stack dir> bash tools/bench/outbox-drain.sh [ROWS]
#
# Queues ROWS (default 2000) ENTRY_ADMITTED rows with every variable filled,
# each to its own number, runs one `ticketctl send-outbox` (passes until
# nothing is due) and prints rows/s. Not part of `make bench`: a measurement
# to report, on a stack whose other work is idle.
set -euo pipefail
rows=${1:-2000}
: "${TICKET_VAR:?set TICKET_VAR to the stack directory}"
set -a
# shellcheck disable=SC1091
. "$TICKET_VAR/env"
set +a
psql "$TICKET_PG" -qAt -v ON_ERROR_STOP=1 -c "
INSERT INTO notifications (template_code, recipient, params)
SELECT 'ENTRY_ADMITTED', '0108' || lpad(g::text, 7, '0'),
       jsonb_build_object('name', '홍길동', 'productName', '성인', 'orderNumber', 'BENCH-1',
                          'gate', 'A', 'usedAt', '2026-12-01T10:00:00+09:00')
  FROM generate_series(1, $rows) g" >/dev/null
start=$(date +%s.%N)
"$TICKET_BUILD/ticketctl" send-outbox 2>/dev/null
end=$(date +%s.%N)
awk -v n="$rows" -v s="$start" -v e="$end" \
	'BEGIN { printf "outbox drain: %d rows in %.2f s = %.0f rows/s\n", n, e - s, n / (e - s) }'
