#!/bin/sh
# collectord_retry.sh: every kind of gateway failure ends in delivery,
# nothing dropped: 500 (retried with backoff), 429 (Retry-After honoured),
# a connection closed mid-request, a request that hangs (request
# timeout), 401 (kept and retried at the cap, logged loudly); and 413 on
# single events (the batch is halved down to the refused event, which is
# dead-lettered).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

# Number of request lines starting with $1.
nreq() {
	grep -c "^$1 " "$GW/requests" 2>/dev/null | tr -d ' ' || echo 0
}
has_req() {
	[ "$(nreq "$1")" -ge "$2" ]
}

gw_mode 500
gw_start
cd_conf "retry_base_ms = 100" "retry_max_ms = 3000" "max_retries = 10" \
    "request_timeout_ms = 500"
cd_start
"$CLIENT" -s "$SOCK" -n 50 -p r500- >/dev/null || fail "not acked"
av_wait_for 10 has_req 500 3 || fail "no retries after 500"
assert_eq "gatewayUp" false "$(cd_stat gatewayUp)"
assert_contains "lastError" "$(cd_stat lastError)" "HTTP 500"
[ "$(cd_stat retries)" -ge 2 ] || fail "retries: $(cd_stat retries)"

# 429 with Retry-After: 2 s is waited, although the backoff is shorter.
gw_mode "429 2"
av_wait_for 10 has_req 429 1 || fail "no 429"
gw_mode 200
wait_unique 50 10 || fail "not delivered after 429"
t429=$(grep '^429 ' "$GW/requests" | tail -1 | sed 's/.*t=//')
t200=$(grep '^200 ' "$GW/requests" | head -1 | sed 's/.*t=//')
note "retry came $((t200 - t429)) ms after the 429 with Retry-After: 2"
[ $((t200 - t429)) -ge 1500 ] || fail "Retry-After not honoured: $((t200 - t429)) ms"
assert_eq "gatewayUp" true "$(cd_stat gatewayUp)"

# A connection closed mid-request.
gw_mode close
"$CLIENT" -s "$SOCK" -n 20 -p close- >/dev/null || fail "not acked"
av_wait_for 10 has_req close 2 || fail "no closed requests"
gw_mode 200
wait_unique 70 10 || fail "not delivered after close"

# A gateway that never answers: request_timeout_ms ends each try.
gw_mode hang
"$CLIENT" -s "$SOCK" -n 20 -p hang- >/dev/null || fail "not acked"
timed_out() {
	case $(cd_stat lastError) in *"timed out"*) return 0 ;; esac
	return 1
}
av_wait_for 10 timed_out || fail "no timeout reported: $(cd_stat lastError)"
av_wait_for 10 has_req hang 2 || fail "no retries after the timeout"
gw_mode 200
wait_unique 90 10 || fail "not delivered after hang"

# 401: an operator's mistake: kept, retried at retry_max_ms, said loudly.
gw_mode 401
"$CLIENT" -s "$SOCK" -n 10 -p auth- >/dev/null || fail "not acked"
av_wait_for 10 has_req 401 1 || fail "no 401"
av_wait_for 5 grep -q "token refused" "$T/collectord.log" || fail "401 not logged"
assert_eq "kept spooled on 401" 10 "$(cd_stat spooledEvents)"
gw_mode 200
wait_unique 100 10 || fail "not delivered after 401"

# 413 for everything: halved down to single events, each dead-lettered.
gw_mode 413
"$CLIENT" -s "$SOCK" -n 4 -w 4 -p big- >/dev/null || fail "not acked"
dropped4() {
	[ "$(cd_stat droppedEvents)" = 4 ]
}
av_wait_for 10 dropped4 || fail "413 events not dead-lettered"
assert_contains "413 reason" "$(cat "$SPOOL/dead-letter.ndjson")" '"status":413'
assert_eq "nothing left after 413" 0 "$(cd_stat spooledEvents)"
gw_mode 200

assert_eq "delivered" 100 "$(gw_unique)"
assert_eq "nothing spooled" 0 "$(cd_stat spooledEvents)"
cd_stop_ok
exit 0
