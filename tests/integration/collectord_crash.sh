#!/bin/sh
# collectord_crash.sh: kill -9 collectord while 10,000 events stream in
# over pipelined connections; restart it: every event that was acked to
# a client arrives at the gateway. Once with the gateway down (the acked
# events exist only in the spool) and once with it up (kill during
# delivery: released and unreleased records around the crash).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

# Are all ids of file $1 among those the gateway accepted?
all_arrived() {
	cut -d' ' -f1 "$GW/events" 2>/dev/null | sort -u >"$T/got.ids"
	sort -u "$1" >"$T/want.ids"
	[ -z "$(comm -23 "$T/want.ids" "$T/got.ids" | head -1)" ]
}

# Stream 10,000 events, kill -9 collectord after $1 acks.
crash_run() {
	"$CLIENT" -s "$SOCK" -n 10000 -c 4 -w 64 -R 10000 -q -o "$T/acked.$2" \
	    >"$T/client.$2.out" 2>&1 &
	cpid=$!
	av_wait_for 20 sh -c "[ \$(wc -l <'$T/acked.$2') -ge $1 ]" ||
	    fail "no acks"
	kill -KILL "$CDPID"
	wait "$CDPID" 2>/dev/null
	wait "$cpid"
	n=$(wc -l <"$T/acked.$2" | tr -d ' ')
	note "$2: killed after $n acks ($(cat "$T/client.$2.out" | tail -1))"
	[ "$n" -lt 10000 ] || note "$2: the client finished before the kill"
}

gw_mode down
gw_start
cd_conf "retry_base_ms = 100" "retry_max_ms = 300"
cd_start
crash_run 3000 down
[ -S "$SOCK" ] || fail "the socket should be left behind by kill -9"
gw_mode 200
cd_start			# must remove the stale socket and recover
av_wait_for 20 all_arrived "$T/acked.down" || fail "acked events lost: $(comm -23 "$T/want.ids" "$T/got.ids" | wc -l)"
note "down: all $(wc -l <"$T/acked.down") acked events arrived ($(gw_unique) distinct received)"

# Now with the gateway taking events while we crash.
crash_run 3000 up
cd_start
av_wait_for 20 all_arrived "$T/acked.up" || fail "acked events lost: $(comm -23 "$T/want.ids" "$T/got.ids" | wc -l)"
note "up: all $(wc -l <"$T/acked.up") acked events arrived; $(gw_received) deliveries of $(gw_unique) distinct"
cd_stop_ok
exit 0
