#!/bin/sh
# collectord_config.sh: the command line and configuration of collectord:
# -n, --help, --version, bad keys and values, the token from the
# environment or a file (never argv) on the wire, SIGHUP reload, SIGUSR1
# statistics, `hookcli stats`, READY=1 to NOTIFY_SOCKET, --daemonize with
# --pidfile.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

gw_start
cd_conf "ingest_token = from-config"
out=$("$COLLECTORD" -n -c "$T/collectord.conf") || fail "-n failed: $out"
assert_eq "-n" "configuration OK" "$out"
out=$("$COLLECTORD" -n -v -c "$T/collectord.conf")
assert_contains "-n -v lists the settings" "$out" "batch_max_events = 500"
case $out in *from-config*) fail "-n -v printed the token" ;; esac

# Mistakes are named with file:line; exit 1.
cd_conf "batch_max_events = 100" "bogus_key = 1"
"$COLLECTORD" -n -c "$T/collectord.conf" >"$T/out" 2>&1 && fail "unknown key accepted"
assert_contains "unknown key" "$(cat "$T/out")" "collectord.conf:8"
assert_contains "unknown key" "$(cat "$T/out")" "bogus_key"
cd_conf "fsync = sometimes"
"$COLLECTORD" -n -c "$T/collectord.conf" >"$T/out" 2>&1 && fail "bad enum accepted"
assert_contains "bad value" "$(cat "$T/out")" "fsync"
cd_conf "gateway = https://example.org"
"$COLLECTORD" -n -c "$T/collectord.conf" >"$T/out" 2>&1 && fail "https accepted"
assert_contains "https" "$(cat "$T/out")" "only http://"
cd_conf "retry_base_ms = 5s" "retry_max_ms = 1s"
"$COLLECTORD" -n -c "$T/collectord.conf" >"$T/out" 2>&1 && fail "max below base accepted"
"$COLLECTORD" -n -c "$T/missing.conf" >"$T/out" 2>&1 && fail "missing -c file accepted"
assert_contains "missing file" "$(cat "$T/out")" "missing.conf"

# --help, --version, usage errors.
help=$("$COLLECTORD" --help) || fail "--help failed"
for f in -c -s -g --spool -n -v --daemonize --pidfile --version --help; do
	assert_contains "--help names $f" "$help" " $f"
done
assert_contains "--version" "$("$COLLECTORD" --version)" "collectord "
"$COLLECTORD" --no-such-flag >/dev/null 2>&1
assert_eq "unknown flag exit" 64 "$?"
"$COLLECTORD" extra-arg >/dev/null 2>&1
assert_eq "extra argument exit" 64 "$?"

# The token from the environment reaches the wire as a bearer token.
cd_conf
AGENTVIS_INGEST_TOKEN=tok-from-env cd_start
"$CLIENT" -s "$SOCK" -n 10 >/dev/null || fail "not acked"
wait_unique 10 10 || fail "not delivered"
assert_contains "bearer from env" "$(cat "$GW/requests")" "auth=Bearer tok-from-env"
cd_stop_ok

