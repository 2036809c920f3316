#!/bin/sh
# collectord killed with SIGKILL under load and restarted: every event a
# hook saw acknowledged (delivered or parked in the fallback dir) is stored
# exactly once and streamed exactly once.
# Thousands of hook processes take minutes under ASan on 2 busy cores.
AV_TEST_TIMEOUT=${AV_TEST_TIMEOUT:-600}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

LOOPS=6
PER=500
gw_up
cd_up
ws_follow w $((LOOPS * PER)) "user_id=1" &
AV_PIDS="$AV_PIDS $!"
ws_wait_conns 1

# One loop: record the n of every event hookcli reported as taken (exit 0).
loop() {
	local l=$1 i=1
	while [ $i -le $PER ]; do
		if "$HOOKCLI" --strict -q budget-updated --agent-id "agent-$l" \
		    --agent-name "worker$l" --remaining $i --total $PER --delta -1 \
		    n="$l-$i"; then
			echo "$l-$i" >>"$T/acked.$l"
		fi
		i=$((i + 1))
	done
}
l=1
while [ $l -le $LOOPS ]; do
	bg_loop loop $l
	l=$((l + 1))
done

# Kill it twice while the loops run, restarting it each time.
for round in 1 2; do
	sleep 1.5
	kill -KILL "$CDPID"
	wait "$CDPID" 2>/dev/null
	note "collectord killed (round $round)"
	sleep 0.5
	cd_up
done
wait_loops

cat "$T"/acked.* | sort >"$T/acked"
ACKED=$(wc -l <"$T/acked" | tr -d ' ')
note "$ACKED of $((LOOPS * PER)) events acknowledged to hooks"
[ "$ACKED" -gt 0 ] || fail "no event acknowledged"

# Everything acked arrives; the stored set may only be larger by events
# whose hook gave up after sending (at-least-once, then deduplicated).
av_wait_for 60 sh -c "[ \"\$(\"$SQLITE3\" \"$DB\" 'SELECT count(*) FROM events')\" -ge $ACKED ]" ||
    fail "only $(stored 'SELECT count(*) FROM events') of $ACKED stored"
stored "SELECT json_extract(json, '\$.metadata.n') FROM events" | sort >"$T/stored"
assert_eq "stored twice" "" "$(uniq -d "$T/stored" | head -n 3)"
missing=$(comm -23 "$T/acked" "$T/stored" | head -n 5)
assert_eq "acked but not stored" "" "$missing"

N=$(wc -l <"$T/stored" | tr -d ' ')
av_wait_for 30 sh -c "[ \$(grep -c '\"type\":\"agent_event\"' \"$T/w.out\") -ge $N ]" ||
    fail "streamed $(grep -c '"type":"agent_event"' "$T/w.out") of $N"
stream_ns "$T/w.out" | sort >"$T/streamed"
assert_eq "streamed twice" "" "$(uniq -d "$T/streamed" | head -n 3)"
assert_eq "streamed = stored" "" "$(comm -3 "$T/stored" "$T/streamed" | head -n 5)"
