#!/bin/sh
# gatewayd with SQLite across a restart: every event kept, seq keeps
# increasing, an event_id seen before the restart is still a duplicate.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

gw_start --store "sqlite:$T/events.db"
batch 1 10 >"$T/b1"
assert_eq "first run" 200 "$(post "$T/b1")"
assert_contains "seqs 1..10" "$(cat "$T/resp")" '"first_seq":1,"last_seq":10'
gw_stop

gw_start --store "sqlite:$T/events.db"
batch 11 20 >"$T/b2"
assert_eq "second run" 200 "$(post "$T/b2")"
assert_contains "seqs 11..20" "$(cat "$T/resp")" '"first_seq":11,"last_seq":20'
assert_eq "duplicate across restart" 200 "$(post "$T/b1")"
assert_contains "still a duplicate" "$(cat "$T/resp")" '"accepted":0,"duplicates":10'
assert_eq "health" 200 "$(get /api/v1/health)"
assert_contains "last_seq" "$(cat "$T/resp")" '"last_seq":20'
assert_eq "all events" 200 "$(get '/api/v1/events?limit=1000')"
grep -o '"seq":[0-9]*' "$T/resp" | cut -d: -f2 >"$T/seqs"
seq 1 20 >"$T/want"
cmp -s "$T/want" "$T/seqs" || fail "stored seqs are not 1..20"
gw_stop

if [ -n "${SQLITE3:-}" ]; then
	assert_eq "rows in the file" 20 "$("$SQLITE3" "$T/events.db" 'select count(*) from events')"
fi
