# lib.sh: shared harness for the integration tests (sourced, not run).
#
# Every test gets its own mktemp -d directory ($T), free ports, daemons
# started in the foreground and stopped on every exit path. Set WRAPPER
# (e.g. WRAPPER="valgrind -q --error-exitcode=99") to run daemons under a tool.
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

set -u

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
HOOKCLI=$top_builddir/hookcli/hookcli
COLLECTORD=$top_builddir/collectord/collectord
GATEWAYD=$top_builddir/gatewayd/gatewayd
FREEPORT=$top_builddir/tests/integration/freeport
WRAPPER=${WRAPPER:-}

T=$(mktemp -d "${TMPDIR:-/tmp}/agentvis-test.XXXXXX")
AV_PIDS=""

# A watchdog: no test may hang the suite. AV_TEST_TIMEOUT seconds (default
# 300) after the start, the test is told to stop and fails.
AV_TOP=$$
(
	sleep "${AV_TEST_TIMEOUT:-300}" &
	s=$!
	trap 'kill $s 2>/dev/null; exit 0' TERM
	wait $s || exit 0
	echo "FAIL: test timed out after ${AV_TEST_TIMEOUT:-300} s" >&2
	# The test may be blocked in a foreground child: stop those too.
	kill -TERM "$AV_TOP"
	pkill -TERM -P "$AV_TOP"
) 2>&1 &
AV_WATCHDOG=$!

# Kill whatever this test started, then remove its directory.
av_cleanup() {
	local rc=$? p
	kill "$AV_WATCHDOG" 2>/dev/null
	# What a helper started outside AV_PIDS (a database cluster) stops.
	eval "${AV_ON_EXIT:-}"
	for p in $AV_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $AV_PIDS; do
		# Give each daemon a moment, then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "${AV_KEEP:-}" ]; then
		# Show the daemons' logs: they explain most failures.
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f (tail)"
			tail -n 30 "$f"
		done
	fi
	[ -n "${AV_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
	exit "$rc"
}
trap av_cleanup EXIT
trap 'exit 1' INT TERM

# Print a message and fail the test.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Skip the test (automake exit 77) with a reason.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Note progress.
note() {
	echo "# $*"
}

# A TCP port on 127.0.0.1 that was free a moment ago.
av_free_port() {
	"$FREEPORT"
}

# Start a program in the background: av_start NAME cmd args...
# Output goes to $T/NAME.log; the pid is in $AV_LAST_PID.
av_start() {
	local name=$1
	shift
	$WRAPPER "$@" >"$T/$name.log" 2>&1 &
	AV_LAST_PID=$!
	AV_PIDS="$AV_PIDS $AV_LAST_PID"
}

# Wait until a Unix socket exists (up to $2 seconds, default 10).
av_wait_socket() {
	local path=$1 limit=${2:-10} i=0
	while [ ! -S "$path" ]; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && fail "socket $path did not appear"
		sleep 0.05
	done
}

# Wait until an HTTP URL answers (any status) (up to $2 seconds, default 10).
av_wait_http() {
	local url=$1 limit=${2:-10} i=0
	while ! curl -s -o /dev/null --max-time 1 "$url"; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && fail "$url did not answer"
		sleep 0.05
	done
}

# Wait until a command succeeds (up to $1 seconds): av_wait_for 10 cmd args...
av_wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# Send SIGTERM to pid and wait for it (up to $2 seconds); print its exit code.
av_stop() {
	local pid=$1 limit=${2:-10} i=0 rc
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && { kill -KILL "$pid"; break; }
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	rc=$?
	AV_PIDS=$(echo "$AV_PIDS" | sed "s/\b$pid\b//")
	echo "$rc"
}

# Assert two values are equal: assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# Assert a string contains a substring: assert_contains WHAT HAYSTACK NEEDLE
assert_contains() {
	case "$2" in
	*"$3"*) ;;
	*) fail "$1: '$2' does not contain '$3'" ;;
	esac
}
