#!/usr/bin/env bash
# tools/fresh-check.sh — the first run on a new machine, proven: builds a
# Debian 12 (bookworm) minbase root with debootstrap, adds only make, git and
# ca-certificates, clones this repository into /root/ticketd inside it (root's
# home, mode 0700, as on a new server) and runs `make test` there in a chroot.
# Everything else — the -dev packages, PostgreSQL, Redis, nginx, Chromium,
# Node.js, the npm packages — must be installed by `make test` itself.
#
#   tools/fresh-check.sh            (as root; `make fresh-check` runs it)
#
# Environment:
#   FRESH_DIR      where the root is built (default /var/tmp/ticketd-fresh;
#                  about 3 GB; emptied first)
#   FRESH_MIRROR   Debian mirror for debootstrap (default: the first bookworm
#                  URIs of this machine's apt sources)
#   FRESH_REF      what to clone (default HEAD: commit first, uncommitted
#                  changes are not in the clone)
#   FRESH_KEEP=1   leave the root in place afterwards (to look inside)
#
# This machine's site configuration is copied in, as a new machine of the
# same site would have it: the apt sources, the npm settings, and the site's
# own CA certificates (/usr/local/share/ca-certificates, and the file npm's
# `cafile` names), which a TLS-inspecting egress needs. No package is copied. Slow (tens
# of minutes): not part of make test or CI. Its last duration is recorded in
# BENCHMARKS.md.
set -euo pipefail

die() {
	printf 'fresh-check: %s\n' "$*" >&2
	exit 1
}
log() { printf 'fresh-check: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
dir=${FRESH_DIR:-/var/tmp/ticketd-fresh}
ref=${FRESH_REF:-HEAD}
chroot_dir=$dir/root

if ! command -v debootstrap >/dev/null 2>&1; then
	log "installing debootstrap on this machine (not in the new root)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null
fi

mirror=${FRESH_MIRROR:-}
if [ -z "$mirror" ]; then
	# deb822 sources first, then one-line ones; the first entry for bookworm.
	mirror=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || die "no bookworm mirror in this machine's apt sources; set FRESH_MIRROR"

mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l -- "${mounted[$i]}" 2>/dev/null || true
	done
	if [ "${FRESH_KEEP:-0}" != 1 ] && [ -d "$chroot_dir" ]; then
		rm -rf --one-file-system -- "$chroot_dir"
	fi
}
trap cleanup EXIT

bind() {
	mkdir -p -- "$chroot_dir$2"
	mount "${@:3}" --bind -- "$1" "$chroot_dir$2"
	mounted+=("$chroot_dir$2")
}

start=$SECONDS
if [ -d "$chroot_dir" ]; then
	# A root left by an earlier run: nothing may still be mounted in it.
	if grep -q " $chroot_dir" /proc/mounts; then
		die "$chroot_dir still has mounts (an earlier run?): umount them first"
	fi
	rm -rf --one-file-system -- "$chroot_dir"
fi
mkdir -p -- "$dir"
log "debootstrap bookworm minbase into $chroot_dir"
debootstrap --variant=minbase bookworm "$chroot_dir" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
	{
		tail -n 20 "$dir/debootstrap.log" >&2
		die "debootstrap failed (log: $dir/debootstrap.log)"
	}
boot_s=$((SECONDS - start))

# This site's apt sources (security updates included) and npm settings.
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
	: >"$chroot_dir/etc/apt/sources.list"
	for f in /etc/apt/sources.list.d/*.sources; do
		grep -q 'debian' "$f" && cp -- "$f" "$chroot_dir/etc/apt/sources.list.d/"
	done
fi
for f in /etc/npmrc /root/.npmrc; do
	[ -f "$f" ] || continue
	install -D -m 0600 -- "$f" "$chroot_dir$f"
	ca=$(sed -n 's/^[[:space:]]*cafile[[:space:]]*=[[:space:]]*//p' "$f" | tail -n 1)
	if [ -n "$ca" ] && [ -f "$ca" ]; then install -D -m 0644 -- "$ca" "$chroot_dir$ca"; fi
