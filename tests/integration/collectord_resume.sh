#!/bin/sh
# collectord_resume.sh: after an outage, delivery resumes as soon as the
# gateway answers again, not at the next step of the backoff. With retries
# 60 s apart, an event sent while gatewayd is down is stored within a few
# probes of gatewayd starting; with probe_interval_ms = 0 it waits for
# the retry, as it did before probes.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"

# Milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# An outage: the event is sent while gatewayd is down, gatewayd starts
# 2 s later; MS is the ms from gatewayd answering to the event stored,
# or "none" if it was not stored within $1 s.
outage() {
	local t0 t1
	"$HOOKCLI" -t 2000 task-started --agent-id resume --agent-name r \
	    n="$2" </dev/null || fail "hookcli failed"
	sleep 2
	gw_up
	t0=$(now_ms)
	if wait_stored "$2" "$1"; then
		t1=$(now_ms)
		MS=$((t1 - t0))
	else
		MS=none
	fi
}

note "probes on (the default interval), retries 60 s apart"
cd_up "retry_base_ms = 60s" "retry_max_ms = 60s"
outage 10 1
note "stored $MS ms after gatewayd answered (the next retry was 48-60 s away)"
[ "$MS" != none ] || fail "not stored within 10 s of gatewayd answering"
grep -q 'health check; resending at once' "$T/collectord.log" ||
    fail "collectord did not say why it resent: $(tail -n 5 "$T/collectord.log")"
av_stop "$GWPID" >/dev/null
av_stop "$CDPID" >/dev/null

note "probes off: the event waits for the retry"
cd_up "retry_base_ms = 60s" "retry_max_ms = 60s" "probe_interval_ms = 0"
outage 5 2
note "with probe_interval_ms = 0, stored within 5 s: $MS"
assert_eq "stored without a probe within 5 s" none "$MS"
exit 0
