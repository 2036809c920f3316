# pipeline_common.sh: the whole pipeline for a test (sourced after lib.sh):
# the real gatewayd on SQLite and a free port, the real collectord in front
# of it, hookcli pointed at collectord, and a WebSocket client on the stream.
# As installed, the two share an ingest token file made by --init-token
# (collectord's proof, without which gatewayd refuses metadata.origin);
# the stream and the read API need no token. Not a test itself.

# The stream and gatewayd helpers are gatewayd's tests' own: ws_start,
# ws_wait, ws_wait_conns, gw_stop, $WSCLIENT and $CURL come from there.
. "$top_srcdir/tests/integration/gatewayd_common.sh"
for b in "$HOOKCLI" "$COLLECTORD" "$GATEWAYD" "$WSCLIENT"; do
	[ -x "$b" ] || skip "$b not built"
done
SQLITE3=${SQLITE3:-$(command -v sqlite3)} || skip "sqlite3 missing"
[ -n "$SQLITE3" ] || skip "sqlite3 missing"

DB=$T/events.db
SOCK=$T/run/collectord.sock
SPOOL=$T/spool
STREAM=/api/v1/agents/activity/stream
export AGENTVIS_SOCKET=$SOCK
export AGENTVIS_FALLBACK_DIR=$SPOOL/incoming
mkdir -p "$T/run" "$T/www"
echo '<!doctype html><title>agentvis</title>' >"$T/www/index.html"
PORT=$(av_free_port)
URL=http://127.0.0.1:$PORT

# The shared ingest token, as the units make it; a direct POST shows it
# with post FILE -H "$BEARER".
TOKEN_FILE=$T/ingest.token
printf 'ingest_token_file = %s\n' "$TOKEN_FILE" >"$T/gatewayd.conf"
(umask 077 && "$GATEWAYD" -c "$T/gatewayd.conf" --init-token 2>/dev/null) ||
    fail "gatewayd --init-token failed"
BEARER="Authorization: Bearer $(grep -v '^#' "$TOKEN_FILE")"

# Start (or restart) gatewayd on the same port and store.
gw_up() {
	av_start gatewayd "$GATEWAYD" -c "$T/gatewayd.conf" -l "127.0.0.1:$PORT" \
	    --store "sqlite:$DB" --www "$T/www"
	GWPID=$AV_LAST_PID
	av_wait_http "$URL/api/v1/health"
}

# Run a function in the background as a load loop, stopped on any exit.
bg_loop() {
	"$@" &
	AV_PIDS="$AV_PIDS $!"
	LOOP_PIDS="${LOOP_PIDS:-} $!"
}

# Wait for every bg_loop.
wait_loops() {
	local p
	for p in $LOOP_PIDS; do wait "$p"; done
	LOOP_PIDS=
}

# Start (or restart) collectord, with any "key = value" args added to its
# configuration. Retries are short here so a test does not wait for the
# production 30 s cap once the gateway is back.
cd_up() {
	cat >"$T/collectord.conf" <<CONF
socket = $SOCK
spool_dir = $SPOOL
gateway = $URL
dead_letter = $T/dead.ndjson
ingest_token_file = $TOKEN_FILE
retry_base_ms = 100
retry_max_ms = 1000
fallback_scan_ms = 200
CONF
	for kv in "$@"; do echo "$kv"; done >>"$T/collectord.conf"
	av_start collectord "$COLLECTORD" -c "$T/collectord.conf"
	CDPID=$AV_LAST_PID
	av_wait_for 10 "$HOOKCLI" --strict -t 1000 stats >/dev/null 2>&1 ||
	    fail "collectord did not answer"
}

# Follow the stream as a dashboard does: when gatewayd says the client
# lagged behind its bounded queue (a slow client, e.g. under ASan), resume
# with since= from resume_from. ws_follow NAME EXPECTED QUERY; all messages
# of all connections go to $T/NAME.out. Run it in the background.
ws_follow() {
	local name=$1 want=$2 q=$3 since=0 last rc
	: >"$T/$name.out"
	while :; do
		"$WSCLIENT" -n $((want - since + 1)) -t "${WS_LIMIT_MS:-550000}" "$PORT" \
		    "$STREAM?$q&since=$since" >>"$T/$name.out" 2>>"$T/$name.err"
		rc=$?
		last=$(tail -n 1 "$T/$name.out")
		case $last in
		*'"type":"lagged"'*)
			since=$(echo "$last" | jq .resume_from)
			echo "lagged at $since" >>"$T/$name.lagged"
			;;
		*)
			return $rc
			;;
		esac
	done
}

# Rows stored in the gateway's SQLite store.
stored() {
	"$SQLITE3" "$DB" "$@"
}

# Wait until the store holds N events (up to $2 seconds).
wait_stored() {
	av_wait_for "${2:-30}" sh -c "[ \"\$(\"$SQLITE3\" \"$DB\" 'SELECT count(*) FROM events' 2>/dev/null)\" -ge $1 ]"
}

# The metadata.n values of the agent_event messages in a stream output file.
stream_ns() {
	grep '"type":"agent_event"' "$1" | grep -o '"n":"[^"]*"' | cut -d'"' -f4
}
