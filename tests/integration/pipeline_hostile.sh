#!/bin/sh
# pipeline_hostile.sh: the hostile suite. The whole pipeline, on its
# default limits, takes a steady stream of hooks while it is attacked in
# turn by:
#   - 300 connections each part-way through a 1 MiB ingest body (memory),
#     first without the ingest token, then with it;
#   - 400 connections sending their request heads a byte a second
#     (slowloris), past head_timeout;
#   - 50 WebSocket clients that ping and never read, 1100 idle connections
#     to collectord's socket (past max_clients), and before them hostile
#     lines to collectord;
#   - kill -9 of collectord, restarted, and SIGSTOP of gatewayd for 1 s.
# It prints what an operator would want to know: events lost (must be 0),
# gatewayd's RSS under the memory attack against its idle RSS, /health
# latency during slowloris against the same run's latency unattacked, and
# what each attacker was answered. Bounded: about a minute.
AV_TEST_TIMEOUT=${AV_TEST_TIMEOUT:-600}
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pipeline_common.sh"
PY=$(command -v python3) || fail "python3 missing"
ATTACK="$PY $top_srcdir/tests/integration/attacker.py"

# The attackers need more descriptors than a login's usual 1024.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || :
[ "$(ulimit -n)" -ge 2048 ] ||
    fail "ulimit -n is $(ulimit -n): the suite needs 2048 descriptors"

# gatewayd's resident memory with the default limits must stay under
# this (the figure gatewayd(8) states).
RSS_BOUND_MB=128

gw_up
cd_up

# The kB of a /proc/PID/status field: kb PID VmRSS.
kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# /health latency, 20 requests one after another: "median max" in ms.
health_ms() {
	local i=0
	while [ $i -lt 20 ]; do
		"$CURL" -s -o /dev/null -m 10 -w '%{time_total} %{http_code}\n' \
		    "$URL/api/v1/health"
		i=$((i + 1))
	done >"$T/health.times"
	grep -v ' 200$' "$T/health.times" | head -n 3 |
	    while read -r l; do echo "health: $l" >&2; done
	awk '{ print $1 * 1000 }' "$T/health.times" | sort -n |
	    awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[NR] }'
}

# Start an attacker in the background: attack NAME KIND ARGS...; it holds
# its connections until $T/NAME.stop exists.
attack() {
	local name=$1
	shift
	rm -f "$T/$name.stop"
	$ATTACK "$@" "$T/$name.stop" >"$T/$name.out" 2>&1 &
	eval "PID_$name=\$!"
	AV_PIDS="$AV_PIDS $!"
	av_wait_for 60 grep -qs '^open' "$T/$name.out" ||
	    fail "$name did not start: $(cat "$T/$name.out")"
	note "$name: $(head -n 1 "$T/$name.out") connections held"
}
attack_end() {
	local p
	touch "$T/$1.stop"
	eval "p=\$PID_$1"
	wait "$p" || fail "$1 failed: $(tail -n 3 "$T/$1.out")"
	note "$1: $(tail -n 1 "$T/$1.out")"
}

# Daemons alive.
alive() {
	kill -0 "$GWPID" 2>/dev/null || fail "$1: gatewayd died"
	kill -0 "$CDPID" 2>/dev/null || fail "$1: collectord died"
}

RSS0=$(kb "$GWPID" VmRSS)
set -- $(health_ms)
H0_MED=$1 H0_MAX=$2
note "unattacked: gatewayd RSS $((RSS0 / 1024)) MiB; /health median $H0_MED ms, max $H0_MAX ms"

# The steady stream: one hook after another, n = 1, 2, ... until the
# stop file; their count goes to hooks.sent, failed exits to hooks.bad.
hooks_loop() {
	local i=0 rc
	: >"$T/hooks.bad"
	while [ ! -e "$T/hooks.stop" ]; do
		i=$((i + 1))
		rc=0
		"$HOOKCLI" -t 2000 operation-allowed --agent-id "hostile-$((i % 8))" \
		    --agent-name steady --operation write_file n="$i" \
		    </dev/null 2>>"$T/hooks.err" || rc=$?
		[ $rc -eq 0 ] || echo "$i $rc" >>"$T/hooks.bad"
	done
	echo "$i" >"$T/hooks.sent"
}
bg_loop hooks_loop

