#!/usr/bin/env bash
# tests/install/check.sh BUILD — make install into temporary DESTDIRs and
# check the tree against what systemd/README.md promises: every path the
# units and the nginx server block name exists, with the right modes, for
# the default PREFIX and for another one; nothing is written outside PREFIX
# and the systemd/sysctl directories; no secret file is made.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
fails=0
fail() {
	printf 'check-install: FAIL %s\n' "$*" >&2
	fails=$((fails + 1))
}
mode_is() { # FILE MODE
	local m
	m=$(stat -c %a -- "$1" 2>/dev/null) || {
		fail "$1 missing"
		return
	}
	[ "$m" = "$2" ] || fail "$1: mode $m, want $2"
}

check_tree() { # DESTDIR PREFIX
	local d=$1 prefix=$2 p f fam u
	for fam in public payment admin super_admin entrance; do
		mode_is "$d$prefix/lib/ticketd/$fam" 755
		# The installed worker is the real one: it prints its route table.
		"$d$prefix/lib/ticketd/$fam" --routes >/dev/null 2>&1 || fail "$prefix/lib/ticketd/$fam --routes failed"
	done
	mode_is "$d$prefix/bin/ticketctl" 755
	# Every static page and migration of the repository, byte for byte.
	for p in public sql; do
		while IFS= read -r f; do
			mode_is "$d$prefix/share/ticketd/$f" 644
			cmp -s -- "$root/$f" "$d$prefix/share/ticketd/$f" || fail "$f differs from the installed copy"
		done < <(cd "$root" && git ls-files -- "$p")
	done
	for f in "$build"/vendor/*; do
		mode_is "$d$prefix/share/ticketd/public/vendor/${f##*/}" 644
	done
	for u in "$root"/systemd/*.service "$root"/systemd/*.target; do
		mode_is "$d/etc/systemd/system/${u##*/}" 644
	done
	mode_is "$d/etc/sysctl.d/99-ticketd.conf" 644
	mode_is "$d$prefix/share/doc/ticketd/systemd/README.md" 644
	mode_is "$d$prefix/share/doc/ticketd/nginx/ticketd.conf" 644
	# Every absolute path under PREFIX that a unit or the nginx block names
	# exists in the tree (%j/%i instances expanded to the families).
	while IFS= read -r p; do
		case $p in
		*%j* | *%i*)
			for fam in public payment admin super_admin entrance; do
				f=${p//%j/$fam}
				f=${f//%i/$fam}
				[ -e "$d$f" ] || fail "a unit names $f: not installed"
			done
			;;
		*) [ -e "$d$p" ] || fail "named $p: not installed" ;;
		esac
	done < <(grep -ohE "$prefix/[A-Za-z0-9_./%-]+" "$d"/etc/systemd/system/ticketd* \
		"$d$prefix/share/doc/ticketd/nginx/ticketd.conf" | sed 's/[.;]$//' | sort -u)
	if [ "$prefix" != /usr/local ] &&
		grep -l "/usr/local/" "$d"/etc/systemd/system/ticketd* "$d$prefix/share/doc/ticketd/nginx/ticketd.conf" >/dev/null 2>&1; then
		fail "PREFIX=$prefix: a unit or the nginx block still names /usr/local"
	fi
	# Only PREFIX and /etc/{systemd,sysctl.d}; no secrets, nothing group/other-writable.
	while IFS= read -r f; do
		case $f in
		"$prefix"/* | /etc/systemd/system/* | /etc/sysctl.d/*) ;;
		*) fail "installed outside PREFIX and /etc/{systemd/system,sysctl.d}: $f" ;;
		esac
	done < <(cd "$d" && find . -type f | sed 's|^\.||')
	[ ! -e "$d/etc/ticketd" ] || fail "make install wrote /etc/ticketd (the sysadmin's secrets)"
	[ -z "$(find "$d" -type f -perm /022 -print -quit)" ] || fail "group/other-writable files installed"
}

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
for prefix in /usr/local /opt/ticketd; do
	dest=$tmp/root${prefix//\//_}
	make -s -C "$root" install BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" >"$tmp/log" 2>&1 || {
		cat "$tmp/log" >&2
		fail "make install PREFIX=$prefix failed"
		continue
	}
	check_tree "$dest" "$prefix"
done
if [ "$fails" -gt 0 ]; then
	echo "check-install: $fails problem(s)" >&2
	exit 1
fi
echo "check-install: make install trees for PREFIX /usr/local and /opt/ticketd are complete" >&2
