#!/bin/sh
# quickstart_serve.sh: quickstart.sh's set-up makes collectord's proof by
# itself. Its daemons (started as "quickstart.sh serve" does after the
# build, on this build) share an ingest token in a file only this user
# may read; the demo events arrive with the origin collectord stamped,
# none is dead-lettered, and the dashboard's reads need no token.
. "$top_srcdir/tests/integration/lib.sh"
for b in "$HOOKCLI" "$COLLECTORD" "$GATEWAYD"; do
	[ -x "$b" ] || skip "$b not built"
done
command -v bash >/dev/null || skip "bash missing"
command -v jq >/dev/null || skip "jq missing"

PORT=$(av_free_port)
URL=http://127.0.0.1:$PORT
VAR=$T/qs
AGENTVIS_BUILD=$top_builddir AGENTVIS_VAR=$VAR AGENTVIS_PORT=$PORT DEMO_DELAY=0 \
    av_start quickstart bash "$top_srcdir/quickstart.sh" serve
QSPID=$AV_LAST_PID
av_wait_for 60 grep -q 'Ctrl-C stops both daemons' "$T/quickstart.log" ||
	fail "quickstart did not finish its demo: $(tail -n 20 "$T/quickstart.log")"

TOK=$VAR/ingest.token
[ -f "$TOK" ] || fail "no token file $TOK"
assert_eq "token file mode" 600 "$(stat -c %a "$TOK")"
assert_eq "token file owner" "$(id -u)" "$(stat -c %u "$TOK")"
assert_eq "one token in it" 1 "$(grep -vc '^#' "$TOK")"

# Every demo event went through collectord and kept its origin.
av_wait_for 20 sh -c "[ \"\$(curl -s '$URL/api/v1/events/stats' | jq .total)\" -gt 20 ]" ||
	fail "the demo events were not stored: $(tail -n 5 "$VAR/collectord.log")"
curl -s -o "$T/events" -w '%{http_code}' "$URL/api/v1/events?limit=1000" >"$T/code"
assert_eq "events without a token" 200 "$(cat "$T/code")"
jq -e --argjson u "$(id -u)" '.events | length > 20 and
    all(.metadata.origin.via == "socket" and .metadata.origin.uid == $u)' \
    "$T/events" >/dev/null || fail "events without collectord's origin: $(head -c 600 "$T/events")"
[ ! -s "$VAR/spool/dead-letter.ndjson" ] ||
	fail "dead-lettered: $(head -c 600 "$VAR/spool/dead-letter.ndjson")"

# A second start keeps the token.
sum=$(cksum <"$TOK")
av_stop "$QSPID" >/dev/null
AGENTVIS_BUILD=$top_builddir AGENTVIS_VAR=$VAR AGENTVIS_PORT=$PORT DEMO_DELAY=0 \
    av_start quickstart2 bash "$top_srcdir/quickstart.sh" serve
av_wait_for 60 grep -q 'Ctrl-C stops both daemons' "$T/quickstart2.log" ||
	fail "quickstart did not start again: $(tail -n 20 "$T/quickstart2.log")"
assert_eq "token kept" "$sum" "$(cksum <"$TOK")"
av_stop "$AV_LAST_PID" >/dev/null
exit 0
