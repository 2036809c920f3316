#!/bin/sh
# gatewayd_pg.sh: gatewayd on PostgreSQL stores on its writer thread. While
# a commit waits on the server (here another session holds the seq lock,
# as another gatewayd committing would), the read API, health and the
# stream keep answering; the batch is stored and streamed once the lock
# goes, and nothing is lost or doubled.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"
. "$top_srcdir/tests/integration/pg_common.sh"

pg_start
gw_start --store "$PG_URI"
STREAM=/api/v1/agents/activity/stream
ws_start w -n 9 -t 60000 "$PORT" "$STREAM"
ws_wait_conns 1

batch 1 5 >"$T/b1"
assert_eq "first batch" 200 "$(post "$T/b1")"

note "another session holds the seq lock: the next commit must wait"
mkfifo "$T/locker.sql"
"$PGBIN/psql" -X -q -At -d "$PG_URI" <"$T/locker.sql" >"$T/locker.out" 2>&1 &
LOCKER=$!
AV_PIDS="$AV_PIDS $LOCKER"
exec 3>"$T/locker.sql"
echo "BEGIN; SELECT 'locked', value FROM agentvis_meta WHERE key = 'last_seq' FOR UPDATE;" >&3
av_wait_for 10 grep -q '^locked|5$' "$T/locker.out" ||
	fail "the locker did not get the lock: $(cat "$T/locker.out")"

batch 6 8 >"$T/b2"
( post "$T/b2" >"$T/b2.status" ) &
POSTER=$!
# The batch reaches the writer, which waits for the lock.
av_wait_for 10 sh -c "\"$PGBIN/psql\" -X -At -d \"$PG_URI\" -c \"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'\" | grep -qv '^0$'" ||
	fail "the second batch never waited for the lock"
kill -0 "$POSTER" 2>/dev/null || fail "the second batch was answered under the lock: $(cat "$T/b2.status")"

note "reads go on while the commit waits"
assert_eq "health during the wait" 200 "$(get /api/v1/health --max-time 10)"
jq -e '.status == "ok" and .last_seq == 5' "$T/resp" >/dev/null ||
	fail "health: $(cat "$T/resp")"
assert_eq "events during the wait" 200 "$(get '/api/v1/events?limit=100' --max-time 10)"
assert_eq "events stored so far" 5 "$(jq '.events | length' "$T/resp")"
assert_eq "stats during the wait" 200 "$(get /api/v1/events/stats --max-time 10)"
assert_eq "agents during the wait" 200 "$(get /api/v1/agents --max-time 10)"
"$WSCLIENT" -n 1 -t 10000 "$PORT" "$STREAM" >"$T/w2.out" 2>"$T/w2.err" ||
	fail "a new stream client during the wait: $(cat "$T/w2.err")"
assert_contains "connected during the wait" "$(cat "$T/w2.out")" '"type":"connected"'
kill -0 "$POSTER" 2>/dev/null || fail "the lock went before the reads were done"

note "the lock goes: the batch is stored and streamed"
echo "COMMIT;" >&3
exec 3>&-
wait "$POSTER"
assert_eq "second batch" 200 "$(cat "$T/b2.status")"
ws_wait w
assert_eq "stream client" 0 "$(cat "$T/w.rc")"
assert_eq "events streamed" 8 "$(count "$T/w.out" '"type":"agent_event"')"
assert_eq "streamed in seq order" "1 2 3 4 5 6 7 8" \
    "$(grep '"type":"agent_event"' "$T/w.out" | jq -r .event.seq | tr '\n' ' ' | sed 's/ $//')"
assert_eq "rows stored" 8 "$(pg_sql 'SELECT count(*) FROM agentvis_events')"
assert_eq "last_seq" 8 "$(pg_sql "SELECT value FROM agentvis_meta WHERE key = 'last_seq'")"
gw_stop

note "duplicates however they are spelt, on a database of their own"
pg_sql 'CREATE DATABASE spellings' >/dev/null
spellings "postgresql://postgres@/spellings?host=$PGDIR"
exit 0
