#!/bin/sh
# 10,000 events from 8 parallel hook loops: every one stored once and
# streamed once to a WebSocket client connected throughout.
# Thousands of hook processes take minutes under ASan on 2 busy cores.
AV_TEST_TIMEOUT=${AV_TEST_TIMEOUT:-600}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

LOOPS=8
PER=1250
TOTAL=$((LOOPS * PER))
gw_up
cd_up
ws_follow w $TOTAL "user_id=1" &
WS_w=$!
AV_PIDS="$AV_PIDS $WS_w"
ws_wait_conns 1

# One loop: PER hook invocations, each tagged n=L-I; failures recorded.
loop() {
	local l=$1 i=1
	while [ $i -le $PER ]; do
		"$HOOKCLI" --strict operation-allowed --agent-id "agent-$l" \
		    --agent-name "worker$l" --operation write_file n="$l-$i" ||
		    echo "$l-$i $?" >>"$T/failed.$l"
		i=$((i + 1))
	done
}
l=1
while [ $l -le $LOOPS ]; do
	bg_loop loop $l
	l=$((l + 1))
done
wait_loops
[ -z "$(cat "$T"/failed.* 2>/dev/null)" ] ||
    fail "hookcli failed: $(head -n 5 "$T"/failed.*)"

wait_stored $TOTAL 60 || fail "only $(stored 'SELECT count(*) FROM events') of $TOTAL stored"
ws_wait w
assert_eq "stream client" 0 "$(cat "$T/w.rc")"

assert_eq "stored rows" $TOTAL "$(stored 'SELECT count(*) FROM events')"
assert_eq "distinct n stored" $TOTAL \
    "$(stored "SELECT count(DISTINCT json_extract(json, '\$.metadata.n')) FROM events")"
stream_ns "$T/w.out" | sort >"$T/streamed"
assert_eq "streamed" $TOTAL "$(wc -l <"$T/streamed" | tr -d ' ')"
assert_eq "streamed twice" "" "$(uniq -d "$T/streamed" | head -n 3)"
[ -f "$T/w.lagged" ] && note "stream client lagged and resumed $(wc -l <"$T/w.lagged") times"
true
