#!/bin/sh
# collectord_fallback.sh: files hookcli left in the fallback directory
# while collectord was unreachable are taken in at start and while
# running: valid events stamped origin {uid: the file's owner, pid: 0,
# via: "fallback"}, invalid lines dead-lettered, the file deleted; files
# still being written (.tmp-*) are left alone.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"
[ -x "$HOOKCLI" ] || skip "hookcli not built"

IN=$SPOOL/incoming
gw_start -B
cd_conf "fallback_scan_ms = 200"
cd_start
cd_stop_ok			# leaves the directories behind

# collectord is down: hookcli parks its events in the fallback dir.
"$CLIENT" -g -n 5 -p fb- >"$T/five.ndjson"
"$HOOKCLI" -s "$SOCK" -F "$IN" send "$T/five.ndjson" 2>"$T/hookcli.err" ||
    fail "hookcli failed: $(cat "$T/hookcli.err")"
"$HOOKCLI" -s "$SOCK" -F "$IN" task-started --agent-id fb-agent --agent-name tester ||
    fail "hookcli failed"
assert_eq "parked files" 2 "$(ls "$IN" | grep -c '\.ndjson$')"

# A file of another user, with a bad line and a half-written last one.
"$CLIENT" -g -n 2 -p other- >"$T/other"
{ cat "$T/other"; echo 'this is not json'; printf '{"event_type":"agent_spawned"'; } >"$IN/123-456-other.ndjson"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown "$(id -u nobody):$(id -g nobody)" "$IN/123-456-other.ndjson"
	other_uid=$(id -u nobody)
else
	other_uid=$(id -u)
fi
# Not finished yet: must stay.
echo '{"partial":' >"$IN/.tmp-inprogress"

cd_start
wait_unique 8 10 || fail "only $(gw_unique) of 8 arrived"
av_wait_for 5 sh -c "! ls '$IN' | grep -q ndjson" || fail "files left: $(ls "$IN")"
[ -f "$IN/.tmp-inprogress" ] || fail "an unfinished file was taken"

bodies=$(cat "$GW/bodies")
for id in $(grep -o '"event_id":"[^"]*"' "$T/five.ndjson" | cut -d'"' -f4); do
	grep -q "$id" "$GW/events" || fail "$id did not arrive"
done
assert_contains "origin of hookcli's files" "$bodies" "\"origin\":{\"uid\":$(id -u),\"gid\":$(id -g),\"pid\":0,\"via\":\"fallback\"}"
assert_contains "origin of the other user's file" "$bodies" "\"origin\":{\"uid\":$other_uid,"
assert_contains "event built by hookcli" "$bodies" '"agent_id":"fb-agent"'
DL=$SPOOL/dead-letter.ndjson
assert_eq "dead letters" 2 "$(wc -l <"$DL" | tr -d ' ')"
assert_contains "dead letter" "$(cat "$DL")" '"source":"fallback:123-456-other.ndjson","line":"this is not json"'
assert_eq "fallbackFiles" 3 "$(cd_stat fallbackFiles)"

# While running: a new parked file is taken in within a scan or two.
"$CLIENT" -g -n 3 -p later- >"$T/later.ndjson"
"$HOOKCLI" -s "$T/nowhere.sock" -F "$IN" send "$T/later.ndjson" 2>/dev/null ||
    fail "hookcli could not park"
wait_unique 11 10 || fail "the file dropped while running was not taken in"
cd_stop_ok

# allow_uids applies to the owners of fallback files as to the socket.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	cd_conf "fallback_scan_ms = 200" "allow_uids = 12345"
	cd_start
	"$CLIENT" -g -n 1 -p denied- >"$T/denied.ndjson"
	did=$(grep -o '"event_id":"[^"]*"' "$T/denied.ndjson" | cut -d'"' -f4)
	cp "$T/denied.ndjson" "$IN/1-1-denied.ndjson"
	chown "$(id -u nobody):$(id -g nobody)" "$IN/1-1-denied.ndjson"
	gone() { [ ! -e "$IN/1-1-denied.ndjson" ]; }
	av_wait_for 5 gone || fail "the refused owner's file was not handled"
	line=$(grep "$did" "$DL") || fail "the refused owner's event is not in the dead-letter file"
	assert_contains "refused owner" "$line" "\"reason\":\"file owner uid $(id -u nobody) is not allowed"
	grep -q "$did" "$GW/events" && fail "a refused owner's event was delivered"
	cd_stop_ok
fi
exit 0
