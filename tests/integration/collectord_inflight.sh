#!/bin/sh
# collectord_inflight.sh: a backlog goes to the gateway over several
# requests at once, each on its own connection (max_inflight), while a
# trickle still goes one request at a time; and a crash loses nothing,
# with every request in flight unanswered or with only the first one
# unanswered and those after it taken: the spool's release point only
# moves over batches the gateway has answered and that have no
# unanswered batch before them.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"
command -v ss >/dev/null || fail "ss (iproute2) missing"

# Established connections from collectord to the gateway's port.
conns() {
	ss -tnH state established "( dport = :$GWPORT )" | wc -l | tr -d ' '
}
# Wait until conns is $1, then hold still 1 s: it must stay there.
conns_settle() {
	av_wait_for 10 sh -c "[ \"\$(ss -tnH state established '( dport = :$GWPORT )' | wc -l)\" -ge $1 ]" ||
	    fail "$(conns) connections to the gateway, expected $1"
	sleep 1
	assert_eq "connections to the gateway" "$1" "$(conns)"
}

gw_mode hang
gw_start

note "a backlog of 100 events in batches of 10, max_inflight = 4: four requests at once"
cd_conf "batch_max_events = 10" "max_inflight = 4" "request_timeout_ms = 60s"
cd_start
out=$("$CLIENT" -s "$SOCK" -n 100 -o "$T/acked" -p inflight-) || fail "$out"
assert_contains "client" "$out" "acked 100 "
conns_settle 4
assert_eq "events in flight" 40 "$(cd_stat inflight)"

note "kill -9 with all four unanswered, then the gateway answers: all 100 arrive"
kill -KILL "$CDPID"
wait "$CDPID" 2>/dev/null
gw_mode 200
cd_start
wait_unique 100 20 || fail "only $(gw_unique) of 100 arrived"
cut -d' ' -f1 "$GW/events" | sort -u >"$T/got.ids"
cut -d' ' -f1 "$T/acked" | sort -u >"$T/acked.ids"
cmp -s "$T/acked.ids" "$T/got.ids" || fail "the ids received differ from the ids acked"
assert_eq "spooled after delivery" 0 "$(cd_stat spooledEvents)"
av_stop "$CDPID" >"$T/rc"
assert_eq "collectord exit" 0 "$(cat "$T/rc")"

note "the first batch unanswered, the three after it taken: nothing is released"
rm -rf "$SPOOL"
"$CLIENT" -g -n 100 -p order- >"$T/order.ndjson"
first=$(head -n 1 "$T/order.ndjson" | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4)
: >"$GW/events"
gw_mode "hang $first"
cd_conf "batch_max_events = 10" "max_inflight = 4" "request_timeout_ms = 60s"
cd_start
"$CLIENT" -s "$SOCK" -r <"$T/order.ndjson" >"$T/order.replies" ||
    fail "sending: $(tail -n 2 "$T/order.replies")"
wait_unique 30 10 || fail "$(gw_unique) events taken, expected the 30 after the first batch"
sleep 1
assert_eq "taken while the first batch hangs" 30 "$(gw_unique)"
assert_eq "still spooled" 100 "$(cd_stat spooledEvents)"
kill -KILL "$CDPID"
wait "$CDPID" 2>/dev/null
gw_mode 200
cd_start
wait_unique 100 20 || fail "only $(gw_unique) of 100 arrived after the restart"
cut -d' ' -f1 "$GW/events" | grep -qx "$first" || fail "the first batch's event never arrived"
av_stop "$CDPID" >"$T/rc"
assert_eq "collectord exit" 0 "$(cat "$T/rc")"

note "max_inflight = 1: one request at a time, as before"
gw_mode hang
cd_conf "batch_max_events = 10" "max_inflight = 1" "request_timeout_ms = 60s"
cd_start
out=$("$CLIENT" -s "$SOCK" -n 100 -p one-) || fail "$out"
conns_settle 1
assert_eq "events in flight" 10 "$(cd_stat inflight)"
kill -KILL "$CDPID"
wait "$CDPID" 2>/dev/null
rm -rf "$SPOOL"

note "a trickle with max_inflight = 4: one request at a time, events gather behind it"
gw_mode hang
cd_conf "batch_max_events = 10" "max_inflight = 4" "request_timeout_ms = 60s"
cd_start
for i in 1 2 3 4 5; do
	out=$("$CLIENT" -s "$SOCK" -n 1 -p "trickle$i-") || fail "$out"
	sleep 0.1
done
conns_settle 1
exit 0
