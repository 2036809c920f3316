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

# Event N (task_started) with timestamp TS and event_id ID: spelt N TS ID.
spelt() {
	ev "$1" task_started | sed "s/2026-11-26T16:35:09.123Z/$2/;
	    s/00000000-0000-4000-8000-$(printf %012d "$1")/$3/"
}

# The same event spelt every way the validator accepts (the instant with
# Z, +00:00, another offset or more fraction digits; the UUID in either
# case) is one event: stored once in the canonical form, streamed once,
# and counted as a duplicate in every later answer. gatewayd is started
# on store $1 and stopped again.
spellings() {
	local up=3F1C2A4E-8B7D-4C2E-9A1F-2B3C4D5E6F70
	local low=3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70
	local at='"timestamp":"2026-11-26T16:35:09.123Z"'
	local ts id n=0 dups=0
	gw_start --store "$1"
	ws_start sp -n 4 -t 15000 "$PORT" /api/v1/agents/activity/stream
	ws_wait_conns 1
	# Each spelling in a request of its own, non-canonical ones first.
	for ts in 2026-11-26T17:35:09.123+01:00 2026-11-26T16:35:09.123+00:00 \
	    2026-11-26T16:35:09.123000Z 2026-11-26T16:35:09.123Z; do
		for id in $up $low; do
			spelt 1 "$ts" "$id" >"$T/sp.$n"
			assert_eq "$ts $id" 200 "$(post "$T/sp.$n")"
			if [ "$n" -eq 0 ]; then
				assert_contains "$ts $id stored" "$(cat "$T/resp")" \
				    '"accepted":1,"duplicates":0'
			else
				assert_contains "$ts $id duplicate" "$(cat "$T/resp")" \
				    '"accepted":0,"duplicates":1,"first_seq":null'
				dups=$((dups + 1))
			fi
			n=$((n + 1))
		done
	done
	# In one batch: two more spellings of it, a new event twice, another.
	{
		printf '{"events":['
		spelt 1 2026-11-26T11:35:09.123-05:00 "$up"; printf ','
		spelt 1 2026-11-26t16:35:09.123999z "$low"; printf ','
		spelt 2 2026-11-26T16:35:09.123Z 00000000-0000-4000-8000-00000000000A
		printf ','
		spelt 2 2026-11-26T16:35:09.123+00:00 00000000-0000-4000-8000-00000000000a
		printf ','
		spelt 3 2026-11-26T16:35:09.123Z 00000000-0000-4000-8000-000000000003
		printf '],"batch_id":"spellings"}'
	} >"$T/sp.batch"
	assert_eq "batch of spellings" 200 "$(post "$T/sp.batch")"
	assert_contains "batch of spellings answer" "$(cat "$T/resp")" \
	    '"accepted":2,"duplicates":3,"first_seq":2,"last_seq":3'
	dups=$((dups + 3))

	# connected, then each event once, in the canonical form.
	ws_wait sp
	assert_eq "stream client" 0 "$(cat "$T/sp.rc")"
	assert_contains "streamed once" "$(sed -n 2p "$T/sp.out")" \
	    "$at,\"event_id\":\"$low\""
	assert_contains "the new event once" "$(sed -n 3p "$T/sp.out")" \
	    "$at,\"event_id\":\"00000000-0000-4000-8000-00000000000a\""
	assert_contains "then the last" "$(sed -n 4p "$T/sp.out")" \
	    '"event_id":"00000000-0000-4000-8000-000000000003"'

	assert_eq "events" 200 "$(get '/api/v1/events?limit=100')"
	assert_eq "rows stored" 3 "$(jq '.events | length' "$T/resp")"
	assert_eq "stored form" "2026-11-26T16:35:09.123Z $low" \
	    "$(jq -r '.events[0] | .timestamp + " " + .event_id' "$T/resp")"
	assert_eq "stats" 200 "$(get /api/v1/events/stats)"
	assert_eq "total and duplicates" "3 $dups" \
	    "$(jq -r '"\(.total) \(.ingest.duplicates)"' "$T/resp")"
	gw_stop
}

# db_lock DB: an outside sqlite3 holds DB's write lock until db_unlock,
# so gatewayd's commits wait out their busy timeout and fail. The locker
# waits for the lock itself, should gatewayd be writing as it asks.
db_lock() {
	rm -f "$T/lock.fifo"
	mkfifo "$T/lock.fifo"
	"$SQLITE3" -cmd '.timeout 5000' "$1" <"$T/lock.fifo" \
	    >/dev/null 2>"$T/lock.err" &
	LOCKPID=$!
	AV_PIDS="$AV_PIDS $LOCKPID"
	exec 3>"$T/lock.fifo"
	echo 'BEGIN IMMEDIATE;' >&3
	av_wait_for 10 sh -c "! '$SQLITE3' '$1' 'BEGIN IMMEDIATE; ROLLBACK;' \
	    >/dev/null 2>&1" ||
		fail "the outside writer did not get the lock: $(cat "$T/lock.err")"
}
db_unlock() {
	echo 'ROLLBACK;' >&3
	exec 3>&-
	wait "$LOCKPID" 2>/dev/null || :
}
