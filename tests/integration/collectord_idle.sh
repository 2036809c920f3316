#!/bin/sh
# collectord_idle.sh: a client that holds a connection and sends nothing
# is closed after client_idle_ms, so idle connections cannot keep others
# out past max_clients; a client in the middle of a line is not cut, nor
# one that spoke while collectord itself was stalled for longer than
# client_idle_ms.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"
[ -x "$HOOKCLI" ] || skip "hookcli not built"

IDLE_MS=2000
gw_start
cd_conf "max_clients = 8" "client_idle_ms = ${IDLE_MS}ms"
cd_start

# Start a holder: hold NAME ARGS...; its pid in $HOLD_NAME.
hold() {
	local name=$1
	shift
	"$CLIENT" -s "$SOCK" "$@" >"$T/$name.log" 2>&1 &
	AV_PIDS="$AV_PIDS $!"
	eval "HOLD_$name=$!"
	av_wait_for 10 grep -q '^held' "$T/$name.log" ||
	    fail "$name: not held: $(cat "$T/$name.log")"
}

# Two connections stopped in the middle of an event line. (A client that
# reads none of its replies is also kept while collectord has replies to
# write, but whether it has depends on the socket buffers and on timing:
# under a sanitizer all fitted, so that case is left to collectord.8.)
hold midline -H 2 -P
# The six slots left, taken by clients that send nothing.
hold idle -H 6

note "idle clients are closed after client_idle_ms"
av_wait_for 30 grep -q '^closed 0 ' "$T/idle.log" ||
    fail "idle clients not closed: $(cat "$T/idle.log")"
assert_eq "idle clients closed" 6 "$(grep -c '^closed' "$T/idle.log")"
# Not before their time (the bound is loose: only that it is not ~0).
sed -n 's/^closed [0-9]* \([0-9]*\)$/\1/p' "$T/idle.log" >"$T/idle.ms"
while read -r ms; do
	[ "$ms" -ge $((IDLE_MS / 2)) ] || fail "an idle client was closed after $ms ms"
done <"$T/idle.ms"

note "the freed slots take new clients"
RC=0
"$HOOKCLI" -s "$SOCK" -F "$T/no-such-dir" --strict task-started \
    --agent-id a1 --agent-name coder </dev/null 2>"$T/hk.err" || RC=$?
assert_eq "hookcli after idle clients were closed" 0 "$RC"
[ ! -s "$T/hk.err" ] || fail "hookcli: $(cat "$T/hk.err")"

note "clients mid-line are not cut"
# They have been silent since before the idle ones were held; give them
# twice client_idle_ms more.
sleep $((2 * IDLE_MS / 1000))
grep -q '^closed' "$T/midline.log" && fail "mid-line client cut: $(cat "$T/midline.log")"
kill -USR1 "$HOLD_midline"
wait "$HOLD_midline"
assert_eq "mid-line clients finish their events" "done open 2 acked 2 pongs 0 errors 0" \
    "$(grep '^done' "$T/midline.log")"
wait_unique 3 20 || fail "only $(gw_unique) of 3 events delivered"

note "a stall of collectord longer than client_idle_ms cuts no client that spoke"
# Pinging every second, they are never silent for client_idle_ms; while
# collectord is stopped, their idle timeouts pass with a ping waiting.
hold pinging -H 2 -k 1000
sleep 0.5
kill -STOP "$CDPID"
sleep $((2 * IDLE_MS / 1000))
kill -CONT "$CDPID"
sleep 1
kill -USR1 "$HOLD_pinging"
wait "$HOLD_pinging"
grep -q '^closed' "$T/pinging.log" && fail "cut after a stall: $(cat "$T/pinging.log")"
assert_contains "after a stall" "$(grep '^done' "$T/pinging.log")" "done open 2 acked 0"
cd_stop_ok
exit 0
