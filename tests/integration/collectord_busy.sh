#!/bin/sh
# collectord_busy.sh: a full spool (spool_max_bytes) answers "busy" instead
# of dropping anything: every acked event is delivered once the gateway is
# back, hookcli parks its event in the fallback directory (exit 0, also
# with --strict) and collectord takes it in when there is room again, as
# it does new events.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

gw_mode down
gw_start
cd_conf "spool_max_bytes = 1M" "retry_base_ms = 200" "retry_max_ms = 200"
cd_start
"$CLIENT" -s "$SOCK" -n 5000 -c 2 -w 32 -q -o "$T/acked" >"$T/out" 2>&1
note "$(cat "$T/out")"
acked=$(wc -l <"$T/acked" | tr -d ' ')
busy=$(sed -n 's/.* busy \([0-9]*\) .*/\1/p' "$T/out")
[ "$busy" -gt 0 ] || fail "no busy replies with a full spool"
assert_eq "acked + busy" 5000 $((acked + busy))
[ "$(cd_stat busyReplies)" -eq "$busy" ] || fail "busyReplies $(cd_stat busyReplies), client saw $busy"
[ "$(cd_stat spooledBytes)" -le 1048576 ] || fail "spool over its limit: $(cd_stat spooledBytes)"
parked=0
if [ -x "$HOOKCLI" ]; then
	rc=0
	"$HOOKCLI" -s "$SOCK" -F "$SPOOL/incoming" --strict task-started \
	    --agent-id x --agent-name y 2>"$T/hk.err" || rc=$?
	assert_eq "hookcli --strict on a full spool" 0 "$rc"
	assert_contains "hookcli on a full spool" "$(cat "$T/hk.err")" \
	    "spool full (spool_max_bytes); event parked"
	parked=1
fi

gw_mode 200
wait_unique $((acked + parked)) 20 ||
    fail "only $(gw_unique) of $acked acked and $parked parked events arrived"
sort "$T/acked" >"$T/want"
cut -d' ' -f1 "$GW/events" | sort -u >"$T/got"
assert_eq "acked but lost" "" "$(comm -23 "$T/want" "$T/got" | head -3)"
assert_eq "fallback files taken in" "$parked" "$(cd_stat fallbackFiles)"
# Room again: taken in.
"$CLIENT" -s "$SOCK" -n 100 -q >/dev/null || fail "not accepted after draining"
cd_stop_ok
exit 0
