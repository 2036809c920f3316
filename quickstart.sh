#!/usr/bin/env bash
#
# quickstart.sh: everything from a fresh Debian 12 machine to a running agentvis.
#
#   ./quickstart.sh            install missing Debian packages, build, start gatewayd and
#                              collectord on a local SQLite store, send demo events
#                              through hookcli, print the dashboard URL; Ctrl-C stops.
#   ./quickstart.sh check      the same set-up, then the whole test suite (make check,
#                              incl. the browser tests in headless Chromium).
#   ./quickstart.sh sanitize   build with ASan+UBSan in build-asan/ and run make check.
#   ./quickstart.sh distcheck  make distcheck (tarball builds, installs, tests, uninstalls).
#   ./quickstart.sh deps       only install the packages.
#   ./quickstart.sh serve      what run does after the build: start the daemons of
#                              an existing build, send the demo events, wait.
#
# Environment: AGENTVIS_PORT (default 8000), AGENTVIS_VAR (default ./.quickstart),
# AGENTVIS_BUILD (the build directory, default ./build), JOBS (default: number of
# CPUs).
set -euo pipefail

SRC=$(cd "$(dirname "$0")" && pwd)
BUILD=${AGENTVIS_BUILD:-$SRC/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MODE=${1:-run}

# Debian packages the build, the daemons and the tests use (nothing else is needed).
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libevent-dev libjson-c-dev libwebsockets-dev uuid-dev check libsqlite3-dev
	libpq-dev
	postgresql sqlite3 curl jq mandoc procps psmisc socat util-linux python3
	systemd
	nodejs npm chromium
	clang libclang-rt-14-dev valgrind hyperfine wrk
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install whatever of PACKAGES is missing (apt-get update only when needed).
deps() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		# node and npm may come from elsewhere (nvm, nodesource): keep those.
		case $p in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
		esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing Debian packages: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"
	fi
	# The browser tests drive Debian's chromium with playwright-core (npm).
	if [ -f "$SRC/tests/browser/package.json" ] &&
	    [ ! -d "$SRC/tests/browser/node_modules/playwright-core" ] ||
	    [ "$SRC/tests/browser/package.json" -nt "$SRC/tests/browser/node_modules" ]; then
		say "installing npm packages for the browser tests"
		(cd "$SRC/tests/browser" &&
			if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent
			else npm install --no-audit --no-fund --silent; fi)
	fi
}

# Configure (once) and build in $1 with extra configure flags.
build() {
	local dir=$1
	shift
	if [ ! -x "$SRC/configure" ] || [ "$SRC/configure.ac" -nt "$SRC/configure" ]; then
		say "autoreconf"
		(cd "$SRC" && autoreconf -fi >/dev/null)
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		say "configure $*"
		(cd "$dir" && "$SRC/configure" -q "$@")
	fi
	say "make ($dir)"
	make -C "$dir" -s -j"$JOBS"
}

# Print the totals of an automake test run as "N passed, N failed".
summary() {
	local log=$1 pass fail skip
	pass=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	fail=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	skip=$(sed -n 's/^# SKIP: *//p' "$log" | head -1)
	local xpass err
	xpass=$(sed -n 's/^# XPASS: *//p' "$log" | head -1)
	err=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	echo "${pass:-0} passed, $(( ${fail:-0} + ${xpass:-0} + ${err:-0} )) failed, ${skip:-0} skipped"
}

# make check in $1; show the logs of what failed.
run_check() {
	local dir=$1 rc=0
	say "make check ($dir)"
	make -C "$dir" -j"$JOBS" check || rc=$?
	if [ -f "$dir/test-suite.log" ]; then
		[ $rc -ne 0 ] && cat "$dir/test-suite.log"
		summary "$dir/test-suite.log"
	fi
	# This script installed everything the tests use, so a skipped test
	# means a broken set-up (say, playwright-core missing), not a choice.
	local skipped
	skipped=$(cd "$dir" && grep -l ':test-result: SKIP' $(find tests -name '*.trs') 2>/dev/null || true)
	if [ -n "$skipped" ]; then
		echo "quickstart: tests skipped although their dependencies were installed:" >&2
		echo "$skipped" | sed 's/\.trs$//; s/^/  /' >&2
		rc=1
	fi
	return $rc
}

