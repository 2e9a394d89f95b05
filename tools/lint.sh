#!/usr/bin/env bash
# tools/lint.sh — the style and static checks `make lint` (and `make test`) run.
#
# 1. clang-format --dry-run --Werror with the repository's .clang-format over
#    lib/*.[ch] fcgi/*.c tools/*.c tests/unit/*.c tests/integration/*.[ch]
#    (the files that exist). Fix with `make format` or `clang-format -i FILE`.
# 2. cppcheck (warning, performance, portability) over lib fcgi tools; any
#    finding fails. Suppress a finding that is wrong with an inline comment
#    `// cppcheck-suppress <id>` on the line above it, or for good in
#    .cppcheck-suppressions ("id:path" per line), with a reason.
#
# Both checks always run; the exit status is 1 when either found something,
# 2 when a tool is missing. Run from anywhere: it works in the repository root.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

status=0

for tool in clang-format cppcheck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "lint: $tool not found (tools/deps.sh installs it)" >&2
		exit 2
	fi
done

# --- clang-format -----------------------------------------------------------

shopt -s nullglob
files=(lib/*.c lib/*.h fcgi/*.c tools/*.c tests/unit/*.c tests/integration/*.c tests/integration/*.h)
shopt -u nullglob

unformatted=()
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		unformatted+=("$f")
	fi
done

if [ "${#unformatted[@]}" -gt 0 ]; then
	echo "lint: clang-format: ${#unformatted[@]} of ${#files[@]} files are not formatted:" >&2
	for f in "${unformatted[@]}"; do
		# How many lines would change, so the size of the fix is visible.
		n=$(diff --unchanged-line-format= --old-line-format='%L' --new-line-format= \
			"$f" <(clang-format "$f") | wc -l)
		printf '  %-40s %4d lines differ\n' "$f" "$n" >&2
	done
	echo "lint: see the changes with: clang-format FILE | diff FILE -" >&2
	echo "lint: fix them with:        clang-format -i FILE   (or make format)" >&2
	status=1
else
	echo "lint: clang-format: ${#files[@]} files OK"
fi

# --- cppcheck ---------------------------------------------------------------

dirs=()
for d in lib fcgi tools; do
	[ -d "$d" ] && dirs+=("$d")
done

suppress=()
if [ -f .cppcheck-suppressions ]; then
	suppress+=(--suppressions-list=.cppcheck-suppressions)
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT

jobs=$(nproc 2>/dev/null || echo 2)
cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	--inline-suppr --std=c11 -D_GNU_SOURCE -Ilib --suppress=missingIncludeSystem \
	"${suppress[@]}" -j "$jobs" \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	"${dirs[@]}" 2>"$report"
rc=$?

if [ "$rc" -ne 0 ] || [ -s "$report" ]; then
	cat "$report" >&2
	bad=$(grep -oE '^[^:]+:[0-9]+:' "$report" | cut -d: -f1 | sort -u | tr '\n' ' ')
	n=$(grep -cE '^[^:]+:[0-9]+:' "$report")
	echo "lint: cppcheck: $n finding(s) in: ${bad:-(see above)}" >&2
	status=1
else
	echo "lint: cppcheck: ${dirs[*]} OK"
fi

if [ "$status" -ne 0 ]; then
	echo "lint: FAILED" >&2
fi
exit "$status"