note "memory, without the ingest token: 300 bodies announced as 1 MiB"
export AUTH=
attack noauth memory "$PORT" 300
attack_end noauth
grep -q ' 401:300$' "$T/noauth.out" ||
    fail "bodies without the token not all refused 401: $(tail -n 1 "$T/noauth.out")"

note "memory, with the token (a rogue collectord): 300 bodies announced as 1 MiB, all but a byte sent, held"
AUTH=$BEARER
attack memory memory "$PORT" 300
sleep 2
RSS1=$(kb "$GWPID" VmRSS)
set -- $(health_ms)
note "memory: gatewayd RSS $((RSS1 / 1024)) MiB (idle $((RSS0 / 1024)) MiB); /health median $1 ms, max $2 ms"
alive memory
attack_end memory
HWM=$(kb "$GWPID" VmHWM)

note "slowloris: 400 heads at a byte a second, past head_timeout (10 s)"
attack slowloris slowloris "$PORT" 400
sleep 1
set -- $(health_ms)
H1_MED=$1 H1_MAX=$2
note "slowloris: /health median $H1_MED ms, max $H1_MAX ms (unattacked $H0_MED, $H0_MAX)"
alive slowloris
sleep 11
set -- $(health_ms)
note "slowloris after head_timeout: /health median $1 ms, max $2 ms"
attack_end slowloris
grep -q ' 408:400' "$T/slowloris.out" ||
    fail "slowloris heads not all answered 408: $(tail -n 1 "$T/slowloris.out")"

note "hostile lines to collectord: each is answered, none stops it"
$ATTACK garbage "$SOCK" >"$T/garbage.out" 2>&1 || fail "garbage: $(cat "$T/garbage.out")"
while read -r l; do note "$l"; done <"$T/garbage.out"
grep -q '^garbage: sent 9 lines, answered 9$' "$T/garbage.out" ||
    fail "hostile lines not all answered"
alive garbage

note "WebSocket clients that never read, 1100 idle connections to collectord"
attack wsmute wsmute "$PORT" 50
attack unixflood unixflood "$SOCK" 1100
sleep 2
alive flood
attack_end unixflood
attack_end wsmute

note "kill -9 of collectord, restarted; SIGSTOP of gatewayd for 1 s"
kill -KILL "$CDPID"
wait "$CDPID" 2>/dev/null
sleep 0.5
cd_up
kill -STOP "$GWPID"
sleep 1
kill -CONT "$GWPID"
sleep 1
alive restart

touch "$T/hooks.stop"
wait_loops
SENT=$(cat "$T/hooks.sent")
wait_stored "$SENT" 90 || :
STORED=$(stored "SELECT count(DISTINCT json_extract(json, '\$.metadata.n')) FROM events")
ROWS=$(stored 'SELECT count(*) FROM events')
BAD=$(wc -l <"$T/hooks.bad" | tr -d ' ')
PARKED=$(grep -c 'parked in' "$T/hooks.err" 2>/dev/null || :)

note "hooks sent $SENT (${PARKED:-0} parked on the way, $BAD failed exits); stored $STORED distinct, $ROWS rows"
note "events lost: $((SENT - STORED))"
note "gatewayd RSS: idle $((RSS0 / 1024)) MiB, under the memory attack $((RSS1 / 1024)) MiB, peak $((HWM / 1024)) MiB (bound $RSS_BOUND_MB MiB)"
note "/health during slowloris: median $H1_MED ms, max $H1_MAX ms; unattacked median $H0_MED ms, max $H0_MAX ms"
assert_eq "hook exits other than 0" 0 "$BAD"
assert_eq "events lost" 0 "$((SENT - STORED))"
assert_eq "rows stored (duplicates)" "$SENT" "$ROWS"
[ "$HWM" -lt $((RSS_BOUND_MB * 1024)) ] ||
    fail "gatewayd peaked at $((HWM / 1024)) MiB, over $RSS_BOUND_MB MiB"
[ ! -s "$T/dead.ndjson" ] || fail "dead letters: $(head -c 300 "$T/dead.ndjson")"
av_stop "$CDPID" >"$T/cd.rc"
assert_eq "collectord exit" 0 "$(cat "$T/cd.rc")"
av_stop "$GWPID" >"$T/gw.rc"
assert_eq "gatewayd exit" 0 "$(cat "$T/gw.rc")"
exit 0
