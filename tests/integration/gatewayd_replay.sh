#!/bin/sh
# gatewayd since replay: a client resuming from a seq while events keep
# arriving gets every later event exactly once, in order: no gap and no
# duplicate at the switch from the store to live.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

gw_start --store "sqlite:$T/events.db"
S=/api/v1/agents/activity/stream

# 30 batches stored before, 30 more posted while the client replays.
i=0
while [ $i -lt 60 ]; do
	batch $((i * 100 + 1)) $((i * 100 + 100)) >"$T/b$i"
	i=$((i + 1))
done
i=0
while [ $i -lt 30 ]; do
	assert_eq "batch $i" 200 "$(post "$T/b$i")"
	i=$((i + 1))
done

(
	i=30
	while [ $i -lt 60 ]; do
		post "$T/b$i" >"$T/late.$i"
		i=$((i + 1))
	done
) &
poster=$!
# Resume after seq 1000: 2000 stored events to replay, 3000 arriving.
ws_start r -n 5001 -t 30000 "$PORT" "$S?user_id=1&since=1000"
wait $poster
ws_wait r
assert_eq "replay client" 0 "$(cat "$T/r.rc")"
for f in "$T"/late.*; do
	assert_eq "late batch $f" 200 "$(cat "$f")"
done

assert_eq "connected first" 1 "$(head -n 1 "$T/r.out" | count /dev/stdin '"type":"connected"')"
grep '"type":"agent_event"' "$T/r.out" | grep -o '"seq":[0-9]*' | cut -d: -f2 >"$T/seqs"
seq 1001 6000 >"$T/want"
cmp -s "$T/want" "$T/seqs" || {
	diff "$T/want" "$T/seqs" | head -n 10
	fail "replayed seqs are not exactly 1001..6000 in order"
}

# A client resuming at the head gets nothing old, then live events.
ws_start h -n 2 -t 10000 "$PORT" "$S?user_id=1&since=6000"
ws_wait_conns 1
batch 7001 7001 >"$T/blast"
assert_eq "one more" 200 "$(post "$T/blast")"
ws_wait h
assert_contains "live after head" "$(sed -n 2p "$T/h.out")" '"seq":6001,'

# The same ordering through the read API: pages chained by next.
assert_eq "page 1" 200 "$(get '/api/v1/events?since=0&limit=1000')"
assert_contains "next" "$(cat "$T/resp")" '],"next":1000}'
assert_eq "last page" 200 "$(get '/api/v1/events?since=6000&limit=1000')"
assert_contains "next null" "$(cat "$T/resp")" '"seq":6001,'
assert_contains "next null" "$(cat "$T/resp")" '],"next":null}'
gw_stop
