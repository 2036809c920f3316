#!/bin/sh
# gatewayd slow consumer: a client that stops reading fills its bounded
# queue, is told {"type":"lagged","resume_from":SEQ} and closed; a client
# reading at the same time gets every event.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

# Room for six batches: a reading client never lags, even on a busy
# machine; a sleeping one fills it after its socket buffers (~2 MB).
echo 'ws_queue_len = 300' >"$T/gatewayd.conf"
gw_start -c "$T/gatewayd.conf" --store "sqlite:$T/events.db"
S=/api/v1/agents/activity/stream

# 4 KB of metadata per event fills the socket buffers quickly.
pad=$(head -c 4000 /dev/zero | tr '\0' 'p')
i=0
while [ $i -lt 40 ]; do
	batch $((i * 50 + 1)) $((i * 50 + 50)) agent_spawned "\"pad\":\"$pad\"" >"$T/b$i"
	i=$((i + 1))
done

ws_start slow -w 8000 -t 30000 "$PORT" "$S?user_id=1"
ws_start fast -n 2001 -t 30000 "$PORT" "$S?user_id=2"
ws_wait_conns 2
i=0
while [ $i -lt 40 ]; do
	assert_eq "batch $i" 200 "$(post "$T/b$i")"
	i=$((i + 1))
done

ws_wait fast
assert_eq "fast client" 0 "$(cat "$T/fast.rc")"
assert_eq "fast client got everything" 2000 "$(count "$T/fast.out" '"type":"agent_event"')"
kill -0 "$WS_slow" 2>/dev/null && note "fast client done while the slow one still sleeps"

ws_wait slow
last=$(tail -n 1 "$T/slow.out")
case $last in
'{"type":"lagged","resume_from":'*'}') ;;
*) fail "slow client's last message is not lagged: $(echo "$last" | cut -c1-80)" ;;
esac
got=$(grep '"type":"agent_event"' "$T/slow.out" | tail -n 1 | grep -o '"seq":[0-9]*' | cut -d: -f2)
assert_eq "resume_from is the last seq received" "{\"type\":\"lagged\",\"resume_from\":${got:-0}}" "$last"
n=$(count "$T/slow.out" '"type":"agent_event"')
[ "$n" -lt 2000 ] || fail "slow client was not lagged ($n events)"

# Resuming from there gets the rest, without a gap.
ws_start resume -n $((1 + 2000 - n)) -t 30000 "$PORT" "$S?user_id=1&since=${got:-0}"
ws_wait resume
assert_eq "resumed" 0 "$(cat "$T/resume.rc")"
assert_contains "resumed from the next seq" "$(sed -n 2p "$T/resume.out")" "\"seq\":$(( ${got:-0} + 1 )),"
assert_contains "resumed to the end" "$(tail -n 1 "$T/resume.out")" '"seq":2000,'

assert_eq "metrics" 200 "$(get /metrics)"
assert_contains "lagged counted" "$(cat "$T/resp")" 'agentvis_ws_lagged_total 1'
gw_stop
