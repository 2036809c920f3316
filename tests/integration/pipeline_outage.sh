#!/bin/sh
# gatewayd down for 30 s while hooks keep firing, then up again: nothing
# lost, nothing doubled, in the store and on the stream (a client that
# resumes with since= from the last seq it saw gets exactly the rest).
# Thousands of hook processes take minutes under ASan on 2 busy cores.
AV_TEST_TIMEOUT=${AV_TEST_TIMEOUT:-600}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

LOOPS=4
PER=400
TOTAL=$((LOOPS * PER))
gw_up
cd_up
ws_start a -t 550000 "$PORT" "$STREAM?user_id=1"
ws_wait_conns 1

# Paced loops so the load spans the outage (about 45 s each).
loop() {
	local l=$1 i=1
	while [ $i -le $PER ]; do
		"$HOOKCLI" --strict task-started --agent-id "agent-$l" \
		    --agent-name "worker$l" n="$l-$i" ||
		    echo "$l-$i $?" >>"$T/failed.$l"
		sleep 0.1
		i=$((i + 1))
	done
}
l=1
while [ $l -le $LOOPS ]; do
	bg_loop loop $l
	l=$((l + 1))
done

sleep 3
note "gatewayd down at $(stored 'SELECT count(*) FROM events') events stored"
gw_stop
ws_wait a
sleep 30
[ "$("$HOOKCLI" stats | jq .gatewayUp)" = false ] || fail "collectord did not notice the outage"
gw_up
note "gatewayd up again"
wait_loops
[ -z "$(cat "$T"/failed.* 2>/dev/null)" ] ||
    fail "hookcli failed: $(head -n 5 "$T"/failed.*)"

wait_stored $TOTAL 60 || fail "only $(stored 'SELECT count(*) FROM events') of $TOTAL stored"
assert_eq "stored rows" $TOTAL "$(stored 'SELECT count(*) FROM events')"
assert_eq "distinct n stored" $TOTAL \
    "$(stored "SELECT count(DISTINCT json_extract(json, '\$.metadata.n')) FROM events")"

# The first client saw events until the shutdown; resume after its last seq.
last=$(grep '"type":"agent_event"' "$T/a.out" | tail -n 1 | jq .event.seq)
[ -n "$last" ] || last=0
note "first client saw up to seq $last"
ws_start b -n $((TOTAL - last + 1)) -t 30000 "$PORT" "$STREAM?user_id=1&since=$last"
ws_wait b
assert_eq "resumed client" 0 "$(cat "$T/b.rc")"
{ stream_ns "$T/a.out"; stream_ns "$T/b.out"; } | sort >"$T/streamed"
assert_eq "streamed" $TOTAL "$(wc -l <"$T/streamed" | tr -d ' ')"
assert_eq "streamed twice" "" "$(uniq -d "$T/streamed" | head -n 3)"
