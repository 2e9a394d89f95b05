#!/usr/bin/env bash
# tools/run-tests.sh — run the integration suite against a running stack.
#
#   tools/run-tests.sh [BUILD] [SUITE]
#
# BUILD   the build directory holding tests/integration and the worker
#         binaries (default: $TICKET_BUILD, else <repo>/build)
# SUITE   run only this suite (health, auth, permissions, events, admins,
#         activity, notices, badinput, openapi); CK_RUN_SUITE works as well,
#         CK_RUN_CASE narrows further
#
# The stack's variables (TICKET_BASE_URL, TICKET_PG, TICKET_ROOT …) come
# from the environment — `tools/stack.sh test CMD` exports them — or, when
# TICKET_BASE_URL is unset, from $TICKET_VAR/env. Exits 0 when every test
# passed, non-zero otherwise (2: nothing to run / setup problem).
#
# Defaults: CK_FORK=no (one process, fixtures made once), CK_VERBOSITY=normal.
set -euo pipefail

die() {
	printf 'run-tests: %s\n' "$*" >&2
	exit 2
}

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

if [ -z "${TICKET_BASE_URL:-}" ]; then
	envfile=${TICKET_VAR:-$root/var}/env
	[ -f "$envfile" ] || die "TICKET_BASE_URL is not set and $envfile does not exist (start a stack: tools/stack.sh start)"
	set -a
	# shellcheck disable=SC1090
	. "$envfile"
	set +a
fi

build=${1:-${TICKET_BUILD:-$root/build}}
[ -d "$build" ] || die "$build: no such build directory"
build=$(cd -- "$build" && pwd)
bin=$build/tests/integration
[ -x "$bin" ] || die "$bin missing: build it first (make BUILD=$build)"

suite=${2:-${CK_RUN_SUITE:-}}
if [ -n "$suite" ]; then
	export CK_RUN_SUITE=$suite
else
	unset CK_RUN_SUITE
fi

# The tests read the route tables from these binaries and openapi.json
# from the repository.
export TICKET_BUILD=$build
export TICKET_ROOT=${TICKET_ROOT:-$root}
export CK_FORK=${CK_FORK:-no}
export CK_VERBOSITY=${CK_VERBOSITY:-normal}

printf 'run-tests: %s against %s%s\n' "$bin" "$TICKET_BASE_URL" "${suite:+ (suite $suite)}" >&2
start=$SECONDS
set +e
"$bin"
rc=$?
set -e
printf 'run-tests: finished in %ss, exit %s\n' "$((SECONDS - start))" "$rc" >&2
exit "$rc"
