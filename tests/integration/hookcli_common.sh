# hookcli_common.sh: helpers for the hookcli_*.sh tests (sourced, not a test).
#
# hk runs hookcli with stdout and stderr captured; it fails the test the
# moment hookcli writes anything on stdout, so every test also checks the
# hook-safety rule "nothing on stdout" on every run (stats and --help use
# hk_out instead). The exit status lands in $RC, stderr in $T/err.

. "$top_srcdir/tests/integration/lib.sh"

TEST_SERVER=$top_builddir/tests/integration/test_server
HK_WRAPPER=${HK_WRAPPER:-}

[ -x "$HOOKCLI" ] || fail "hookcli not built: $HOOKCLI"
[ -x "$TEST_SERVER" ] || fail "test_server not built: $TEST_SERVER"
command -v jq >/dev/null 2>&1 || skip "jq not installed"

# The tests decide every input: no AGENTVIS_* from the caller's environment.
unset AGENTVIS_SOCKET AGENTVIS_FALLBACK_DIR AGENTVIS_AGENT_ID \
	AGENTVIS_AGENT_NAME AGENTVIS_AGENT_ROLE AGENTVIS_SESSION_ID \
	AGENTVIS_PROJECT AGENTVIS_TRACE_ID AGENTVIS_USER_ID

FB=$T/incoming
mkdir -p "$FB"

# Start the test server: ts_start MODE [NAME]. Sets $SOCK and $REC.
ts_start() {
	local mode=$1 name=${2:-ts}
	SOCK=$T/$name.sock
	REC=$T/$name.rec
	: >"$REC"
	av_start "$name" "$TEST_SERVER" -m "$mode" -r "$REC" "$SOCK"
	TS_PID=$AV_LAST_PID
	av_wait_socket "$SOCK"
}

# Run hookcli, stdin from /dev/null; nothing may appear on stdout.
hk() {
	hk_in /dev/null "$@"
}

# Run hookcli with stdin from a file: hk_in FILE args...
hk_in() {
	local in=$1
	shift
	RC=0
	$HK_WRAPPER "$HOOKCLI" "$@" <"$in" >"$T/out" 2>"$T/err" || RC=$?
	if [ -s "$T/out" ]; then
		fail "hookcli $* wrote on stdout: $(head -c 300 "$T/out")"
	fi
	return 0
}

# Run hookcli where stdout is expected (stats, --help): output in $T/out.
hk_out() {
	RC=0
	$HK_WRAPPER "$HOOKCLI" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
	return 0
}

# Assert the exit status of the last hk: expect_rc WHAT CODE
expect_rc() {
	[ "$RC" = "$2" ] || fail "$1: exit $RC, expected $2; stderr: $(cat "$T/err")"
}

# Assert stderr of the last hk contains a string.
expect_err() {
	assert_contains "$1: stderr" "$(cat "$T/err")" "$2"
}

# Assert stderr of the last hk is empty.
expect_quiet() {
	[ ! -s "$T/err" ] || fail "$1: stderr not empty: $(cat "$T/err")"
}

# Number of lines the server received.
rec_count() {
	wc -l <"$REC" | tr -d ' '
}

# The last line the server received.
rec_last() {
	tail -n 1 "$REC"
}

# Assert a jq expression is true of the last line received: rec_is WHAT EXPR
rec_is() {
	rec_last | jq -e "$2" >/dev/null 2>&1 ||
		fail "$1: '$2' is not true of $(rec_last)"
}

# Assert a jq expression is true of a JSON text: json_is WHAT JSON EXPR
json_is() {
	printf '%s\n' "$2" | jq -e "$3" >/dev/null 2>&1 ||
		fail "$1: '$3' is not true of $2"
}

# Fallback files in $FB (finished ones), one per line.
fb_files() {
	find "$FB" -maxdepth 1 -type f -name '*.ndjson' | sort
}

# Milliseconds on a monotonic-enough clock.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# jq filter: the event has the shape every hookcli event has.
EV_SHAPE='(.event_id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))
	and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
	and (.metadata | type == "object")
	and (.operation | type == "string" and length > 0)'
