#!/bin/sh
# gatewayd operations: start-up failures in the exit status, max
# connections, a SIGHUP with a broken file keeps the old configuration,
# --daemonize with --pidfile (memory and SQLite: nothing lost when an
# outside reader opens the file), READY=1 to $NOTIFY_SOCKET.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

S=/api/v1/agents/activity/stream

# A store that cannot be opened, an address in use: exit 1, said why.
p=$(av_free_port)
"$GATEWAYD" -l "127.0.0.1:$p" --store "sqlite:$T/no/such/dir/x.db" --www "$T" >"$T/e.out" 2>&1
assert_eq "store cannot open" 1 $?
assert_contains "store error" "$(cat "$T/e.out")" 'no/such/dir'

cat >"$T/gatewayd.conf" <<EOC
max_connections = 2
EOC
gw_start -c "$T/gatewayd.conf" --store memory
"$GATEWAYD" -l "127.0.0.1:$PORT" --store memory --www "$T" >"$T/e.out" 2>&1
assert_eq "address in use" 1 $?

# max_connections: the third client is refused, the first two served.
ws_start a -t 10000 "$PORT" "$S?user_id=1"
ws_start b -t 10000 "$PORT" "$S?user_id=1"
ws_wait_conns 2
"$WSCLIENT" -t 3000 "$PORT" "$S?user_id=1" >/dev/null 2>&1
assert_eq "third client refused" 2 $?
kill "$WS_a" "$WS_b" 2>/dev/null
ws_wait_conns 0

# A broken file on SIGHUP: logged, the old configuration stays.
echo 'max_connections = lots' >"$T/gatewayd.conf"
kill -HUP "$GWPID"
av_wait_for 10 grep -q 'keeping the old configuration' "$T/gatewayd.log" ||
    fail "no complaint about the broken file"
assert_eq "still serving" 200 "$(get /api/v1/health)"
gw_stop

# Keepalive: a peer that answers pings stays, a silent one is closed
# after hangup_timeout (here 2 s instead of 40).
printf 'ping_interval = 1s\nhangup_timeout = 2s\n' >"$T/ka.conf"
gw_start -c "$T/ka.conf" --store memory
ws_start live -t 30000 "$PORT" "$S?user_id=live"
ws_start mute -w 20000 -t 20000 "$PORT" "$S?user_id=mute"
ws_wait_conns 2
av_wait_for 15 sh -c "\"$CURL\" -s \"$URL/api/v1/agents/activity/connections\" | grep -q '\"count\":1,'" ||
    fail "the silent client was not hung up"
assert_eq "connections" 200 "$(get /api/v1/agents/activity/connections)"
assert_contains "the answering client stays" "$(cat "$T/resp")" '"user_id":"live"'
kill "$WS_mute" "$WS_live" 2>/dev/null
gw_stop

# --daemonize --pidfile: the parent returns once listening.
p=$(av_free_port)
"$GATEWAYD" --daemonize --pidfile "$T/gw.pid" -l "127.0.0.1:$p" --store memory \
    --www "$T" >"$T/d.out" 2>&1
assert_eq "daemonize" 0 $?
# The detached child writes the pid file (its own pid) right after.
av_wait_for 10 test -s "$T/gw.pid" || fail "no pid file"
dpid=$(cat "$T/gw.pid")
AV_PIDS="$AV_PIDS $dpid"
assert_eq "daemon serves" 200 "$("$CURL" -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/api/v1/health")"
# The store writer thread is started after the fork: ingest is answered.
batch 1 3 >"$T/dbatch"
assert_eq "daemon ingests" 200 "$("$CURL" -s -o /dev/null -w '%{http_code}' -m 10 \
    -H 'Content-Type: application/json' --data-binary "@$T/dbatch" \
    "http://127.0.0.1:$p/api/v1/events/ingest")"
"$GATEWAYD" --pidfile "$T/gw.pid" -l "127.0.0.1:$(av_free_port)" --store memory \
    --www "$T" >"$T/e.out" 2>&1
assert_eq "pid file held" 1 $?
kill -TERM "$dpid"
av_wait_for 10 sh -c "! kill -0 $dpid 2>/dev/null" || fail "daemon did not stop"
[ -e "$T/gw.pid" ] && fail "pid file left behind"

# --daemonize on SQLite, with relative paths: the store is opened again
# after the fork (from /), so the daemon holds its own locks. Before, an
# sqlite3 that opened and closed the file took the daemon for gone,
# checkpointed and deleted the WAL under it, and what the daemon
# committed after that was lost with a kill -9.
if [ -n "${SQLITE3:-}" ]; then
	p=$(av_free_port)
	rm -f "$T/gw.pid"
	mkdir -p "$T/dwww"
	echo '<!doctype html><title>relative</title>' >"$T/dwww/index.html"
	(cd "$T" && "$GATEWAYD" --daemonize --pidfile "$T/gw.pid" \
	    -l "127.0.0.1:$p" --store sqlite:d.db --www dwww >"$T/d.out" 2>&1)
	assert_eq "daemonize on sqlite" 0 $?
	av_wait_for 10 test -s "$T/gw.pid" || fail "no pid file"
	dpid=$(cat "$T/gw.pid")
	AV_PIDS="$AV_PIDS $dpid"
	# A relative --www is resolved before the daemon moves to /.
	assert_eq "relative www after daemonize" 200 \
	    "$("$CURL" -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/")"
	batch 101 105 >"$T/dbatch"
	assert_eq "daemon on sqlite ingests" 200 "$("$CURL" -s -o /dev/null -w '%{http_code}' -m 10 \
	    -H 'Content-Type: application/json' --data-binary "@$T/dbatch" \
	    "http://127.0.0.1:$p/api/v1/events/ingest")"
	assert_eq "an outside reader" 5 "$("$SQLITE3" "$T/d.db" 'SELECT count(*) FROM events')"
	[ -e "$T/d.db-wal" ] || fail "the outside reader removed the daemon's WAL"
	batch 106 110 >"$T/dbatch"
	assert_eq "daemon ingests after the reader" 200 "$("$CURL" -s -o /dev/null -w '%{http_code}' -m 10 \
	    -H 'Content-Type: application/json' --data-binary "@$T/dbatch" \
	    "http://127.0.0.1:$p/api/v1/events/ingest")"
	kill -KILL "$dpid"
	av_wait_for 10 sh -c "! kill -0 $dpid 2>/dev/null" || fail "daemon did not die"
	assert_eq "every answered event survives kill -9" 10 \
	    "$("$SQLITE3" "$T/d.db" 'SELECT count(*) FROM events')"
else
	note "sqlite3 missing: daemonize on SQLite not tested"
fi

# READY=1 once listening, to a NOTIFY_SOCKET.
if command -v socat >/dev/null; then
	socat -u "UNIX-RECV:$T/notify.sock" "OPEN:$T/notify.out,creat,append" &
	AV_PIDS="$AV_PIDS $!"
	av_wait_socket "$T/notify.sock"
	NOTIFY_SOCKET=$T/notify.sock
	export NOTIFY_SOCKET
	gw_start --store memory
	unset NOTIFY_SOCKET
	av_wait_for 10 grep -q 'READY=1' "$T/notify.out" || fail "no READY=1"
	gw_stop
else
	note "socat missing: sd_notify not tested"
fi