# A token file wins over the environment; SIGHUP picks up a new one.
echo tok-file-1 >"$T/token"
chmod 600 "$T/token"
cd_conf "ingest_token_file = $T/token"
AGENTVIS_INGEST_TOKEN=tok-from-env cd_start
"$CLIENT" -s "$SOCK" -n 10 -p a >/dev/null
wait_unique 20 10 || fail "not delivered"
grep -q 'auth=Bearer tok-file-1' "$GW/requests" || fail "the file's token was not used"
assert_eq "env token after the file's" "" "$(sed -n '2,$p' "$GW/requests" | grep tok-from-env)"
echo tok-file-2 >"$T/token"
kill -HUP "$CDPID"
av_wait_for 5 grep -q "configuration reloaded" "$T/collectord.log" || fail "no reload"
"$CLIENT" -s "$SOCK" -n 10 -p b >/dev/null
wait_unique 30 10 || fail "not delivered after reload"
grep -q 'auth=Bearer tok-file-2' "$GW/requests" || fail "new token not used after SIGHUP"
# SIGHUP to another gateway: the next batches go there.
mkdir -p "$T/gw2"
GW2PORT=$(av_free_port)
av_start fakegw2 "$FAKEGW" -p "$GW2PORT" -d "$T/gw2"
gw2_up() { curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$GW2PORT/"; }
av_wait_for 10 gw2_up || fail "second gateway did not start"
sed -i "s|^gateway = .*|gateway = http://127.0.0.1:$GW2PORT|" "$T/collectord.conf"
kill -HUP "$CDPID"
av_wait_for 5 sh -c "[ \$(grep -c 'configuration reloaded' '$T/collectord.log') -ge 2 ]" ||
    fail "no second reload"
"$CLIENT" -s "$SOCK" -n 5 -p c >/dev/null
gw2_has5() { [ "$(wc -l <"$T/gw2/events" 2>/dev/null || echo 0)" -ge 5 ]; }
av_wait_for 10 gw2_has5 || fail "events did not go to the new gateway"
assert_contains "token kept" "$(cat "$T/gw2/requests")" "auth=Bearer tok-file-2"

# A broken file on SIGHUP keeps the running configuration.
echo "nonsense" >>"$T/collectord.conf"
kill -HUP "$CDPID"
av_wait_for 5 grep -q "keeping the running configuration" "$T/collectord.log" ||
    fail "bad reload not reported"
kill -0 "$CDPID" || fail "collectord died on a bad reload"

# Statistics: totalEvents to lastError first, over the socket, hookcli and
# SIGUSR1.
stats=$(echo '{"cmd":"stats"}' | "$CLIENT" -s "$SOCK" -r)
for k in totalEvents flushedBatches droppedEvents rejectedEvents retries \
    spooledEvents spooledBytes inflight gatewayUp lastError; do
	assert_contains "stats has $k" "$stats" "\"$k\":"
done
assert_contains "stats" "$stats" '{"ok":true,"stats":{"totalEvents":25,'
if [ -x "$HOOKCLI" ]; then
	hs=$("$HOOKCLI" -s "$SOCK" stats) || fail "hookcli stats failed"
	echo "$hs" | grep -q '"totalEvents": *25' || fail "hookcli stats: $hs"
fi
kill -USR1 "$CDPID"
av_wait_for 5 grep -q 'stats {"totalEvents":25' "$T/collectord.log" || fail "SIGUSR1 did not log stats"
cd_stop_ok

# READY=1 to NOTIFY_SOCKET once the socket accepts connections.
"$CLIENT" -N "$T/notify" >"$T/notified" &
npid=$!
av_wait_for 5 test -S "$T/notify" || fail "notify socket not bound"
cd_conf
NOTIFY_SOCKET=$T/notify cd_start
av_wait_for 5 grep -q . "$T/notified" || fail "no readiness notification"
wait "$npid"
assert_eq "sd_notify" READY=1 "$(cat "$T/notified")"
cd_stop_ok

# --daemonize --pidfile: detaches, writes the pid, removes it on exit.
cd_conf
"$COLLECTORD" -c "$T/collectord.conf" --daemonize --pidfile "$T/cd.pid" ||
    fail "--daemonize failed"
av_wait_for 5 test -s "$T/cd.pid" || fail "no pid file"
dpid=$(cat "$T/cd.pid")
AV_PIDS="$AV_PIDS $dpid"
kill -0 "$dpid" || fail "daemon not running"
av_wait_for 5 cd_alive || fail "daemon not answering"
kill -TERM "$dpid"
av_wait_for 10 sh -c "! kill -0 $dpid 2>/dev/null" || fail "daemon did not stop"
[ -e "$T/cd.pid" ] && fail "pid file left behind"
exit 0
