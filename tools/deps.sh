#!/usr/bin/env bash
# tools/deps.sh — install the Debian packages ticketd needs to build, run and test.
#
# Checks every package with dpkg-query first, so it is a fast no-op when all are
# present. Installs only the missing ones with apt-get (no recommends); runs
# `apt-get update` only when that first install fails (stale or empty lists).
# Not root and something missing: prints the command to run and exits 1.
set -euo pipefail

# The one list. Keep it sorted by purpose, one package per word.
PACKAGES=(
	# build; the stack script's process tools
	build-essential pkg-config procps
	# FastCGI: library, cgi-fcgi bridge, spawner
	libfcgi-dev libfcgi-bin spawn-fcgi
	# PostgreSQL client library and server
	libpq-dev postgresql
	# Redis client library and server
	libhiredis-dev redis-server
	# libraries the core links
	libcjson-dev libcurl4-openssl-dev libqrencode-dev libssl-dev libcrypt-dev
	libxlsxwriter-dev
	# web server
	nginx
	# tests, benchmarks, checks
	check wrk hey zbar-tools librsvg2-bin unzip curl clang-format cppcheck valgrind
	# page tests: Debian's Chromium driven by npm playwright-core, Hangul fonts
	chromium fonts-noto-cjk nodejs
	ffmpeg # scanner camera test: a .y4m of a ticket's QR for Chromium's fake camera
)
# npm: Debian's package, unless a Node.js that brings its own is installed
# (NodeSource's nodejs ships npm and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

# One dpkg-query for the whole list; it prints "name<TAB>status" for packages it
# knows and exits non-zero if any is unknown, which is just "missing" here.
# "install ok installed" is the only state that counts as present
# (config-files / half-installed are not).
declare -A present=()
while IFS=$'\t' read -r name status; do
	if [ "$status" = "install ok installed" ]; then
		present[$name]=1
	fi
done < <(dpkg-query -W -f='${Package}\t${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for pkg in "${PACKAGES[@]}"; do
	if [ -z "${present[$pkg]:-}" ]; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

echo "deps: missing: ${missing[*]}" >&2

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; install them with:" >&2
	echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
	apt-get install -y --no-install-recommends "$@"
}

if ! apt_install "${missing[@]}"; then
	echo "deps: install failed; running apt-get update and retrying" >&2
	apt-get update
	apt_install "${missing[@]}"
fi
echo "deps: installed: ${missing[*]}" >&2
