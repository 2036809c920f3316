#!/bin/sh
# collectord_outage.sh: 2,000 events sent through hookcli while the
# gateway is down for 10 s, then up: all 2,000 arrive, and with dedup by
# event_id (as gatewayd does) each exactly once. Nothing is dropped after
# max_retries: delivery goes on at retry_max_ms.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"
[ -x "$HOOKCLI" ] || skip "hookcli not built"

gw_mode down
gw_start
# The default schedule (1 s, 2 s, 4 s, 3 retries), then every 2 s.
cd_conf "retry_base_ms = 1000" "retry_max_ms = 2000" "max_retries = 3"
cd_start

"$CLIENT" -g -n 2000 -p outage- >"$T/sent.ndjson"
grep -o '"event_id":"[^"]*"' "$T/sent.ndjson" | cut -d'"' -f4 | sort >"$T/sent.ids"
assert_eq "generated" 2000 "$(sort -u "$T/sent.ids" | wc -l | tr -d ' ')"

start=$(date +%s)
# One hookcli run per event, four at a time, as hooks would.
split -n l/4 "$T/sent.ndjson" "$T/part."
senders=""
for p in "$T"/part.*; do
	(
		while IFS= read -r line; do
			printf '%s\n' "$line" |
			    "$HOOKCLI" -s "$SOCK" -F "$T/nofallback" -t 5000 --strict send - ||
			    echo "hookcli exit $?" >>"$T/hookcli.errors"
		done <"$p"
	) &
	senders="$senders $!"
done
# Wait for the senders only (the daemons are children too).
for p in $senders; do wait "$p"; done
[ -f "$T/hookcli.errors" ] && fail "hookcli failed: $(sort "$T/hookcli.errors" | uniq -c)"
[ -d "$T/nofallback" ] && fail "hookcli used the fallback directory"
note "2000 events acked by collectord in $(( $(date +%s) - start )) s"

assert_eq "spooled while down" 2000 "$(cd_stat spooledEvents)"
assert_eq "nothing received while down" 0 "$(gw_received)"
assert_eq "gatewayUp while down" false "$(cd_stat gatewayUp)"

# Keep the gateway down for 10 s in all.
while [ $(( $(date +%s) - start )) -lt 10 ]; do sleep 0.2; done
[ "$(cd_stat retries)" -ge 3 ] || fail "expected retries, got $(cd_stat retries)"
gw_mode 200
wait_unique 2000 20 || fail "only $(gw_unique) of 2000 arrived"

cut -d' ' -f1 "$GW/events" | sort -u >"$T/got.ids"
cmp -s "$T/sent.ids" "$T/got.ids" || fail "the ids received differ from the ids sent"
note "received $(gw_received) deliveries of 2000 distinct events"
assert_eq "spooled after delivery" 0 "$(cd_stat spooledEvents)"
assert_eq "delivered" 2000 "$(cd_stat deliveredEvents)"
assert_eq "dropped" 0 "$(cd_stat droppedEvents)"
assert_eq "gatewayUp after" true "$(cd_stat gatewayUp)"
# Every request carried collectord's headers (X-Event-Source, Content-Type).
grep -v '^200 ' "$GW/requests" | grep -qv '^close' && fail "unexpected answers: $(grep -v '^200 ' "$GW/requests" | head -3)"
grep '^200 ' "$GW/requests" | grep -v 'source=collectord type=application/json' &&
    fail "a request without collectord's headers"
awk '$1 == 200 { split($4, c, "="); if (c[2] != $2) bad = 1 } END { exit bad }' "$GW/requests" ||
    fail "X-Event-Count does not match the events"
cd_stop_ok
exit 0
