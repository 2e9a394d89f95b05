#!/usr/bin/env bash
# tests/browser/run.sh — the page tests: every tests/browser/t_*.mjs, one
# node --test process each, against a running stack (tools/stack.sh test
# exports TICKET_BASE_URL and the rest). Screenshots land in
# $TICKET_BUILD/screenshots/. Exits non-zero if any file failed.
#
#   tests/browser/run.sh [NAME...]   only t_NAME.mjs
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
cd -- "$root"
[ -d node_modules/playwright-core ] || { echo "browser: node_modules missing (make installs it: npm ci)" >&2; exit 2; }
[ -x "${TICKET_CHROMIUM:-/usr/bin/chromium}" ] || { echo "browser: ${TICKET_CHROMIUM:-/usr/bin/chromium} missing (tools/deps.sh installs chromium)" >&2; exit 2; }
files=()
if [ "$#" -gt 0 ]; then
	for n in "$@"; do files+=("tests/browser/t_$n.mjs"); done
else
	files=(tests/browser/t_*.mjs)
fi
[ -e "${files[0]:-}" ] || { echo "browser: no tests" >&2; exit 0; }
failed=()
for f in "${files[@]}"; do
	echo "== browser $f" >&2
	node --test "$f" || failed+=("$f")
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "browser tests failed: ${failed[*]}" >&2
	exit 1
fi
echo "browser: ${#files[@]} file(s) passed" >&2
