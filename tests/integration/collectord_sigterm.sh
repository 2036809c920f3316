#!/bin/sh
# collectord_sigterm.sh: SIGTERM during delivery: collectord stops taking
# events, delivers for at most shutdown_timeout_ms, exits 0, and what it
# could not deliver is sent after the restart: nothing is lost.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 1. The gateway hangs on a request: the deadline ends the wait.
gw_mode hang
gw_start
cd_conf "shutdown_timeout_ms = 1500" "request_timeout_ms = 20000"
cd_start
"$CLIENT" -s "$SOCK" -n 3000 -c 2 -w 64 -o "$T/acked.1" >/dev/null ||
    fail "events not acked"
av_wait_for 10 grep -q POST "$T/collectord.log" || fail "no request went out"
t0=$(ms)
av_stop "$CDPID" 10 >"$T/stop.rc"
t1=$(ms)
assert_eq "exit status after SIGTERM" 0 "$(cat "$T/stop.rc")"
note "hang: exited $((t1 - t0)) ms after SIGTERM (shutdown_timeout_ms 1500)"
[ $((t1 - t0)) -lt 4000 ] || fail "took $((t1 - t0)) ms to exit"
[ -S "$SOCK" ] && fail "socket left behind after a clean stop"
grep -q "stay spooled" "$T/collectord.log" || fail "no word on what stays spooled"

# 2. SIGTERM while events stream in and batches go out.
gw_mode 200
cd_conf "shutdown_timeout_ms = 300" "batch_max_events = 10"
cd_start
wait_unique 3000 20 || fail "after restart only $(gw_unique) of 3000 arrived"
"$CLIENT" -s "$SOCK" -n 20000 -c 4 -w 64 -o "$T/acked.2" >"$T/client.out" 2>&1 &
cpid=$!
av_wait_for 10 sh -c "[ \$(wc -l <'$T/acked.2') -ge 5000 ]" || fail "no acks"
t0=$(ms)
av_stop "$CDPID" 10 >"$T/stop.rc"
t1=$(ms)
wait "$cpid"
assert_eq "exit status after SIGTERM" 0 "$(cat "$T/stop.rc")"
note "busy: exited $((t1 - t0)) ms after SIGTERM (shutdown_timeout_ms 300), $(wc -l <"$T/acked.2") acked"
[ $((t1 - t0)) -lt 3000 ] || fail "took $((t1 - t0)) ms to exit"

cd_conf
cd_start
cat "$T/acked.1" "$T/acked.2" | sort -u >"$T/want.ids"
n=$(wc -l <"$T/want.ids" | tr -d ' ')
wait_unique "$n" 20 || fail "only $(gw_unique) of $n arrived"
cut -d' ' -f1 "$GW/events" | sort -u >"$T/got.ids"
assert_eq "acked but lost" "" "$(comm -23 "$T/want.ids" "$T/got.ids" | head -3)"
note "all $n acked events arrived"
cd_stop_ok
exit 0
