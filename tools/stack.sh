#!/usr/bin/env bash
# tools/stack.sh — the private dev/test stack: PostgreSQL, Redis, the FastCGI
# pools (spawn-fcgi) and nginx, all under one state directory, all on unix
# sockets except nginx's one loopback TCP port.
#
#   tools/stack.sh start        start everything in the background, return when healthy
#   tools/stack.sh stop         stop everything it started (data stays)
#   tools/stack.sh run          start, print URLs and demo logins, stay in the
#                               foreground until Ctrl-C / SIGTERM (or a core
#                               process dies), then stop everything
#   tools/stack.sh test CMD...  start, run CMD with $TICKET_VAR/env exported,
#                               stop, exit with CMD's status
#   tools/stack.sh status       what runs, where
#
# Environment (inputs):
#   TICKET_VAR        state directory (default: <repo>/var, i.e. ./var from the
#                     repo root); relative values are taken from the current dir
#   TICKET_PORT       nginx port on 127.0.0.1 (default 8080)
#   TICKET_ROOT       repository root (default: the parent of this script's dir)
#   TICKET_BUILD      where the binaries are (default $TICKET_ROOT/build)
#
# The defaults are the tuned configuration, sized from the machine (what the
# rush bench needs is what a plain `make run` does; nginx/README.md, "Tuning
# for the rush", says why each is what it is):
#   TICKET_FCGI_BACKLOG       listen backlog of each pool socket (default
#                     net.core.somaxconn, at most 65535: the kernel caps it there)
#   TICKET_SOCKETS_<FAMILY>   sockets (= spawn-fcgi instances) per family,
#                     1 → <family>.sock; N > 1 → <family>-0.sock … -(N-1).sock,
#                     all listed in the family's nginx upstream. Default 1, and
#                     for public enough sockets that their backlogs together
#                     hold 16 384 waiting requests (4 at somaxconn 4096)
#   TICKET_WORKERS    worker processes per socket (default 3; for public,
#                     4 × CPU cores over its sockets: 2 per socket on 2 cores)
#   TICKET_WORKERS_<FAMILY>   per family override, e.g. TICKET_WORKERS_PUBLIC=16
#                     (the fakes default to 1 and ignore TICKET_WORKERS: they may
#                     keep their state in memory)
#   TICKET_NGINX_WORKERS      nginx worker_processes (default one per 4 cores,
#                     at least 1: one event loop keeps a rush's clients in one
#                     FIFO; more where the open-file limit cannot hold 2 × 10 000
#                     descriptors in one worker: 2 at a hard limit of 20 000)
#   TICKET_NGINX_PRIORITY     nginx worker_priority, a nice value (default -10
#                     as root, so nginx reads requests as they come; else 0)
#   TICKET_FCGI_KEEPALIVE     idle connections nginx keeps per upstream per
#                     nginx worker, with fastcgi_keep_conn on (default 0 = a new
#                     connection per request: with prefork libfcgi workers, idle
#                     kept connections pin workers and stall requests up to a
#                     minute — measured; see nginx/README.md)
#   TICKET_PG_MAX_CONNECTIONS PostgreSQL max_connections (default 200; every
#                     worker holds one; applied when postgres (re)starts)
#   TICKET_WORKER_DAEMON=1    also run `ticketctl worker` (outbox, reconcile)
#   TICKET_START_TIMEOUT      seconds to wait for health (default 60)
#   TICKET_KEEP_ON_FAIL=1     leave the stack running when start fails
#
# Outputs (the contract other scripts rely on), all under $TICKET_VAR:
#   env               KEY='value' lines, shell-sourceable (see write_env);
#                     lines of env.local, if present, are appended (overrides)
#   secret            the JWT secret, made once, kept (0600)
#   pg/               PostgreSQL data;  run/.s.PGSQL.5432 its socket
#   redis/            Redis AOF/RDB;    run/redis.sock
#   run/<pool>.sock   FastCGI sockets;  run/*.pid pid files
#   nginx/            nginx.conf (rendered from nginx/dev.conf.in), temp dirs
#   log/              postgres.log redis.log nginx-error.log nginx-access.log
#                     <family>.log (workers' stderr) ticketctl.log worker.log
#
# As root, PostgreSQL, Redis, the pools and nginx's workers run as the system
# user `ticketd` (created if missing); otherwise as the current user.
set -euo pipefail
shopt -s nullglob

readonly FAMILIES=(public payment admin super_admin entrance)
readonly FAKES=(fake_toss fake_kakao)
readonly POOLS=("${FAMILIES[@]}" "${FAKES[@]}")
readonly SYSTEM_USER=ticketd
readonly SOCKET_PATH_MAX=107 # sizeof(sun_path) - 1 on Linux
LOCK_FD=                      # fd of $TICKET_VAR/.stack.lock while held
ORIG_OUT=                     # the caller's stdout and stderr, for traps that fire
ORIG_ERR=                     # while a command's output is redirected to a log

