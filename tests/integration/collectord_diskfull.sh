#!/bin/sh
# collectord_diskfull.sh: when the spool cannot be written (a file size
# limit stands in for a full disk), the events of the failed commit are
# not acked (their connections are closed unanswered), collectord keeps
# running, every event that was acked is delivered, and once the spool is
# empty again (its full segment replaced) events are taken in again.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

gw_mode down
gw_start
cd_conf "segment_bytes = 256K"
# 100 KiB (sh counts 512-byte blocks) per file: the first segment fills
# after some 300 events, past a quarter of segment_bytes.
av_start collectord sh -c 'ulimit -f 200 && exec "$0" "$@"' "$COLLECTORD" \
    -c "$T/collectord.conf" -v
CDPID=$AV_LAST_PID
av_wait_for 10 cd_alive || fail "collectord did not start"

"$CLIENT" -s "$SOCK" -n 3000 -c 2 -w 32 -q -o "$T/acked" >"$T/out" 2>&1
note "$(tail -1 "$T/out")"
acked=$(wc -l <"$T/acked" | tr -d ' ')
[ "$acked" -gt 0 ] && [ "$acked" -lt 3000 ] || fail "expected some acks, got $acked"
kill -0 "$CDPID" || fail "collectord died on a write error"
assert_contains "lastError" "$(cd_stat lastError)" "write to spool"
assert_eq "spooled = acked" "$acked" "$(cd_stat spooledEvents)"
# The statistics say the spool takes no events now, and why.
assert_eq "spoolWritable" false "$(cd_stat spoolWritable)"
assert_contains "spoolError" "$(cd_stat spoolError)" "write to spool"

gw_mode 200
wait_unique "$acked" 20 || fail "only $(gw_unique) of $acked acked events arrived"
sort "$T/acked" >"$T/want"
cut -d' ' -f1 "$GW/events" | sort -u >"$T/got"
assert_eq "acked but lost" "" "$(comm -23 "$T/want" "$T/got" | head -3)"
assert_eq "delivered but never acked" "$acked" "$(gw_unique)"
empty() { [ "$(cd_stat spooledEvents)" = 0 ]; }
av_wait_for 5 empty || fail "spool not empty after delivery"
"$CLIENT" -s "$SOCK" -n 100 -q >"$T/out2" 2>&1 || fail "not accepting after the drain: $(cat "$T/out2")"
assert_eq "spoolWritable again" true "$(cd_stat spoolWritable)"
assert_eq "spoolError gone" null "$(cd_stat spoolError)"
cd_stop_ok
exit 0
