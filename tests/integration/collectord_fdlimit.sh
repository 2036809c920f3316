#!/bin/sh
# collectord_fdlimit.sh: collectord out of file descriptors. Under
# ulimit -n 64 and a flood of connections several times that, it must not
# spin on accept nor log a line per attempt; it keeps serving the
# clients it has, keeps descriptors to forward to gatewayd and to take in
# the fallback directory, and takes new events again once the flood ends.
# Nothing acked is lost.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"
CLIENT=$top_builddir/tests/integration/collector_client
[ -x "$CLIENT" ] || skip "collector_client not built"
command -v python3 >/dev/null || skip "python3 missing"
[ -r /proc/self/stat ] || skip "no /proc"

NOFILE=64
FLOOD=400

gw_up
cat >"$T/collectord.conf" <<CONF
socket = $SOCK
spool_dir = $SPOOL
gateway = $URL
dead_letter = $T/dead.ndjson
ingest_token_file = $TOKEN_FILE
retry_base_ms = 100
retry_max_ms = 1000
fallback_scan_ms = 200
client_idle_ms = 60s
CONF
av_start collectord sh -c 'ulimit -n "$0" && exec "$@"' "$NOFILE" \
    "$COLLECTORD" -c "$T/collectord.conf"
CDPID=$AV_LAST_PID
av_wait_for 10 "$HOOKCLI" --strict -t 1000 stats >/dev/null 2>&1 ||
    fail "collectord did not answer"
assert_eq "descriptor limit" "$NOFILE" \
    "$(sed -n 's/^Max open files *\([0-9]*\) .*/\1/p' /proc/$CDPID/limits)"

# CPU ticks collectord used so far (user + system).
ticks() {
	# The name field "(collectord)" has no spaces: fields 14 and 15.
	awk '{ print $14 + $15 }' "/proc/$CDPID/stat"
}
# Lines collectord logged about accepting or descriptors.
accept_lines() {
	grep -c -i 'accept\|descriptor' "$T/collectord.log"
}

# Hold a client connected with its event line half sent: hold NAME.
hold() {
	"$CLIENT" -s "$SOCK" -H 1 -P >"$T/$1.out" 2>&1 &
	HOLD=$!
	AV_PIDS="$AV_PIDS $HOLD"
	av_wait_for 10 grep -q '^held 1$' "$T/$1.out" ||
	    fail "could not connect: $(cat "$T/$1.out")"
}
# The held client sends the rest of its line: it must be acked.
hold_end() {
	kill -USR1 "$HOLD"
	wait "$HOLD"
	assert_contains "held client" "$(cat "$T/$1.out")" "done open 1 acked 1 "
}

# Open $FLOOD connections and hold them until flood_end: flood NAME.
# L0 is what accept_lines was before.
flood() {
	rm -f "$T/stop"
	L0=$(accept_lines)
	python3 - "$SOCK" "$FLOOD" "$T/stop" >"$T/$1.out" 2>&1 <<'PY' &
import os, socket, sys, time
path, n, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks, failed = [], 0
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except BlockingIOError:
        pass
    except OSError:
        failed += 1
        s.close()
        continue
    socks.append(s)
print("open %d failed %d" % (len(socks), failed), flush=True)
while not os.path.exists(stop):
    time.sleep(0.05)
for s in socks:
    s.close()
print("closed", flush=True)
PY
	FLOODPID=$!
	AV_PIDS="$AV_PIDS $FLOODPID"
	av_wait_for 20 grep -qs '^open' "$T/$1.out" || fail "flood did not start"
	note "flood: $(head -n 1 "$T/$1.out")"
}
flood_end() {
	touch "$T/stop"
	av_wait_for 10 grep -q '^closed' "$T/$1.out" || fail "flood did not end"
	wait "$FLOODPID"
}

# Over 2 s of a flood: at most 30% of a core, and from its start at most
# 5 lines logged, and at least one matching $2.
window() {
	local t0 t1 l1 hz cpu
	sleep 0.5
	t0=$(ticks)
	sleep 2
	t1=$(ticks)
	l1=$(accept_lines)
	hz=$(getconf CLK_TCK)
	cpu=$(( (t1 - t0) * 100 / hz / 2 ))
	note "$1: over 2 s of the flood: ${cpu}% of a core, $((l1 - L0)) accept lines"
	[ "$cpu" -lt 30 ] ||
	    fail "$1: collectord used ${cpu}% of a core during the flood"
	[ $((l1 - L0)) -le 5 ] ||
	    fail "$1: $((l1 - L0)) accept lines in 2.5 s: $(grep -i 'accept\|descriptor' "$T/collectord.log" | tail -n 3)"
	[ "$(grep -c "$2" "$T/collectord.log")" -ge 1 ] ||
	    fail "$1: nothing logged like '$2'"
	kill -0 "$CDPID" || fail "$1: collectord died"
}

note "$FLOOD connections against ulimit -n $NOFILE"
hold hold1
flood flood1
window "ulimit" "out of file descriptors"

note "during the flood: a hook is answered or parks, exit 0"
rc=0
"$HOOKCLI" -s "$SOCK" -t 1000 --strict task-started --agent-id a1 \
    --agent-name coder tag=flood </dev/null 2>"$T/hook.err" || rc=$?
assert_eq "hookcli during the flood: exit" 0 "$rc"

note "during the flood: the client connected before gets its ack"
hold_end hold1

note "during the flood: both events reach gatewayd"
wait_stored 2 20 ||
    fail "stored during the flood: $(stored 'SELECT count(*) FROM events')"

note "the flood ends: new events go straight in"
flood_end flood1
out=$("$CLIENT" -s "$SOCK" -n 20 -c 2) || fail "after the flood: $out"
assert_contains "after the flood" "$out" "acked 20 "
wait_stored 22 20 ||
    fail "stored after the flood: $(stored 'SELECT count(*) FROM events')"

note "the limit lowered under it: accept() itself fails (EMFILE)"
hold hold2
nfd=$(ls "/proc/$CDPID/fd" | wc -l)
prlimit --pid "$CDPID" --nofile="$((nfd + 2)):$NOFILE" ||
    skip "prlimit cannot change collectord's limit"
flood flood2
window "EMFILE" "accept: Too many open files"
kill -0 "$CDPID" || fail "collectord died"
hold_end hold2
prlimit --pid "$CDPID" --nofile="$NOFILE:$NOFILE"
flood_end flood2
out=$("$CLIENT" -s "$SOCK" -n 20 -c 2) || fail "after the second flood: $out"
assert_contains "after the second flood" "$out" "acked 20 "
wait_stored 43 20 ||
    fail "stored after the second flood: $(stored 'SELECT count(*) FROM events')"
assert_eq "stored" 43 "$(stored 'SELECT count(*) FROM events')"
[ ! -s "$T/dead.ndjson" ] || fail "dead letters: $(head -c 300 "$T/dead.ndjson")"
av_stop "$CDPID" >"$T/stop.rc"
assert_eq "collectord exit" 0 "$(cat "$T/stop.rc")"
exit 0
