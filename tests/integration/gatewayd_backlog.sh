#!/bin/sh
# max_ingest_backlog: when the SQLite writer is behind, new batches get
# 503 "store busy" with Retry-After before they are parsed, so a stalled
# disk bounds gatewayd's memory; a body always reaches an idle writer;
# nothing refused is stored, and everything retried afterwards is.
# The stall is an outside sqlite3 holding the write lock: the writer waits
# for it (500 ms busy timeout), then fails its batch with 503 too.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

[ -n "${SQLITE3:-}" ] || skip "sqlite3 missing"

DB=$T/events.db
batch 1 10 >"$T/a"
batch 11 20 >"$T/b"
batch 21 30 >"$T/c"
size=$(wc -c <"$T/a" | tr -d ' ')

# three: POST a, b and c at once; statuses in $T/st.X, answers in $T/r.X.
three() {
	local pids=
	for x in a b c; do
		"$CURL" -s -m 20 -o "$T/r.$x" -w '%{http_code}' -D "$T/h.$x" \
		    -H 'Content-Type: application/json' --data-binary "@$T/$x" \
		    "$URL/api/v1/events/ingest" >"$T/st.$x" &
		pids="$pids $!"
	done
	wait $pids
}

# busy_answers: how many of a, b, c were refused as busy.
busy_answers() {
	cat "$T/r.a" "$T/r.b" "$T/r.c" | grep -c 'store busy' || :
}

cat >"$T/gw.conf" <<EOC
rate_limit = 0
max_ingest_backlog = 1K
EOC
gw_start -c "$T/gw.conf" --store "sqlite:$DB"

# Over the limit, but the writer is idle: stored.
[ "$size" -gt 1024 ] || fail "test batch of $size bytes is not over 1K"
assert_eq "a body over the limit to an idle writer" 200 "$(post "$T/a")"
assert_contains "stored" "$(cat "$T/resp")" '"accepted":10,'

# The writer is stuck on the lock with one batch; the others are refused
# at once. Under a heavy load the three may not meet within the writer's
# 500 ms wait, so it is tried a few times.
batch 31 40 >"$T/a"
tries=0
while :; do
	db_lock "$DB"
	three
	db_unlock
	nbusy=$(busy_answers)
	tries=$((tries + 1))
	[ "$nbusy" -gt 0 ] || [ "$tries" -ge 5 ] && break
	note "no busy answer on try $tries: $(cat "$T/st.a" "$T/st.b" "$T/st.c")"
done
[ "$nbusy" -gt 0 ] || fail "never answered 503 store busy behind a stuck writer"
for x in a b c; do
	assert_eq "stuck writer: $x" 503 "$(cat "$T/st.$x")"
	assert_contains "stuck writer: $x retry-after" \
	    "$(tr -d '\r' <"$T/h.$x" | tr 'A-Z' 'a-z')" 'retry-after: 1'
done
assert_contains "busy answer names the limit" "$(cat "$T/r.a" "$T/r.b" "$T/r.c")" \
    'bytes of ingest wait to be stored (max_ingest_backlog 1024); retry later'
# The one that reached the writer failed on the lock.
assert_contains "the stuck batch" "$(cat "$T/r.a" "$T/r.b" "$T/r.c")" \
    'store unavailable'
assert_contains "logged when refusing starts" "$(cat "$T/gatewayd.log")" \
    'the store is behind'
assert_contains "logged when it caught up" "$(cat "$T/gatewayd.log")" \
    'the store caught up'
assert_eq "metrics" 200 "$(get /metrics)"
assert_contains "nothing waits now" "$(cat "$T/resp")" \
    'agentvis_ingest_backlog_bytes 0'
assert_contains "counted as 503" "$(cat "$T/resp")" \
    'agentvis_ingest_requests_total{status="503"} '"$((tries * 3))"

# Retried, every batch is stored: nothing refused was kept, nothing lost.
for x in a b c; do
	assert_eq "retry $x" 200 "$(post "$T/$x")"
	assert_contains "retry $x stored whole" "$(cat "$T/resp")" '"accepted":10,'
done
assert_eq "rows" 40 "$("$SQLITE3" "$DB" 'SELECT count(*) FROM events')"
gw_stop

# max_ingest_backlog = 0: no limit, every batch waits for the writer.
cat >"$T/gw.conf" <<EOC
rate_limit = 0
max_ingest_backlog = 0
EOC
gw_start -c "$T/gw.conf" --store "sqlite:$DB"
batch 41 50 >"$T/a"
batch 51 60 >"$T/b"
batch 61 70 >"$T/c"
db_lock "$DB"
three
db_unlock
assert_eq "no limit: never busy" 0 "$(busy_answers)"
gw_stop
