#!/usr/bin/env bash
# tools/test-suites.sh BUILD — the suites that need a running stack, in
# order: the C integration scenarios, then the page tests in Chromium.
# Both run (a failure in the first does not hide the second); exits non-zero
# if either failed. tools/stack.sh test runs it with the stack's env exported.
set -uo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
rc=0
bash "$root/tools/run-tests.sh" "$@" || rc=1
bash "$root/tests/browser/run.sh" || rc=1
exit "$rc"
