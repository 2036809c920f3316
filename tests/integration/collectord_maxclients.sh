#!/bin/sh
# collectord_maxclients.sh: with every client slot taken (max_clients),
# collectord answers "busy", and that refuses the connection, not the
# event: hookcli parks it in the fallback directory and exits 0, with
# --strict too; collectord takes the file in and the gateway gets the
# event. Only when it cannot park either does --strict exit 75. Once the
# slots are free, events go straight in again. A burst of hooks that
# queued while collectord was stopped is served a few slots at a time,
# not answered busy because the first ones had not been served yet.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"
[ -x "$HOOKCLI" ] || skip "hookcli not built"
command -v jq >/dev/null || skip "jq not installed"

gw_start -B
cd_conf "max_clients = 4" "fallback_scan_ms = 200"
cd_start
FB=$SPOOL/incoming
ID="--agent-id a1 --agent-name coder"

# Run hookcli on $SOCK; exit status in $RC, stderr in $T/err.
hk() {
	RC=0
	"$HOOKCLI" -s "$SOCK" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
	[ ! -s "$T/out" ] || fail "hookcli $* wrote on stdout: $(cat "$T/out")"
}

# Events with metadata.tag $1 the gateway accepted, as "VIA" lines.
gw_tag() {
	[ -f "$GW/bodies" ] || return 0
	jq -r --arg t "$1" '.events[] | select(.metadata.tag == $t) |
	    .metadata.origin.via' "$GW/bodies"
}
has_tag() {
	[ "$(gw_tag "$1" | grep -c "^$2\$")" -ge "${3:-1}" ]
}

# Take every slot with clients that ping every 200 ms: they are never
# idle, so nothing frees their slots until they go.
"$CLIENT" -s "$SOCK" -H 4 -k 200 >"$T/hold.log" 2>&1 &
HOLD=$!
AV_PIDS="$AV_PIDS $HOLD"
av_wait_for 10 grep -q '^held 4$' "$T/hold.log" ||
    fail "could not take the 4 slots: $(cat "$T/hold.log")"

note "at max_clients: parked, exit 0"
hk -F "$FB" task-started $ID tag=plain
assert_eq "busy: exit" 0 "$RC"
assert_contains "busy: stderr" "$(cat "$T/err")" "parked in $FB"
assert_contains "busy: stderr names the cause" "$(cat "$T/err")" "max_clients"

note "at max_clients, -q: parked silently"
hk -F "$FB" -q task-started $ID tag=quiet
assert_eq "busy -q: exit" 0 "$RC"
[ ! -s "$T/err" ] || fail "busy -q: stderr: $(cat "$T/err")"

note "at max_clients, --strict: parked is not a failure"
hk -F "$FB" --strict task-started $ID tag=strict
assert_eq "busy --strict: exit" 0 "$RC"
assert_contains "busy --strict: stderr" "$(cat "$T/err")" "parked"

note "at max_clients, send: every line parked"
"$CLIENT" -g -n 3 -p send- >"$T/three.ndjson"
hk -F "$FB" --strict send "$T/three.ndjson"
assert_eq "busy send: exit" 0 "$RC"
assert_contains "busy send: stderr" "$(cat "$T/err")" "3 events parked"

note "nowhere to park: 75 with --strict, else 0"
hk -F "$T/no-such-dir" --strict task-started $ID tag=lost
assert_eq "busy, no fallback, --strict: exit" 75 "$RC"
assert_contains "busy, no fallback: stderr" "$(cat "$T/err")" "busy"
hk -F "$T/no-such-dir" task-started $ID tag=lost
assert_eq "busy, no fallback: exit" 0 "$RC"
assert_contains "busy, no fallback: stderr" "$(cat "$T/err")" "not delivered"

note "the parked events reach the gateway while the slots are still taken"
for tag in plain quiet strict; do
	av_wait_for 20 has_tag $tag fallback ||
	    fail "parked event $tag not delivered: $(gw_tag $tag)"
done
jq -r .event_id "$T/three.ndjson" | sort >"$T/three.ids"
has_send() {
	[ -f "$GW/events" ] && [ -z "$(cut -d' ' -f1 "$GW/events" | sort -u |
	    comm -23 "$T/three.ids" -)" ]
}
av_wait_for 20 has_send || fail "parked send lines not delivered"
grep -q '^closed' "$T/hold.log" && fail "a busy client was cut: $(cat "$T/hold.log")"

note "the slots free: straight in again"
kill -USR1 "$HOLD"
wait "$HOLD"
assert_eq "holders" "done open 4 acked 0 pongs" \
    "$(sed -n 's/^\(done open 4 acked 0 pongs\) .*/\1/p' "$T/hold.log")"
hk -F "$T/no-such-dir" --strict task-started $ID tag=direct
assert_eq "free slots: exit" 0 "$RC"
[ ! -s "$T/err" ] || fail "free slots: stderr: $(cat "$T/err")"
av_wait_for 20 has_tag direct socket || fail "event not delivered: $(gw_tag direct)"
assert_eq "refused connections counted" 6 "$(cd_stat busyClients)"
assert_eq "busyReplies: only a full spool" 0 "$(cd_stat busyReplies)"
[ -z "$(gw_tag lost)" ] || fail "an event that was not parked arrived"

note "40 hooks queued while collectord is stopped, on 4 slots"
# Each hook's line and end of input wait in the socket, so collectord can
# serve and close them a turn at a time; all should be delivered, and
# only a hook the machine kept from writing in time may find the slots
# still taken (the bound is loose: before, all but 4 were answered busy).
mkdir "$T/park"
kill -STOP "$CDPID"
pids=
i=1
while [ $i -le 40 ]; do
	"$HOOKCLI" -s "$SOCK" -F "$T/park" -t 10000 task-started $ID tag=burst \
	    </dev/null 2>>"$T/burst.err" &
	pids="$pids $!"
	i=$((i + 1))
done
sleep 1
kill -CONT "$CDPID"
wait $pids
parked=$(find "$T/park" -name '*.ndjson' | wc -l | tr -d ' ')
note "delivered $((40 - parked)), parked $parked"
[ "$parked" -le 10 ] || fail "$parked of 40 queued hooks parked: $(sort "$T/burst.err" | uniq -c | head -3)"
av_wait_for 20 has_tag burst socket $((40 - parked)) ||
    fail "delivered burst events missing: $(gw_tag burst | wc -l)"
cd_stop_ok
exit 0