# Start both daemons on a private var dir, send demo events, wait for Ctrl-C.
run() {
	local var=${AGENTVIS_VAR:-$SRC/.quickstart} port=${AGENTVIS_PORT:-8000}
	local gw col
	mkdir -p "$var/run" "$var/spool"
	chmod 0750 "$var/run"
	local sock=$var/run/collectord.sock url=http://127.0.0.1:$port

	if curl -s -o /dev/null --max-time 1 "$url/api/v1/health"; then
		echo "quickstart: something already answers on $url; set AGENTVIS_PORT" >&2
		exit 1
	fi
	# collectord proves itself to gatewayd with an ingest token, or its
	# events (which carry metadata.origin) are refused. Both daemons read
	# it from one file, made once, for this user only; the dashboard stays
	# open on loopback, as an ingest token does not turn on tokens for
	# reading.
	local token=$var/ingest.token
	printf 'ingest_token_file = %s\n' "$token" >"$var/gatewayd.conf"
	printf 'ingest_token_file = %s\n' "$token" >"$var/collectord.conf"
	(umask 077 && "$BUILD/gatewayd/gatewayd" -c "$var/gatewayd.conf" --init-token) ||
		{ echo "quickstart: cannot make $token" >&2; exit 1; }
	say "starting gatewayd on $url (store: $var/events.db)"
	"$BUILD/gatewayd/gatewayd" -c "$var/gatewayd.conf" -l "127.0.0.1:$port" \
		--store "sqlite:$var/events.db" --www "$SRC/gatewayd/www" \
		>"$var/gatewayd.log" 2>&1 &
	gw=$!
	say "starting collectord (socket: $sock, spool: $var/spool)"
	"$BUILD/collectord/collectord" -c "$var/collectord.conf" -s "$sock" \
		--spool "$var/spool" -g "$url" >"$var/collectord.log" 2>&1 &
	col=$!
	# Stop both on every exit path; collectord first, so it can flush.
	trap 'trap - EXIT INT TERM; say "stopping"; kill -TERM $col 2>/dev/null; wait $col 2>/dev/null;
	      kill -TERM $gw 2>/dev/null; wait $gw 2>/dev/null; exit 0' EXIT INT TERM

	local i
	for i in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "$url/api/v1/health" && [ -S "$sock" ] && break
		if ! kill -0 $gw 2>/dev/null || ! kill -0 $col 2>/dev/null; then
			tail "$var"/*.log
			exit 1
		fi
		sleep 0.1
	done

	say "sending demo events through hookcli"
	AGENTVIS_SOCKET=$sock HOOKCLI=$BUILD/hookcli/hookcli \
		"$SRC/etc/demo-traffic.sh"
	echo
	echo "  Dashboard:  $url/"
	echo "  Events:     curl -s '$url/api/v1/events?limit=5' | jq ."
	echo "  More:       AGENTVIS_SOCKET=$sock $BUILD/hookcli/hookcli task-started --agent-id a1 --agent-name coder"
	echo "  Logs:       $var/gatewayd.log $var/collectord.log"
	echo "  Token:      $token (collectord's proof to gatewayd, for ingest)"
	echo
	echo "  Ctrl-C stops both daemons."
	wait $gw
}

case $MODE in
deps)
	deps
	;;
run)
	deps
	build "$BUILD"
	run
	;;
serve)
	run
	;;
check)
	deps
	build "$BUILD" --enable-werror
	run_check "$BUILD"
	;;
sanitize)
	deps
	build "$SRC/build-asan" --enable-werror --enable-sanitizers --enable-debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		run_check "$SRC/build-asan"
	;;
distcheck)
	deps
	build "$BUILD"
	say "make distcheck"
	make -C "$BUILD" -j"$JOBS" distcheck
	;;
*)
	echo "usage: $0 [run|check|sanitize|distcheck|deps|serve]" >&2
	exit 64
	;;
esac
