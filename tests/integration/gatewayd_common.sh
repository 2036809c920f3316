# gatewayd_common.sh: helpers of the gatewayd integration tests (sourced
# after lib.sh). Each test starts its own gatewayd on a free port with its
# store and dashboard directory under $T.

WSCLIENT=$top_builddir/tests/integration/wsclient
[ -x "$GATEWAYD" ] || skip "gatewayd not built"
[ -n "${CURL:-}" ] || CURL=$(command -v curl) || skip "curl missing"

# Start gatewayd: gw_start [extra args...]. Sets PORT, URL, GWPID.
gw_start() {
	PORT=$(av_free_port)
	URL=http://127.0.0.1:$PORT
	mkdir -p "$T/www"
	[ -f "$T/www/index.html" ] || echo '<!doctype html><title>agentvis</title>' >"$T/www/index.html"
	av_start gatewayd "$GATEWAYD" -v -l "127.0.0.1:$PORT" \
	    --www "$T/www" "$@"
	GWPID=$AV_LAST_PID
	av_wait_http "$URL/api/v1/health"
}

# A valid event: ev N [TYPE [METADATA-JSON-MEMBERS]]; event_id from N.
ev() {
	local n=$1 type=${2:-agent_spawned} meta=${3:-}
	local id
	id=$(printf '00000000-0000-4000-8000-%012d' "$n")
	printf '{"event_type":"%s","timestamp":"2026-11-26T16:35:09.123Z","event_id":"%s","agent_id":"agent-%s","agent_name":"coder","agent_role":"worker","operation":"write_file","status":"success","metadata":{"session_id":"s1"%s}}' \
	    "$type" "$id" "$((n % 3))" "${meta:+,$meta}"
}

# A batch body of events FROM..TO: batch FROM TO [TYPE [META]]
batch() {
	local i=$1 sep=
	printf '{"events":['
	while [ "$i" -le "$2" ]; do
		printf '%s' "$sep"
		ev "$i" "${3:-agent_spawned}" "${4:-}"
		sep=,
		i=$((i + 1))
	done
	printf '],"batch_id":"batch-%s-%s","timestamp":"2026-11-26T16:35:09.200Z"}' "$1" "$2"
}

# POST a body file; prints the status, the answer is in $T/resp.
# post FILE [curl args...]
post() {
	local f=$1
	shift
	"$CURL" -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "@$f" "$@" "$URL/api/v1/events/ingest"
}

# GET a path; prints the status, the answer is in $T/resp.
get() {
	local p=$1
	shift
	"$CURL" -s -o "$T/resp" -w '%{http_code}' "$@" "$URL$p"
}

# Count lines of FILE matching a fixed string.
count() {
	grep -c -F -- "$2" "$1" 2>/dev/null || true
}

# Stop gatewayd with SIGTERM and assert it exits 0.
gw_stop() {
	av_stop "$GWPID" >"$T/stop.rc"
	assert_eq "gatewayd exit status" 0 "$(cat "$T/stop.rc")"
}

# Start a WebSocket client in the background: ws_start NAME [wsclient
# args...] PATH. Output in $T/NAME.out, errors in $T/NAME.err.
ws_start() {
	local name=$1
	shift
	"$WSCLIENT" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	eval "WS_$name=\$!"
}

# Wait until gatewayd counts N stream connections (admin view).
ws_wait_conns() {
	local n=$1
	shift
	av_wait_for 10 sh -c "\"$CURL\" -s $* \"$URL/api/v1/agents/activity/connections\" | grep -q '\"count\":$n,'" ||
	    fail "never saw $n connections"
}

# Wait for the client NAME to finish; its exit status in $T/NAME.rc.
ws_wait() {
	local pid
	eval "pid=\$WS_$1"
	wait "$pid"
	echo $? >"$T/$1.rc"
}
