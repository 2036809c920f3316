#!/bin/sh
# pipeline_burst.sh: bursts of concurrent hooks against a collectord with
# few client slots: first while another client holds every slot, then
# while collectord is stopped for a moment. Every hook exits 0 with its
# event acked or parked, none lost, and once collectord has taken in the
# fallback directory every event is stored exactly once.
# Hundreds of hook processes take minutes under ASan on 2 busy cores.
AV_TEST_TIMEOUT=${AV_TEST_TIMEOUT:-600}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"
CLIENT=$top_builddir/tests/integration/collector_client
[ -x "$CLIENT" ] || skip "$CLIENT not built"

N=${BURST_N:-800}
HELD=$((N / 2))		# sent while every slot is held
gw_up
cd_up "max_clients = 16"
mkdir -p "$T/rc" "$T/err"

# One hook, tagged n=I; exit status in rc/I, stderr in err/I. The long
# deadline keeps the hooks waiting while collectord is stopped, however
# slowly this machine starts them.
hook() {
	local rc=0
	"$HOOKCLI" -t 10000 operation-allowed --agent-id "burst-$(($1 % 16))" \
	    --agent-name burst --operation write_file n="$1" \
	    </dev/null 2>"$T/err/$1" || rc=$?
	echo "$rc" >"$T/rc/$1"
}

# Start hooks $1 to $2 in the background; their pids go to $pids.
hooks() {
	local i=$1
	while [ "$i" -le "$2" ]; do
		hook "$i" &
		pids="$pids $!"
		i=$((i + 1))
	done
}

note "$HELD hooks while another client holds all 16 slots"
# It pings, so it is never idle and keeps the slots to the end.
"$CLIENT" -s "$SOCK" -H 16 -k 200 >"$T/hold.log" 2>&1 &
HOLD=$!
AV_PIDS="$AV_PIDS $HOLD"
av_wait_for 10 grep -q '^held 16$' "$T/hold.log" ||
    fail "could not take the slots: $(cat "$T/hold.log")"
pids=
hooks 1 "$HELD"
wait $pids
kill -USR1 "$HOLD"
wait "$HOLD"

note "$((N - HELD)) hooks while collectord is stopped for a moment"
kill -STOP "$CDPID"
pids=
hooks $((HELD + 1)) "$N"
sleep 0.5
kill -CONT "$CDPID"
wait $pids

failed=0
acked=0
parked=0
i=1
while [ $i -le $N ]; do
	if [ "$(cat "$T/rc/$i")" != 0 ]; then
		failed=$((failed + 1))
		[ $failed -le 3 ] && note "hook $i: exit $(cat "$T/rc/$i"): $(cat "$T/err/$i")"
	elif [ ! -s "$T/err/$i" ]; then
		acked=$((acked + 1))
	elif grep -q 'parked in' "$T/err/$i"; then
		parked=$((parked + 1))
	else
		failed=$((failed + 1))
		[ $failed -le 3 ] && note "hook $i: $(cat "$T/err/$i")"
	fi
	i=$((i + 1))
done
busy=$(grep -l 'max_clients' "$T"/err/* 2>/dev/null | wc -l | tr -d ' ')
note "acked $acked, parked $parked ($busy after a busy answer), lost $failed"
assert_eq "hooks that neither delivered nor parked" 0 "$failed"
assert_eq "acked + parked" "$N" $((acked + parked))
[ "$parked" -ge "$HELD" ] || fail "only $parked parked while the slots were held"

wait_stored "$N" 60 ||
    fail "only $(stored 'SELECT count(*) FROM events') of $N events stored"
# A hook that gave up waiting parks a copy of an event collectord may have
# read meanwhile; the store keeps one. Give late copies a moment.
sleep 1
assert_eq "stored rows" "$N" "$(stored 'SELECT count(*) FROM events')"
assert_eq "distinct event ids" "$N" "$(stored 'SELECT count(DISTINCT event_id) FROM events')"
assert_eq "distinct n" "$N" \
    "$(stored "SELECT count(DISTINCT json_extract(json, '\$.metadata.n')) FROM events")"
true