done
if [ -d /usr/local/share/ca-certificates ]; then
	mkdir -p -- "$chroot_dir/usr/local/share/ca-certificates"
	cp -R -- /usr/local/share/ca-certificates/. "$chroot_dir/usr/local/share/ca-certificates/"
fi
cp -- /etc/resolv.conf "$chroot_dir/etc/resolv.conf"

mount -t proc proc "$chroot_dir/proc"
mounted+=("$chroot_dir/proc")
bind /sys /sys -r
bind /dev /dev
bind /dev/pts /dev/pts
mkdir -p -- "$chroot_dir/dev/shm"
mount -t tmpfs -o mode=1777 shm "$chroot_dir/dev/shm" && mounted+=("$chroot_dir/dev/shm")
bind "$root" /mnt/src -r

in_root() { chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb "$@"; }

log "installing make, git and ca-certificates (nothing else)"
in_root apt-get update -q >"$dir/apt.log" 2>&1 || {
	tail -n 20 "$dir/apt.log" >&2
	die "apt-get update failed in the new root"
}
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	make git ca-certificates >>"$dir/apt.log" 2>&1 || {
	tail -n 20 "$dir/apt.log" >&2
	die "apt-get install make git failed in the new root"
}
# The site's CAs into the new root's trust store (ca-certificates is in now).
in_root update-ca-certificates >>"$dir/apt.log" 2>&1 || true
chmod 0700 "$chroot_dir/root"

commit=$(git -C "$root" rev-parse "$ref")
log "cloning $commit into /root/ticketd"
in_root git config --global --add safe.directory '*'
in_root git clone -q /mnt/src /root/ticketd
in_root git -C /root/ticketd checkout -q "$commit"

log "make test in the new root (the first invocation; log: $dir/make-test.log)"
t0=$SECONDS
set +e
in_root /bin/bash -c 'cd /root/ticketd && make test' >"$dir/make-test.log" 2>&1
rc=$?
set -e
test_s=$((SECONDS - t0))
total_s=$((SECONDS - start))
tail -n 5 "$dir/make-test.log" >&2
# Stop whatever a failed run may have left (make test stops its stack itself).
in_root /bin/bash -c 'cd /root/ticketd && make stop TICKET_VAR=build/test-var' >/dev/null 2>&1 || true

verdict=$([ $rc -eq 0 ] && echo passed || echo FAILED)
printf 'fresh-check: commit %s, debootstrap %d s, first make test %d s, total %d s: %s\n' \
	"${commit:0:12}" "$boot_s" "$test_s" "$total_s" "$verdict"

# The result goes into BENCHMARKS.md's own section (make bench keeps it).
out=${FRESH_OUT:-$root/BENCHMARKS.md}
section=$(
	cat <<-EOF
		<!-- fresh-check:begin -->
		## First run on a new machine (\`make fresh-check\`)

		Written by \`tools/fresh-check.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): a Debian 12 minbase root
		(debootstrap) with only make, git and ca-certificates added, the repository
		cloned into \`/root/ticketd\` (mode 0700) at commit \`${commit:0:12}\`, and the
		first \`make test\` run there in a chroot — it installed every Debian and npm
		package itself. Result: **${verdict}**.

		| step | seconds |
		|---|---|
		| debootstrap | ${boot_s} |
		| first \`make test\` (installs, build, every suite) | ${test_s} |
		| in all | ${total_s} |

		On the same 2-core machine, shared with other work while it ran.
		<!-- fresh-check:end -->
	EOF
)
if [ -f "$out" ] && grep -q '^<!-- fresh-check:begin -->$' "$out"; then
	FRESH_SECTION=$section awk '
		/^<!-- fresh-check:begin -->$/ { print ENVIRON["FRESH_SECTION"]; skip = 1; next }
		/^<!-- fresh-check:end -->$/ { skip = 0; next }
		!skip { print }' "$out" >"$out.tmp" && mv -f -- "$out.tmp" "$out"
else
	printf '\n%s\n' "$section" >>"$out"
fi
log "wrote the result into $out"
exit "$rc"
