#!/bin/sh
# collectord_deadletter.sh: the gateway answers 422 for two events of a
# batch of 100: those two go to the dead-letter file with the reason, the
# other 98 are resent and delivered, and nothing stays spooled.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

"$CLIENT" -g -n 100 -p dl- >"$T/sent.ndjson"
id17=$(sed -n 18p "$T/sent.ndjson" | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4)
id63=$(sed -n 64p "$T/sent.ndjson" | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4)

# Down while the 100 are taken in, so that they travel as one batch.
gw_mode down
gw_start
cd_conf "retry_base_ms = 300" "retry_max_ms = 300" "batch_max_events = 100"
cd_start
"$CLIENT" -s "$SOCK" -r <"$T/sent.ndjson" >"$T/replies"
assert_eq "acks" 100 "$(grep -c '"ok":true' "$T/replies")"
gw_mode "422 $id17 $id63"
wait_unique 98 15 || fail "only $(gw_unique) of 98 arrived"
sleep 0.5

assert_eq "delivered" 98 "$(gw_unique)"
grep -q "$id17\|$id63" "$GW/events" && fail "a refused event was delivered"
# One 422 for the batch of 100, then the 98 accepted.
grep -q '^422 100 ' "$GW/requests" || fail "no 422 for a batch of 100: $(cat "$GW/requests")"
grep -q '^200 98 ' "$GW/requests" || fail "the 98 were not resent as one batch: $(cat "$GW/requests")"

DL=$SPOOL/dead-letter.ndjson
[ -f "$DL" ] || fail "no dead-letter file"
assert_eq "dead letters" 2 "$(wc -l <"$DL" | tr -d ' ')"
for id in "$id17" "$id63"; do
	line=$(grep "\"event_id\":\"$id\"" "$DL") || fail "$id not in the dead-letter file"
	assert_contains "dead letter" "$line" '"reason":"agent_id: poisoned by the test"'
	assert_contains "dead letter" "$line" '"status":422'
	assert_contains "dead letter" "$line" '"via":"socket"'
done
assert_eq "droppedEvents" 2 "$(cd_stat droppedEvents)"
assert_eq "spooledEvents" 0 "$(cd_stat spooledEvents)"
cd_stop_ok
exit 0
