#!/bin/sh
# gatewayd_origin.sh: metadata.origin is collectord's statement of which
# process made an event, so gatewayd takes it only from a caller that
# shows an ingest token. As installed (one ingest token file shared by
# both daemons), hookcli's real uid, gid and pid are stored, a direct POST
# needs the token and the dashboard's reads and stream need none; with no
# token at all a forged origin is a 422 naming the field, and an event
# without one is stored as before; with only an ingest token configured
# reading stays open on loopback (Host check included) but not beyond it.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"
command -v jq >/dev/null || skip "jq missing"

FORGED='"origin":{"uid":0,"gid":0,"pid":1,"via":"socket"}'
MSG='origin may only be set by an authenticated collectord'

# The origin stored with event_id ID, compact, keys sorted.
stored_origin() {
	stored "SELECT json_extract(json, '\$.metadata.origin') FROM events WHERE event_id = '$1'" |
	    jq -cS .
}

note "as installed: collectord's token makes the proof"
[ "$(stat -c %a "$TOKEN_FILE")" = 600 ] ||
	fail "token file mode $(stat -c %a "$TOKEN_FILE") under umask 077"
gw_up
cd_up
id=$(printf '00000000-0000-4000-8000-%012d' 161)
# exec: the pid written is the pid hookcli runs as.
ev 161 | sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/hookcli.pid" \
    "$HOOKCLI" --strict -t 5000 send - || fail "hookcli did not deliver"
wait_stored 1 30 || fail "the event was not stored: $(cat "$T/dead.ndjson" 2>/dev/null)"
assert_eq "stored origin: hookcli's own" \
    "{\"gid\":$(id -g),\"pid\":$(cat "$T/hookcli.pid"),\"uid\":$(id -u),\"via\":\"socket\"}" \
    "$(stored_origin "$id")"
[ ! -s "$T/dead.ndjson" ] || fail "dead-lettered: $(cat "$T/dead.ndjson")"

# Anyone else: the token is needed to send at all.
ev 2 agent_spawned "$FORGED" >"$T/forged.json"
assert_eq "forged origin, no token" 401 "$(post "$T/forged.json")"
assert_eq "forged origin, wrong token" 401 \
    "$(post "$T/forged.json" -H 'Authorization: Bearer not-the-token')"
assert_eq "rows after the forged posts" 1 "$(stored 'SELECT count(*) FROM events')"

# Reading is as without tokens: the dashboard, the read API, the stream.
assert_eq "health" 200 "$(get /api/v1/health)"
assert_contains "health: reads need no token" "$(cat "$T/resp")" '"auth":false'
assert_eq "dashboard" 200 "$(get /)"
assert_eq "events without a token" 200 "$(get /api/v1/events)"
assert_eq "read the stored event" 1 "$(jq '.events | length' "$T/resp")"
assert_eq "metrics without a token" 200 "$(get /metrics)"
"$WSCLIENT" -n 2 -t 5000 "$PORT" "$STREAM?user_id=1&since=0" >"$T/ws.out" 2>"$T/ws.err" ||
	fail "stream without a token: $(cat "$T/ws.err")"
assert_contains "stream replays the event" "$(cat "$T/ws.out")" "\"event_id\":\"$id\""
av_stop "$CDPID" >/dev/null
gw_stop

note "no token at all: a forged origin is refused by name"
gw_start --store memory
assert_eq "batch with a forged origin" 422 "$(post "$T/forged.json")"
assert_eq "single event: loc" '["body","metadata","origin"]' \
    "$(jq -c '.detail[0].loc' "$T/resp")"
batch 3 4 >"$T/b.json"
# The second event of the batch carries the origin.
jq -c ".events[1].metadata += {$FORGED}" "$T/b.json" >"$T/b-forged.json"
assert_eq "batch, one forged origin" 422 "$(post "$T/b-forged.json")"
assert_eq "batch: loc" '["events",1,"metadata","origin"]' \
    "$(jq -c '.detail[0].loc' "$T/resp")"
assert_contains "batch: message" "$(jq -r '.detail[0].msg' "$T/resp")" "$MSG"
assert_eq "batch: type" '"extra_forbidden"' "$(jq -c '.detail[0].type' "$T/resp")"
assert_eq "batch: nothing stored" 0 "$(get /api/v1/events >/dev/null; jq '.events | length' "$T/resp")"
# Without origin, as before: no token, stored.
assert_eq "batch without origin" 200 "$(post "$T/b.json")"
assert_contains "stored" "$(cat "$T/resp")" '"accepted":2'
gw_stop

note "only an ingest token: ingest needs it, reading stays open"
umask 077
printf 'ingest_tokens = origin-token-1\n' >"$T/ingest-only.conf"
gw_start -c "$T/ingest-only.conf" --store memory
assert_eq "forged origin, no token" 401 "$(post "$T/forged.json")"
assert_eq "origin with the token" 200 \
    "$(post "$T/forged.json" -H 'Authorization: Bearer origin-token-1')"
assert_eq "no origin, no token" 401 "$(post "$T/b.json")"
assert_eq "no origin, with the token" 200 \
    "$(post "$T/b.json" -H 'Authorization: Bearer origin-token-1')"
assert_eq "events without a token" 200 "$(get /api/v1/events)"
assert_eq "all three stored" 3 "$(jq '.events | length' "$T/resp")"
assert_eq "the origin kept as sent" '{"gid":0,"pid":1,"uid":0,"via":"socket"}' \
    "$(jq -cS '.events[] | select(.event_id | endswith("000000000002")) | .metadata.origin' "$T/resp")"
assert_eq "connections without a token" 200 "$(get /api/v1/agents/activity/connections)"
"$WSCLIENT" -n 2 -t 5000 "$PORT" "$STREAM?since=0" >"$T/ws2.out" 2>"$T/ws2.err" ||
	fail "stream without a token: $(cat "$T/ws2.err")"
# Open reading keeps its guard against DNS rebinding.
assert_eq "foreign Host" 403 "$(get /api/v1/events -H 'Host: rebind.example')"
gw_stop

note "only an ingest token, beyond loopback: reading needs a token"
PORT=$(av_free_port)
URL=http://127.0.0.1:$PORT
av_start gatewayd-open "$GATEWAYD" -c "$T/ingest-only.conf" -l "0.0.0.0:$PORT" \
    --store memory --www "$T/www"
GWPID=$AV_LAST_PID
av_wait_http "$URL/api/v1/health"
assert_contains "health: reads need a token" "$(get /api/v1/health; cat "$T/resp")" '"auth":true'
assert_eq "events without a token" 401 "$(get /api/v1/events)"
"$WSCLIENT" -t 3000 "$PORT" "$STREAM" >/dev/null 2>&1
assert_eq "stream without a token" 2 $?
gw_stop
exit 0