log() { printf 'stack: %s\n' "$*" >&2; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() {
	printf 'stack: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------

# Paths end up in nginx, PostgreSQL and Redis configs unquoted, and PostgreSQL
# splits unix_socket_directories on commas: refuse anything but plain characters.
check_path() {
	[[ $2 =~ ^[A-Za-z0-9._/+@~-]+$ ]] ||
		die "$1=$2: use a path of letters, digits and . _ / + @ ~ - only"
}

setup_config() {
	local script_dir
	script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
	ROOT=${TICKET_ROOT:-$(dirname -- "$script_dir")}
	ROOT=$(cd -- "$ROOT" && pwd) || die "TICKET_ROOT=$ROOT: no such directory"
	# The state directory as the user named it (absolute, symlinks kept), and
	# where it really is: a checkout the service user cannot reach keeps its
	# state elsewhere behind a symlink (place_state).
	USER_VAR=$(realpath -m -s -- "${TICKET_VAR:-$ROOT/var}")
	if [ -L "$USER_VAR" ]; then VAR=$(readlink -f -- "$USER_VAR"); else VAR=$USER_VAR; fi
	BUILD=${TICKET_BUILD:-$ROOT/build}
	if [ -d "$BUILD" ]; then BUILD=$(cd -- "$BUILD" && pwd); fi
	PORT=${TICKET_PORT:-8080}
	if ! [[ $PORT =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
		die "TICKET_PORT=$PORT: not a port number"
	fi
	check_path TICKET_ROOT "$ROOT"
	check_path TICKET_VAR "$USER_VAR"
	check_path TICKET_BUILD "$BUILD"
	BASE_URL=http://127.0.0.1:$PORT
	# What the services run from: the checkout itself, or a staged copy of
	# what they need when the service user cannot read the checkout (stage_app).
	APP_ROOT=$ROOT
	APP_BUILD=$BUILD
	set_var_paths

	if [ "$(id -u)" -eq 0 ]; then
		IS_ROOT=1
		RUN_USER=$SYSTEM_USER
	else
		IS_ROOT=0
		RUN_USER=$(id -un)
	fi
	machine_defaults

	# Validated here, in this shell: the helpers also run inside $(...),
	# where a failure would only end the subshell.
	local pool
	for pool in "${POOLS[@]}"; do
		pool_workers "$pool" >/dev/null
		pool_socket_count "$pool" >/dev/null
	done
	[[ ${TICKET_FCGI_KEEPALIVE:-0} =~ ^[0-9]+$ ]] ||
		die "TICKET_FCGI_KEEPALIVE=$TICKET_FCGI_KEEPALIVE: want a number"
	[[ $NGINX_WORKERS =~ ^(auto|[1-9][0-9]?)$ ]] ||
		die "TICKET_NGINX_WORKERS=$NGINX_WORKERS: want auto or a number"
	[[ $NGINX_PRIORITY =~ ^-?([0-9]|1[0-9]|20)$ ]] ||
		die "TICKET_NGINX_PRIORITY=$NGINX_PRIORITY: want a nice value, -20 … 20"
	[[ $FCGI_BACKLOG =~ ^[0-9]+$ ]] ||
		die "TICKET_FCGI_BACKLOG=$FCGI_BACKLOG: want a number"
	[[ ${TICKET_PG_MAX_CONNECTIONS:-200} =~ ^[0-9]+$ ]] ||
		die "TICKET_PG_MAX_CONNECTIONS=$TICKET_PG_MAX_CONNECTIONS: want a number"
	[[ ${TICKET_START_TIMEOUT:-60} =~ ^[0-9]+$ ]] ||
		die "TICKET_START_TIMEOUT=$TICKET_START_TIMEOUT: want seconds"
}

# machine_defaults: the knobs' defaults from this machine (see the header).
# A rush keeps up to 10 000 requests in flight; each waits in a pool
# socket's backlog for a free worker, and a full backlog is a 502. The
# kernel caps a backlog at somaxconn, so the public family gets enough
# sockets to hold 16 384 together, and nginx's least_conn keeps them level.
# A worker waits on Redis or PostgreSQL for part of each request: 4 per core.
machine_defaults() {
	local cores somax
	cores=$(nproc 2>/dev/null || echo 1)
	somax=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
	[[ $somax =~ ^[0-9]+$ ]] && [ "$somax" -ge 128 ] || somax=4096
	[ "$somax" -le 65535 ] || somax=65535
	DEF_BACKLOG=$somax
	DEF_PUBLIC_SOCKETS=$(((16384 + somax - 1) / somax))
	[ "$DEF_PUBLIC_SOCKETS" -le 8 ] || DEF_PUBLIC_SOCKETS=8
	DEF_PUBLIC_WORKERS=$(((4 * cores + DEF_PUBLIC_SOCKETS - 1) / DEF_PUBLIC_SOCKETS))
	# One nginx worker per 4 cores, and enough of them that a rush's 10 000
	# clients fit the open-file limit: each client in flight costs its
	# worker two descriptors (its connection and the upstream one), and a
	# worker out of descriptors closes connections to reuse them. Where the
	# hard limit is 20 000 (this kind of machine) that is two workers.
	local nofile need
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	need=$(((2 * 10000 * 11 / 10 + nofile - 1) / nofile))
	DEF_NGINX_WORKERS=$((cores / 4))
	[ "$DEF_NGINX_WORKERS" -ge "$need" ] || DEF_NGINX_WORKERS=$need
	[ "$DEF_NGINX_WORKERS" -ge 1 ] || DEF_NGINX_WORKERS=1
	if [ "$IS_ROOT" -eq 1 ]; then DEF_NGINX_PRIORITY=-10; else DEF_NGINX_PRIORITY=0; fi
	FCGI_BACKLOG=${TICKET_FCGI_BACKLOG:-$DEF_BACKLOG}
	NGINX_WORKERS=${TICKET_NGINX_WORKERS:-$DEF_NGINX_WORKERS}
	NGINX_PRIORITY=${TICKET_NGINX_PRIORITY:-$DEF_NGINX_PRIORITY}
}

# set_var_paths: the paths under the state directory $VAR.
set_var_paths() {
	check_path TICKET_VAR "$VAR"
	RUN=$VAR/run
	LOGD=$VAR/log
	PGDATA=$VAR/pg
	NGX=$VAR/nginx
	ENVFILE=$VAR/env
	# The longest socket path we make: run/super_admin-NN.sock, run/.s.PGSQL.5432.lock
	if [ $((${#RUN} + 24)) -gt $SOCKET_PATH_MAX ]; then
		die "TICKET_VAR=$VAR is too long for unix socket paths (max ~$((SOCKET_PATH_MAX - 28)) characters)"
	fi
}

# reachable PATH: the run user can enter PATH, or, if PATH does not exist
# yet, its nearest existing parent.
reachable() {
	local p=$1
	while [ ! -e "$p" ] && [ "$p" != / ]; do p=$(dirname -- "$p"); done
	[ "$IS_ROOT" -eq 0 ] && return 0
	as_run test -x "$p"
}

# place_state: make the state directory exist where the run user can use it.
# As root, services run as $SYSTEM_USER, which cannot pass through a 0700
# directory such as /root or a mktemp -d checkout. The state then lives in
# STATE_HOME/<hash of the path the user gave>, and the given path becomes a
# symlink to it: ./var still holds env, logs and data for the user and the
# tools, and no permission outside the checkout and the state changes.
# Removing the symlink (rm -rf ./var, as make test does for a fresh start)
# forgets that state: the next start empties it.
readonly STATE_HOME=/var/lib/ticketd-stack
place_state() {
	if [ -L "$USER_VAR" ] || reachable "$USER_VAR"; then
		if [ -L "$USER_VAR" ]; then
			mkdir -p -- "$(readlink -f -- "$USER_VAR")"
		else
			mkdir -p -- "$USER_VAR"
		fi
		VAR=$(readlink -f -- "$USER_VAR")
		set_var_paths
		return 0
	fi
	local hash real
	hash=$(printf '%s' "$USER_VAR" | sha256sum | cut -c1-16)
	real=$STATE_HOME/$hash
	if [ -d "$USER_VAR" ]; then
		[ -z "$(find "$USER_VAR" -mindepth 1 -maxdepth 1 -print -quit)" ] ||
			die "TICKET_VAR=$USER_VAR is a directory $RUN_USER cannot reach (a 0700 parent?) and not empty; remove it or pick another TICKET_VAR"
		rmdir -- "$USER_VAR"
	elif [ -e "$USER_VAR" ]; then
		die "TICKET_VAR=$USER_VAR exists and is not a directory"
	fi
	if [ -d "$real" ]; then
		# Its symlink was removed: a fresh start, unless something still runs there.
		VAR=$real
		set_var_paths
		if pg_running || redis_running || nginx_running; then
			die "a stack still runs in $real (its link $USER_VAR was removed); stop it: TICKET_VAR=$real tools/stack.sh stop"
		fi
		[ -e "$real/.ticketd-stack" ] || die "$real exists and is not a stack directory"
		rm -rf -- "$real"
	fi
	mkdir -p -- "$STATE_HOME" "$real"
	chmod 0755 -- "$STATE_HOME"
	mkdir -p -- "$(dirname -- "$USER_VAR")"
	ln -s -- "$real" "$USER_VAR"
	log "$RUN_USER cannot reach $USER_VAR: state kept in $real ($USER_VAR links to it)"
	VAR=$real
	set_var_paths
}

# stage_app: when the run user cannot read the checkout (a clone under /root),
# copy what the services run from — the binaries, the static pages, the
# vendor files, the migrations — into $VAR/app, and run them from there.
# Copied at every start (a changed page or binary is picked up by the next
# start); binaries keep their mtime, so a pool restarts only when its
# binary changed. A reachable checkout is used in place.
STAGE_DIRS=(public sql templates)
stage_app() {
	APP_ROOT=$ROOT
	APP_BUILD=$BUILD
	[ "$IS_ROOT" -eq 1 ] || return 0
	local probe=$BUILD/ticketctl
	[ -e "$probe" ] || probe=$BUILD
	if as_run test -r "$ROOT/sql/0001_init.sql" -a -r "$ROOT/public/index.html" -a -x "$probe"; then
		return 0
	fi
	local app=$VAR/app d f tmp
	APP_ROOT=$app
	APP_BUILD=$app/bin
	mkdir -p -- "$app/bin" "$app/bin/vendor"
	for d in "${STAGE_DIRS[@]}"; do
		[ -d "$ROOT/$d" ] || continue
		rm -rf -- "$app/$d.new"
		cp -R -- "$ROOT/$d" "$app/$d.new"
		rm -rf -- "$app/$d"
		mv -- "$app/$d.new" "$app/$d"
	done
	for f in "$BUILD"/*; do
		# The binaries only (not libticket.a, the tests or the state dirs);
		# rename over the old copy, which a running worker may still execute.
		[ -f "$f" ] && [ -x "$f" ] || continue
		tmp=$app/bin/.${f##*/}.tmp
		cp -p -- "$f" "$tmp"
		mv -f -- "$tmp" "$app/bin/${f##*/}"
	done
	if [ -d "$BUILD/vendor" ]; then
		rm -rf -- "$app/bin/vendor"
		cp -R -- "$BUILD/vendor" "$app/bin/vendor"
	fi
	chown -R "$RUN_USER:$RUN_GROUP" -- "$app"
	chmod -R u=rwX,g=rX,o= -- "$app"
	log "$RUN_USER cannot read $ROOT: running a copy staged in $app"
}

# nolock CMD...: run CMD without the stack lock's descriptor. Every daemon
# must be started this way: one that inherited the descriptor would hold the
# lock for its whole life and block the next stop.
# The saved stdout/stderr are closed too: a daemon holding the caller's pipe
# would keep `tools/stack.sh start | tee log` from ever ending.
nolock() {
	if [ -n "$LOCK_FD" ]; then
		"$@" {LOCK_FD}>&- {ORIG_OUT}>&- {ORIG_ERR}>&-
	else
		"$@" {ORIG_OUT}>&- {ORIG_ERR}>&-
	fi
}

# close_inherited_fds: close whatever descriptors the caller leaked to us
# (a harness's pipe, say), so the daemons we start do not keep them open.
# 255 is where bash keeps this script open.
close_inherited_fds() {
	local f n
	for f in "/proc/$$/fd/"*; do
		n=${f##*/}
		if [ "$n" -gt 2 ] && [ "$n" -lt 255 ]; then
			eval "exec $n>&-"
		fi
	done
}

# restore_output: point stdout/stderr back at the caller's (a trap may fire
# in the middle of `cmd >>log 2>&1`, when the function's redirection is active).
restore_output() {
	exec 1>&"$ORIG_OUT" 2>&"$ORIG_ERR"
}

# as_run CMD...: run CMD as the run user, environment kept (HOME → $VAR).
as_run() {
	if [ "$IS_ROOT" -eq 1 ]; then
		nolock setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --init-groups -- env HOME="$VAR" "$@"
	else
		nolock "$@"
	fi
}

ensure_user() {
	if [ "$IS_ROOT" -eq 1 ] && ! id -u "$SYSTEM_USER" >/dev/null 2>&1; then
		log "creating system user $SYSTEM_USER"
		# Two stacks starting at once may race here; the loser just finds the user.
		useradd --system --user-group --home-dir /nonexistent --no-create-home \
			--shell /usr/sbin/nologin --comment "ticketd services" "$SYSTEM_USER" 2>/dev/null ||
			id -u "$SYSTEM_USER" >/dev/null 2>&1 || die "could not create user $SYSTEM_USER"
	fi
	if id -u "$RUN_USER" >/dev/null 2>&1; then
		RUN_GROUP=$(id -gn "$RUN_USER")
	else
		RUN_GROUP=$RUN_USER # stop/status before the first start as root
	fi
}

# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------

# pid_alive PID [NAME]: PID is a live process (not a zombie) and, if NAME is
# given, the base name of its argv[0] — or of argv[1], for a script run by an
# interpreter — starts with NAME (process titles like "nginx: master process"
# count). Guards against signalling a stranger that inherited the number of a
# stale pid file.
pid_alive() {
	local pid=$1 name=${2:-} arg
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	local argv=()
	mapfile -t -d '' argv <"/proc/$pid/cmdline" 2>/dev/null || return 1
	# an empty command line: a zombie or a kernel thread
	if [ "${#argv[@]}" -eq 0 ] || [ -z "${argv[0]}" ]; then return 1; fi
	[ -z "$name" ] && return 0
	for arg in "${argv[@]:0:2}"; do
		arg=${arg%% *} # titles: "nginx: master process …", "redis-server unixsocket:…"
		arg=${arg%:}
		[[ ${arg##*/} == "$name"* ]] && return 0
	done
	return 1
}

# pidfile_pids FILE: the pids in FILE (spawn-fcgi writes one per line, the
# last without a newline), nothing if FILE is missing.
pidfile_pids() {
	[ -f "$1" ] || return 0
	grep -o '[0-9]\+' -- "$1" || true
}

# kill_procs TIMEOUT_TENTHS NAME:PID...: TERM the live ones all at once, wait
# up to TIMEOUT_TENTHS tenths of a second for them together, then KILL.
kill_procs() {
	local tenths=$1 entry i any
	shift
	local live=()
	for entry in "$@"; do
		if pid_alive "${entry#*:}" "${entry%%:*}"; then
			kill -TERM "${entry#*:}" 2>/dev/null || true
			live+=("$entry")
		fi
	done
	[ "${#live[@]}" -eq 0 ] && return 0
	for ((i = 0; i < tenths; i++)); do
		any=0
		for entry in "${live[@]}"; do
			if pid_alive "${entry#*:}" "${entry%%:*}"; then
				any=1
				break
			fi
		done
		[ "$any" -eq 0 ] && return 0
		sleep 0.1
	done
	local killed=()
	for entry in "${live[@]}"; do
		if pid_alive "${entry#*:}" "${entry%%:*}"; then
			kill -KILL "${entry#*:}" 2>/dev/null || true
			killed+=("$entry")
		fi
	done
	if [ "${#killed[@]}" -gt 0 ]; then
		warn "still running $((tenths / 10)) s after SIGTERM, killed: ${killed[*]}"
	fi
}

# kill_pids NAME TIMEOUT_TENTHS PID...: kill_procs for processes of one name.
kill_pids() {
	local name=$1 tenths=$2 pid
	shift 2
	local entries=()
	for pid in "$@"; do entries+=("$name:$pid"); done
	[ "${#entries[@]}" -eq 0 ] && return 0
	kill_procs "$tenths" "${entries[@]}"
}

# tail_log FILE: the last lines of a log, for error messages.
tail_log() {
	if [ -s "$1" ]; then
		printf -- '---- %s (last lines) ----\n' "$1" >&2
		tail -n 15 -- "$1" >&2
	fi
}

# ---------------------------------------------------------------------------
# state directory, secret, env file
# ---------------------------------------------------------------------------

prepare_dirs() {
	# A state dir made by another user (or by a non-root run before a root one)
	# is handed to the run user whole — but only an empty one or one this
	# script made (.ticketd-stack), never, say, TICKET_VAR=/tmp by mistake.
	if [ "$IS_ROOT" -eq 1 ] && [ "$(stat -c %U -- "$VAR")" != "$RUN_USER" ]; then
		if [ ! -e "$VAR/.ticketd-stack" ] &&
			[ -n "$(find "$VAR" -mindepth 1 -maxdepth 1 ! -name .stack.lock -print -quit)" ]; then
			die "TICKET_VAR=$VAR is not empty and not a stack directory; refusing to chown it to $RUN_USER"
		fi
		chown -R "$RUN_USER:$RUN_GROUP" -- "$VAR"
	fi
	[ -e "$VAR/.ticketd-stack" ] || : >"$VAR/.ticketd-stack"
	local d
	for d in "$RUN" "$LOGD" "$NGX" "$VAR/redis"; do
		[ -d "$d" ] || as_run mkdir -p -- "$d"
	done
	chmod 0750 -- "$RUN"

	as_run test -w "$VAR" -a -x "$RUN" ||
		die "$RUN_USER cannot write $VAR (a parent directory closed to it?); pick another TICKET_VAR"
}

ensure_secret() {
	local f=$VAR/secret
	if [ ! -s "$f" ]; then
		(
			umask 077
			head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f.tmp"
		)
		mv -f -- "$f.tmp" "$f"
		log "made a new JWT secret in $f"
	fi
	chmod 0600 -- "$f"
	[ "$IS_ROOT" -eq 1 ] && chown "$RUN_USER:$RUN_GROUP" -- "$f"
	JWT_SECRET=$(cat -- "$f")
}

# kv NAME VALUE: one shell-sourceable line, the value single-quoted.
kv() {
	local q="'\\''"
	printf "%s='%s'\n" "$1" "${2//\'/$q}"
}

write_env() {
	local tmp=$ENVFILE.tmp.$$
	{
		echo "# Written by tools/stack.sh start; do not edit (put overrides in env.local)."
		kv TICKET_VAR "$VAR"
		kv TICKET_PORT "$PORT"
		kv TICKET_BASE_URL "$BASE_URL"
		kv TICKET_ROOT "$APP_ROOT"
		kv TICKET_BUILD "$BUILD"
		kv TICKET_RUN_DIR "$RUN"
		kv TICKET_LOG_DIR "$LOGD"
		kv TICKET_PUBLIC_DIR "$APP_ROOT/public"
		kv TICKET_PG "host=$RUN dbname=ticketd user=ticketd"
		kv TICKET_REDIS "$RUN/redis.sock"
		kv TICKET_JWT_SECRET "$JWT_SECRET"
		kv TICKET_DEV 1
		kv TICKET_TOSS_URL "$BASE_URL/_fake/toss"
		kv TICKET_TOSS_CLIENT_KEY test_ck_ticketd_dev
		kv TICKET_TOSS_SECRET_KEY test_sk_ticketd_dev
		kv TICKET_KAKAO_URL "$BASE_URL/_fake/kakao"
		kv TICKET_KAKAO_APPKEY devappkey
		kv TICKET_KAKAO_SECRET devsecret
		# The shape this start gave the stack (defaults or knobs), for reports.
		kv TICKET_SHAPE_PUBLIC_SOCKETS "$(pool_socket_count public)"
		kv TICKET_SHAPE_PUBLIC_WORKERS "$(pool_workers public)"
		kv TICKET_SHAPE_FCGI_BACKLOG "$FCGI_BACKLOG"
		kv TICKET_SHAPE_NGINX_WORKERS "$NGINX_WORKERS"
		kv TICKET_SHAPE_NGINX_PRIORITY "$NGINX_PRIORITY"
		kv TICKET_SHAPE_OTHER_WORKERS "$(pool_workers payment)"
		if [ -f "$VAR/env.local" ]; then
			echo "# from env.local"
			cat -- "$VAR/env.local"
		fi
	} >"$tmp"
	chmod 0640 -- "$tmp"
	[ "$IS_ROOT" -eq 1 ] && chown "$RUN_USER:$RUN_GROUP" -- "$tmp"
	mv -f -- "$tmp" "$ENVFILE"
}

# Everything started from here on (ticketctl, the workers) sees the env file.
export_env() {
	set -a
	# shellcheck disable=SC1090
	. "$ENVFILE"
	set +a
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

pg_bindir() {
	local d
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
	if [ -z "$d" ] || [ ! -x "$d/pg_ctl" ]; then
		die "PostgreSQL server not found under /usr/lib/postgresql (run tools/deps.sh)"
	fi
	echo "$d"
}

pg_pid() {
	if [ -f "$PGDATA/postmaster.pid" ]; then head -n1 -- "$PGDATA/postmaster.pid"; fi
}

pg_running() {
	local pid
	pid=$(pg_pid)
	[ -n "$pid" ] && pid_alive "$pid" postgres
}

start_postgres() {
	local bin
	bin=$(pg_bindir)
	if [ ! -f "$PGDATA/PG_VERSION" ]; then
		log "initdb $PGDATA"
		[ -d "$PGDATA" ] || as_run mkdir -p -- "$PGDATA"
		chmod 0700 -- "$PGDATA"
		if ! as_run "$bin/initdb" -D "$PGDATA" -U ticketd -A trust -E UTF8 \
			--locale=C.UTF-8 >>"$LOGD/initdb.log" 2>&1; then
			warn "initdb with C.UTF-8 failed; retrying with --locale=C"
			find "$PGDATA" -mindepth 1 -delete
			as_run "$bin/initdb" -D "$PGDATA" -U ticketd -A trust -E UTF8 \
				--locale=C >>"$LOGD/initdb.log" 2>&1 || {
				tail_log "$LOGD/initdb.log"
				die "initdb failed"
			}
		fi
		echo "include_if_exists = 'ticketd-stack.conf'" | as_run tee -a "$PGDATA/postgresql.conf" >/dev/null
	fi
	# Rewritten at every start: the state dir may have moved.
	as_run tee "$PGDATA/ticketd-stack.conf" >/dev/null <<-EOF
		# Written by tools/stack.sh at every start.
		listen_addresses = ''
		unix_socket_directories = '$RUN'
		unix_socket_permissions = 0770
		max_connections = ${TICKET_PG_MAX_CONNECTIONS:-200}
	EOF

	if pg_running; then
		log "postgres already running (pid $(pg_pid))"
	else
		# A postmaster that died hard stays a zombie until init reaps it, and
		# PostgreSQL takes the pid in postmaster.pid for a live server till then.
		local old i
		old=$(pg_pid)
		for ((i = 0; i < 50; i++)); do
			if [ -z "$old" ] || [ ! -e "/proc/$old" ]; then break; fi
			sleep 0.1
		done
		log "starting postgres"
		as_run "$bin/pg_ctl" -D "$PGDATA" -l "$LOGD/postgres.log" -w -t 60 start >/dev/null || {
			tail_log "$LOGD/postgres.log"
			die "postgres did not start"
		}
	fi

	local have
	have=$(as_run psql -h "$RUN" -U ticketd -d postgres -XtAq \
		-c "select 1 from pg_database where datname = 'ticketd'") || {
		tail_log "$LOGD/postgres.log"
		die "cannot connect to postgres at $RUN"
	}
	if [ "$have" != 1 ]; then
		log "creating database ticketd"
		as_run psql -h "$RUN" -U ticketd -d postgres -Xq -c 'create database ticketd' >/dev/null
	fi
}

stop_postgres() {
	pg_running || return 0
	log "stopping postgres"
	local bin
	bin=$(pg_bindir)
	as_run "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		as_run "$bin/pg_ctl" -D "$PGDATA" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
		warn "postgres did not stop; see $LOGD/postgres.log"
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

redis_pid() { pidfile_pids "$RUN/redis.pid" | awk '{print $1}'; }

redis_running() {
	local pid
	pid=$(redis_pid)
	[ -n "$pid" ] && pid_alive "$pid" redis-server
}

start_redis() {
	if redis_running; then
		log "redis already running (pid $(redis_pid))"
		return 0
	fi
	log "starting redis"
	rm -f -- "$RUN/redis.pid"
	as_run tee "$VAR/redis/redis.conf" >/dev/null <<-EOF
		# Written by tools/stack.sh at every start.
		port 0
		unixsocket $RUN/redis.sock
		unixsocketperm 770
		dir $VAR/redis
		appendonly yes
		daemonize yes
		pidfile $RUN/redis.pid
		logfile $LOGD/redis.log
		maxclients 10000
	EOF
	as_run redis-server "$VAR/redis/redis.conf" || {
		tail_log "$LOGD/redis.log"
		die "redis did not start"
	}
	local i
	for ((i = 0; i < 300; i++)); do
		if [ "$(redis-cli -s "$RUN/redis.sock" ping 2>/dev/null)" = PONG ]; then
			return 0
		fi
		sleep 0.1
	done
	tail_log "$LOGD/redis.log"
	die "redis did not answer PING on $RUN/redis.sock within 30 s"
}

stop_redis() {
	local pid
	pid=$(redis_pid)
	[ -n "$pid" ] || return 0
	if pid_alive "$pid" redis-server; then
		log "stopping redis"
		# SIGTERM = SHUTDOWN: flushes the AOF, removes the socket and pid file.
		kill_pids redis-server 150 "$pid"
	fi
	rm -f -- "$RUN/redis.pid"
}

# ---------------------------------------------------------------------------
# ticketctl
# ---------------------------------------------------------------------------

run_ticketctl() {
	local ctl=$APP_BUILD/ticketctl
	if [ ! -x "$ctl" ]; then
		warn "$ctl missing: skipping migrate and seed-demo"
		return 0
	fi
	local sub
	for sub in migrate seed-demo; do
		log "ticketctl $sub"
		printf '\n==== %s ticketctl %s\n' "$(date -Is)" "$sub" >>"$LOGD/ticketctl.log"
		(cd -- "$APP_ROOT" && as_run "$ctl" "$sub") >>"$LOGD/ticketctl.log" 2>&1 || {
			tail_log "$LOGD/ticketctl.log"
			die "ticketctl $sub failed"
		}
	done
}

daemon_running() {
	local pid
	pid=$(pidfile_pids "$RUN/worker.pid" | awk '{print $1}')
	[ -n "$pid" ] && pid_alive "$pid" ticketctl
}

start_daemon() {
	[ "${TICKET_WORKER_DAEMON:-0}" = 1 ] || return 0
	if [ ! -x "$APP_BUILD/ticketctl" ]; then
		warn "TICKET_WORKER_DAEMON=1 but $APP_BUILD/ticketctl is missing"
		return 0
	fi
	if daemon_running; then
		log "ticketctl worker already running"
		return 0
	fi
	log "starting ticketctl worker"
	# setsid: a Ctrl-C meant for `stack.sh run` must reach only the script,
	# which then stops everything in order.
	(cd -- "$APP_ROOT" && nolock setpriv_or_exec setsid "$APP_BUILD/ticketctl" worker) \
		</dev/null >>"$LOGD/worker.log" 2>&1 &
	echo $! >"$RUN/worker.pid"
}

stop_daemon() {
	local pids
	pids=$(pidfile_pids "$RUN/worker.pid")
	[ -n "$pids" ] || return 0
	log "stopping ticketctl worker"
	# shellcheck disable=SC2086
	kill_pids ticketctl 100 $pids
	rm -f -- "$RUN/worker.pid"
}

# setpriv_or_exec CMD...: exec CMD as the run user (used in subshells).
setpriv_or_exec() {
	if [ "$IS_ROOT" -eq 1 ]; then
		exec setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --init-groups -- env HOME="$VAR" "$@"
	fi
	exec "$@"
}

# ---------------------------------------------------------------------------
# FastCGI pools
# ---------------------------------------------------------------------------

is_fake() { [[ $1 == fake_* ]]; }

# upper NAME: the env-variable form of a family name (super_admin → SUPER_ADMIN).
upper() { printf '%s' "${1^^}"; }

positive_int() {
	if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then die "$1=$2: want a positive integer"; fi
}

pool_workers() {
	local var n
	var=TICKET_WORKERS_$(upper "$1")
	if is_fake "$1"; then
		n=${!var:-1}
		# fake_kakao keeps its state in files only: a second worker answers
		# _inbox while the first sleeps through a delayed send (_fail delayMs).
		[ "$1" = fake_kakao ] && n=${!var:-2}
	else
		local def=3
		[ "$1" = public ] && def=$DEF_PUBLIC_WORKERS
		n=${!var:-${TICKET_WORKERS:-$def}}
	fi
	positive_int "$var" "$n"
	echo "$n"
}

pool_socket_count() {
	local var n
	var=TICKET_SOCKETS_$(upper "$1")
	local def=1
	[ "$1" = public ] && def=$DEF_PUBLIC_SOCKETS
	n=${!var:-$def}
	positive_int "$var" "$n"
	[ "$n" -le 64 ] || die "$var=$n: at most 64"
	echo "$n"
}

# pool_instances FAMILY: the instance names, one per socket (public, or public-0 …).
pool_instances() {
	local n i
	n=$(pool_socket_count "$1")
	if [ "$n" -eq 1 ]; then
		echo "$1"
	else
		for ((i = 0; i < n; i++)); do echo "$1-$i"; done
	fi
}

# pool_pidfiles FAMILY: every pid file of FAMILY present in run/, whatever
# TICKET_SOCKETS_* says now (it may differ from when the pool was started).
pool_pidfiles() {
	local f
	for f in "$RUN/$1.pid" "$RUN/$1"-[0-9]*.pid; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

# instance_alive FAMILY PIDFILE: every pid in PIDFILE is alive (none → false).
instance_alive() {
	local pid any=0
	for pid in $(pidfile_pids "$2"); do
		pid_alive "$pid" "$1" || return 1
		any=1
	done
	[ "$any" -eq 1 ]
}

start_pool_instance() {
	local fam=$1 inst=$2 workers=$3 bin=$4
	local sock=$RUN/$inst.sock pidf=$RUN/$inst.pid logf=$LOGD/$fam.log
	if instance_alive "$fam" "$pidf"; then
		if [ ! "$bin" -nt "$pidf" ]; then
			return 0
		fi
		log "$bin is newer than pool $inst: restarting it"
	fi
	# A half-dead instance (a worker crashed) is restarted whole.
	# shellcheck disable=SC2046
	kill_pids "$fam" 50 $(pidfile_pids "$pidf")
	rm -f -- "$pidf" "$sock"

	local args=(-s "$sock" -M 0660 -F "$workers" -P "$pidf" -b "$FCGI_BACKLOG" -d "$APP_ROOT")
	if [ "$IS_ROOT" -eq 1 ]; then
		args+=(-u "$RUN_USER" -g "$RUN_GROUP" -U "$RUN_USER" -G "$RUN_GROUP")
	fi
	# spawn-fcgi points a forked child's stdout and stderr at /dev/null; the
	# workers log JSON lines to stderr, so a shell re-opens stderr on the family
	# log (O_APPEND: lines of concurrent workers do not overwrite each other)
	# and then becomes the worker (exec: same pid, argv[0] = the binary).
	# The environment (the env file's variables) passes through unchanged.
	# shellcheck disable=SC2016
	nolock spawn-fcgi "${args[@]}" -- /bin/sh -c 'log=$1; shift; exec "$@" 2>>"$log"' \
		ticketd-pool "$logf" "$bin" >>"$LOGD/spawn-fcgi.log" 2>&1 || {
		tail_log "$LOGD/spawn-fcgi.log"
		tail_log "$logf"
		die "spawn-fcgi failed for $inst ($bin)"
	}
	POOLS_STARTED=$((POOLS_STARTED + 1))
}

# stop_stale_instances FAMILY: stop instances TICKET_SOCKETS_<FAMILY> no
# longer names (public.sock after a switch to public-0 … -3, or the reverse).
stop_stale_instances() {
	local fam=$1 f name keep
	keep=" $(pool_instances "$fam" | tr '\n' ' ') "
	for f in $(pool_pidfiles "$fam"); do
		name=$(basename -- "${f%.pid}")
		[[ $keep == *" $name "* ]] && continue
		log "stopping pool $name (not in TICKET_SOCKETS_$(upper "$fam") any more)"
		# shellcheck disable=SC2046
		kill_pids "$fam" 50 $(pidfile_pids "$f")
		rm -f -- "$f" "${f%.pid}.sock"
	done
}

start_pools() {
	local fam bin workers inst skipped=()
	POOLS_STARTED=0
	for fam in "${POOLS[@]}"; do
		bin=$APP_BUILD/$fam
		if [ ! -x "$bin" ]; then
			if is_fake "$fam"; then
				skipped+=("$fam")
			else
				warn "$bin missing: pool $fam not started (its routes answer 503)"
			fi
			continue
		fi
		as_run test -x "$bin" || die "$RUN_USER cannot execute $bin"
		workers=$(pool_workers "$fam")
		stop_stale_instances "$fam"
		for inst in $(pool_instances "$fam"); do
			start_pool_instance "$fam" "$inst" "$workers" "$bin"
		done
	done
	if [ "${#skipped[@]}" -gt 0 ]; then
		log "optional pools without a binary: ${skipped[*]}"
	fi
	if [ "$POOLS_STARTED" -gt 0 ]; then
		log "started $POOLS_STARTED pool socket(s)"
	fi
}

stop_pools() {
	# Every pool at once: a worker that ignores SIGTERM costs the grace
	# period once, not once per pool.
	local fam f pid names=() entries=()
	for fam in "${POOLS[@]}"; do
		for f in $(pool_pidfiles "$fam"); do
			names+=("$(basename -- "${f%.pid}")")
			for pid in $(pidfile_pids "$f"); do entries+=("$fam:$pid"); done
		done
	done
	[ "${#names[@]}" -eq 0 ] && return 0
	log "stopping pools: ${names[*]}"
	if [ "${#entries[@]}" -gt 0 ]; then
		kill_procs 50 "${entries[@]}"
	fi
	for fam in "${POOLS[@]}"; do
		for f in $(pool_pidfiles "$fam"); do
			rm -f -- "$f" "${f%.pid}.sock"
		done
	done
}

# ---------------------------------------------------------------------------
# nginx
# ---------------------------------------------------------------------------

# The upstream blocks: every pool gets one (even without a binary, so the
# config stays valid and its routes answer 503), one server line per socket.
render_upstreams() {
	local fam inst keepalive=${TICKET_FCGI_KEEPALIVE:-0}
	for fam in "${POOLS[@]}"; do
		printf '    upstream ticketd_%s {\n' "$fam"
		# Join the shortest queue: each socket's backlog is its own FIFO, and
		# round robin keeps feeding a socket whose workers fall behind until
		# its backlog is full (its requests then wait seconds). least_conn
		# over counts shared by every nginx worker (zone) keeps the queues
		# level. One socket: the same, harmlessly.
		printf '        zone ticketd_%s 64k;\n        least_conn;\n' "$fam"
		for inst in $(pool_instances "$fam"); do
			# max_fails=0: a socket whose backlog is momentarily full (connect
			# → EAGAIN) is passed over for that request only, never marked
			# down for fail_timeout, which would pile its share onto the others.
			printf '        server unix:%s/%s.sock max_fails=0;\n' "$RUN" "$inst"
		done
		if [ "$keepalive" -gt 0 ]; then
			printf '        keepalive %s;\n' "$keepalive"
		fi
		printf '    }\n'
	done
}

render_nginx_conf() {
	local tpl=$ROOT/nginx/dev.conf.in out=$NGX/nginx.conf conf user_directive
	[ -f "$tpl" ] || die "$tpl missing"
	conf=$(<"$tpl")
	if [ "$IS_ROOT" -eq 1 ]; then
		user_directive="user $RUN_USER $RUN_GROUP;"
	else
		user_directive="# not started as root: workers run as $(id -un)"
	fi
	# Quoted replacements: bash 5.2 would otherwise expand & in them.
	local keep_conn=off nofile
	[ "${TICKET_FCGI_KEEPALIVE:-0}" -gt 0 ] && keep_conn=on
	# worker_rlimit_nofile above the hard limit only earns an alert per worker.
	nofile=$(ulimit -Hn)
	if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
	# A client connection and, while its request waits for a worker, an
	# upstream one: 10 000 clients take up to 20 000 of one nginx worker.
	# 32 768 where the file limit allows; else as many as the limit (each
	# connection is a descriptor, and nginx warns at start about more).
	# Production raises the limit (LimitNOFILE=65536 in the unit).
	local conns=32768
	[ "$nofile" -ge "$conns" ] || conns=$nofile
	conf=${conf//@USER_DIRECTIVE@/"$user_directive"}
	conf=${conf//@FCGI_KEEP_CONN@/"$keep_conn"}
	conf=${conf//@NOFILE@/"$nofile"}
	conf=${conf//@NGINX_CONNECTIONS@/"$conns"}
	conf=${conf//@NGINX_WORKERS@/"$NGINX_WORKERS"}
	conf=${conf//@NGINX_PRIORITY@/"$NGINX_PRIORITY"}
	conf=${conf//@UPSTREAMS@/"$(render_upstreams)"}
	conf=${conf//@PORT@/"$PORT"}
	conf=${conf//@VAR@/"$VAR"}
	conf=${conf//@ROOT@/"$APP_ROOT"}
	conf=${conf//@VENDOR@/"$APP_BUILD/vendor"}
	if [[ $conf =~ @[A-Z_]+@ ]]; then
		die "$tpl: unknown placeholder ${BASH_REMATCH[0]}"
	fi
	printf '%s\n' "$conf" >"$out.tmp.$$"
	mv -f -- "$out.tmp.$$" "$out"
}

nginx_args() { printf '%s\n' -p "$NGX/" -c "$NGX/nginx.conf" -e "$LOGD/nginx-error.log"; }

nginx_pid() { pidfile_pids "$RUN/nginx.pid" | awk '{print $1}'; }

nginx_running() {
	local pid
	pid=$(nginx_pid)
	[ -n "$pid" ] && pid_alive "$pid" nginx
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start_nginx() {
	local d args
	mapfile -t args < <(nginx_args)
	for d in client_body_temp fastcgi_temp proxy_temp uwsgi_temp scgi_temp; do
		[ -d "$NGX/$d" ] || as_run mkdir -p -- "$NGX/$d"
	done
	render_nginx_conf
	nolock nginx -t -q "${args[@]}" 2>>"$LOGD/nginx-error.log" || {
		tail_log "$LOGD/nginx-error.log"
		die "nginx rejected $NGX/nginx.conf"
	}
	if nginx_running; then
		# Pick up a changed config (e.g. TICKET_SOCKETS_*) without a restart.
		nolock nginx "${args[@]}" -s reload
		log "nginx already running (pid $(nginx_pid)); config reloaded"
		return 0
	fi
	port_busy && die "127.0.0.1:$PORT is already in use (another stack? set TICKET_PORT)"
	log "starting nginx on $BASE_URL"
	rm -f -- "$RUN/nginx.pid"
	nolock nginx "${args[@]}" || {
		tail_log "$LOGD/nginx-error.log"
		die "nginx did not start"
	}
}

stop_nginx() {
	local pid
	pid=$(nginx_pid)
	[ -n "$pid" ] || return 0
	if pid_alive "$pid" nginx; then
		log "stopping nginx"
		# SIGTERM = fast shutdown; the master exits after its workers.
		kill_pids nginx 100 "$pid"
	fi
	rm -f -- "$RUN/nginx.pid"
}

# ---------------------------------------------------------------------------
# health
# ---------------------------------------------------------------------------

# family_prefix FAMILY: its URL prefix (super_admin → /fcgi/super-admin/).
family_prefix() { printf '/fcgi/%s/' "${1//_/-}"; }

wait_healthy() {
	local timeout=${TICKET_START_TIMEOUT:-60} fam pending last_code url
	local deadline=$((SECONDS + timeout))
	local check=()
	for fam in "${FAMILIES[@]}"; do
		[ -x "$BUILD/$fam" ] && check+=("$fam")
	done
	while :; do
		pending=()
		if [ "${#check[@]}" -eq 0 ]; then
			# No worker binaries yet: nginx answering anything is enough.
			last_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/" 2>/dev/null || true)
			[ "${last_code:-000}" != 000 ] || pending+=(nginx)
		else
			for fam in "${check[@]}"; do
				url=$BASE_URL$(family_prefix "$fam")health
				curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null || pending+=("$fam")
			done
		fi
		[ "${#pending[@]}" -eq 0 ] && return 0
		nginx_running || {
			tail_log "$LOGD/nginx-error.log"
			die "nginx exited during start"
		}
		if [ "$SECONDS" -ge "$deadline" ]; then
			printf 'stack: error: not healthy after %s s: %s\n' "$timeout" "${pending[*]}" >&2
			for fam in "${pending[@]}"; do
				if [ "$fam" = nginx ]; then
					tail_log "$LOGD/nginx-error.log"
				else
					url=$BASE_URL$(family_prefix "$fam")health
					printf -- '---- GET %s ----\n' "$url" >&2
					curl -sS --max-time 2 -i "$url" 2>&1 | head -n 20 >&2 || true
					echo >&2
					tail_log "$LOGD/$fam.log"
				fi
			done
			tail_log "$LOGD/nginx-error.log"
			pg_running || tail_log "$LOGD/postgres.log"
			redis_running || tail_log "$LOGD/redis.log"
			return 1
		fi
		sleep 0.25
	done
}

# ---------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------

# One start or stop at a time per state dir. start waits for a running start
# or stop; stop waits a while, then goes ahead anyway (stopping must not be
# blocked by, say, a daemon of an older stack.sh that inherited the lock).
lock_stack() {
	local wait=${1:-300}
	exec {LOCK_FD}>>"$VAR/.stack.lock"
	flock -n "$LOCK_FD" && return 0
	log "waiting for another tools/stack.sh on $VAR (up to $wait s)"
	if ! flock -w "$wait" "$LOCK_FD"; then
		if [ "${2:-}" = force ]; then
			warn "$VAR/.stack.lock still held after $wait s; going ahead"
			return 0
		fi
		die "another tools/stack.sh holds $VAR/.stack.lock"
	fi
}

unlock_stack() {
	if [ -n "$LOCK_FD" ]; then
		exec {LOCK_FD}>&-
		LOCK_FD=
	fi
}

all_running() {
	pg_running && redis_running && nginx_running || return 1
	local fam f
	for fam in "${POOLS[@]}"; do
		[ -x "$BUILD/$fam" ] || continue
		for f in $(pool_pidfiles "$fam"); do
			instance_alive "$fam" "$f" || return 1
		done
		[ -n "$(pool_pidfiles "$fam")" ] || return 1
	done
	return 0
}

STARTING=0

on_start_exit() {
	local rc=$?
	restore_output
	if [ "$STARTING" -eq 1 ] && [ "$rc" -ne 0 ]; then
		if [ "${TICKET_KEEP_ON_FAIL:-0}" = 1 ]; then
			warn "start failed; leaving what runs (TICKET_KEEP_ON_FAIL=1). tools/stack.sh stop cleans up"
		else
			warn "start failed; stopping what was started"
			do_stop
		fi
	fi
	exit "$rc"
}

do_start() {
	ensure_user
	place_state
	lock_stack
	STARTING=1
	local was_running=0
	all_running && was_running=1

	if ! nginx_running && port_busy; then
		die "127.0.0.1:$PORT is already in use (another stack? set TICKET_PORT)"
	fi
	prepare_dirs
	stage_app
	ensure_secret
	write_env
	export_env
	start_postgres
	start_redis
	run_ticketctl
	start_pools
	start_daemon
	start_nginx
	wait_healthy || exit 1
	STARTING=0
	unlock_stack
	if [ "$was_running" -eq 1 ] && [ "$POOLS_STARTED" -eq 0 ]; then
		log "already running at $BASE_URL (state $VAR)"
	else
		log "ready at $BASE_URL (state $VAR, user $RUN_USER)"
	fi
}

do_stop() {
	STARTING=0
	if [ ! -d "$VAR" ]; then
		log "nothing to stop ($USER_VAR does not exist)"
		return 0
	fi
	[ -n "${RUN_GROUP:-}" ] || ensure_user
	[ -n "$LOCK_FD" ] || lock_stack 20 force
	stop_nginx
	stop_pools
	stop_daemon
	stop_redis
	stop_postgres
	unlock_stack
	log "stopped (data kept in $VAR)"
}

cmd_start() {
	trap on_start_exit EXIT
	do_start
	trap - EXIT
}

cmd_stop() {
	ensure_user
	do_stop
}

print_banner() {
	cat >&2 <<-EOF

		ticketd dev stack — $BASE_URL  (state $USER_VAR$([ "$USER_VAR" = "$VAR" ] || printf ' → %s' "$VAR"), processes as $RUN_USER)
		  booking       $BASE_URL/<event code>/
		  admin         $BASE_URL/admin/
		  super admin   $BASE_URL/super-admin/
		  scanner       $BASE_URL/scanner/
		  API           $BASE_URL/fcgi/{public,payment,admin,super-admin,entrance}/
		  metrics       $BASE_URL/metrics
		  fake Toss     $BASE_URL/_fake/toss/
		  fake Kakao    $BASE_URL/_fake/kakao/_inbox?recipientNo=01012345678
		  environment   . $USER_VAR/env
		  logs          $USER_VAR/log/
	EOF
	if [ -s "$VAR/demo-logins.txt" ]; then
		printf '\n  demo logins (%s):\n' "$VAR/demo-logins.txt" >&2
		sed 's/^/    /' "$VAR/demo-logins.txt" >&2
	else
		printf '\n  no demo logins yet (build/ticketctl seed-demo writes %s)\n' "$VAR/demo-logins.txt" >&2
	fi
	printf '\n  Ctrl-C stops everything.\n\n' >&2
}

# dead_core: names the first core process that is gone, or fails if all live.
dead_core() {
	pg_running || {
		echo postgres
		return 0
	}
	redis_running || {
		echo redis
		return 0
	}
	nginx_running || {
		echo nginx
		return 0
	}
	if [ "${TICKET_WORKER_DAEMON:-0}" = 1 ] && [ -f "$RUN/worker.pid" ] && ! daemon_running; then
		echo "ticketctl worker"
		return 0
	fi
	local fam f pid any
	for fam in "${POOLS[@]}"; do
		for f in $(pool_pidfiles "$fam"); do
			# A pool is dead when none of its workers is left (spawn-fcgi
			# does not respawn; one lost worker only shrinks the pool).
			any=0
			for pid in $(pidfile_pids "$f"); do
				pid_alive "$pid" "$fam" && any=1 && break
			done
			if [ "$any" -eq 0 ]; then
				echo "pool $(basename -- "${f%.pid}")"
				return 0
			fi
		done
	done
	return 1
}

RUN_SLEEPER=
RUN_STOPPING=0

# shellcheck disable=SC2317  # invoked by trap
on_run_signal() {
	[ "$RUN_STOPPING" -eq 1 ] && return 0
	RUN_STOPPING=1
	trap - EXIT
	restore_output
	if [ -n "$RUN_SLEEPER" ]; then kill "$RUN_SLEEPER" 2>/dev/null || true; fi
	echo >&2
	log "signal received; stopping"
	do_stop
	exit 0
}

cmd_run() {
	# From the first moment: a Ctrl-C during start stops what is up so far.
	trap on_run_signal INT TERM HUP
	trap on_start_exit EXIT
	do_start
	trap - EXIT
	print_banner
	local dead
	while :; do
		# `wait` on a background sleep returns as soon as a signal arrives
		# (a foreground sleep would delay the trap until it ends).
		sleep 1 &
		RUN_SLEEPER=$!
		wait "$RUN_SLEEPER" || true
		RUN_SLEEPER=
		if dead=$(dead_core); then
			trap - INT TERM HUP
			printf 'stack: error: %s died; stopping everything\n' "$dead" >&2
			case $dead in
			postgres) tail_log "$LOGD/postgres.log" ;;
			redis) tail_log "$LOGD/redis.log" ;;
			nginx) tail_log "$LOGD/nginx-error.log" ;;
			pool*)
				dead=${dead#pool }
				tail_log "$LOGD/${dead%-[0-9]*}.log"
				;;
			*) tail_log "$LOGD/worker.log" ;;
			esac
			do_stop
			exit 1
		fi
	done
}

# Globals, not locals of cmd_test: the EXIT trap can fire after cmd_test's
# frame is gone (a die in a subshell-free helper ends the script from there),
# and under set -u a local would then be unbound.
TEST_CMD_PID=
TEST_STOPPED=0

cmd_test() {
	[ "$#" -gt 0 ] || die "usage: tools/stack.sh test CMD [ARG...]"
	# shellcheck disable=SC2317
	cleanup() {
		[ "$TEST_STOPPED" -eq 1 ] && return 0
		TEST_STOPPED=1
		do_stop
	}
	# shellcheck disable=SC2317
	on_test_signal() {
		local sig=$1
		trap - INT TERM HUP
		restore_output
		log "SIG$sig received; stopping"
		if [ -n "$TEST_CMD_PID" ]; then
			# CMD and its direct children (make → test runner): a background
			# job ignores SIGINT, so everything gets SIGTERM.
			pkill -TERM -P "$TEST_CMD_PID" 2>/dev/null || true
			kill -TERM "$TEST_CMD_PID" 2>/dev/null || true
			wait "$TEST_CMD_PID" 2>/dev/null || true
		fi
		cleanup
		trap - EXIT
		case $sig in
		INT) exit 130 ;;
		HUP) exit 129 ;;
		*) exit 143 ;;
		esac
	}
	trap 'rc=$?; restore_output; cleanup; exit $rc' EXIT
	trap 'on_test_signal INT' INT
	trap 'on_test_signal TERM' TERM
	trap 'on_test_signal HUP' HUP

	STARTING=1
	do_start
	export_env

	# In the background so a signal to this script is handled at once (bash
	# defers traps until a foreground child exits); stdin passed explicitly
	# because background jobs otherwise read /dev/null.
	local rc
	"$@" <&0 &
	TEST_CMD_PID=$!
	set +e
	wait "$TEST_CMD_PID"
	rc=$?
	set -e
	TEST_CMD_PID=
	cleanup
	trap - EXIT
	exit "$rc"
}

cmd_status() {
	ensure_user
	local up=1 fam f pid pids alive state
	if [ -f "$ENVFILE" ]; then
		# the port it was started with, not the one in this shell
		BASE_URL=$(sed -n "s/^TICKET_BASE_URL='\(.*\)'$/\1/p" "$ENVFILE" | tail -n1)
	fi
	printf 'state     %s (run user %s)\n' "$VAR" "$RUN_USER"
	if pg_running; then printf 'postgres  running  pid %s  socket %s/.s.PGSQL.5432\n' "$(pg_pid)" "$RUN"; else
		printf 'postgres  stopped\n'
		up=0
	fi
	if redis_running; then printf 'redis     running  pid %s  socket %s/redis.sock\n' "$(redis_pid)" "$RUN"; else
		printf 'redis     stopped\n'
		up=0
	fi
	if nginx_running; then printf 'nginx     running  pid %s  %s\n' "$(nginx_pid)" "$BASE_URL"; else
		printf 'nginx     stopped\n'
		up=0
	fi
	for fam in "${POOLS[@]}"; do
		pids=$(for f in $(pool_pidfiles "$fam"); do pidfile_pids "$f"; done)
		if [ -z "${pids// /}" ]; then
			if [ -x "$BUILD/$fam" ]; then state="stopped"; else state="no binary"; fi
			printf '%-12s %s\n' "$fam" "$state"
			continue
		fi
		alive=0
		local total=0
		for pid in $pids; do
			total=$((total + 1))
			pid_alive "$pid" "$fam" && alive=$((alive + 1))
		done
		printf '%-12s %s/%s workers alive, sockets: %s\n' "$fam" "$alive" "$total" \
			"$(for f in $(pool_pidfiles "$fam"); do basename -- "${f%.pid}.sock"; done | paste -sd ' ')"
	done
	if [ -f "$RUN/worker.pid" ]; then
		if daemon_running; then echo "ticketctl worker running"; else echo "ticketctl worker stopped"; fi
	fi
	[ -f "$ENVFILE" ] && printf 'env       %s\n' "$ENVFILE"
	[ "$up" -eq 1 ] || return 3
}

main() {
	[ "$#" -ge 1 ] || usage
	local sub=$1
	shift
	case $sub in
	start | stop | run | status) [ "$#" -eq 0 ] || usage ;;
	test) ;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
	close_inherited_fds
	exec {ORIG_OUT}>&1 {ORIG_ERR}>&2
	setup_config
	case $sub in
	start) cmd_start ;;
	stop) cmd_stop ;;
	run) cmd_run ;;
	test) cmd_test "$@" ;;
	status) cmd_status ;;
	esac
}

main "$@"
