#!/bin/bash
# bench_collectord.sh: collectord's figures against its targets (the
# README's Figures).
#
#   1. events/s accepted and acked into the spool over persistent pipelined
#      connections, collectord pinned to one core (taskset), for
#      fsync=interval, always and never, the gateway down (intake alone)
#      and, for interval, up (intake while forwarding); target 100,000/s.
#      Baseline, same run and client: hookcli's test_server, which
#      validates with lib and acks without a spool.
#   2. one-event connections/s (the hookcli pattern without the process
#      spawn); target 20,000/s; same baseline.
#   3. ack -> POST latency at 100 events/s: the client's ack time against
#      the fake gateway's arrival time of each event; targets p50 1 ms,
#      p99 5 ms.
#   4. RSS while BENCH_SPOOL_MB (default 128; 1024 for the README's 1 GiB)
#      of events sit in the spool during a gateway outage; target 16 MiB.
#
# The load generator is tests/integration/collector_client (C, poll()
# over N pipelined connections). Rates are the best of BENCH_RUNS (3)
# runs, as other work on a shared machine only ever slows a run down; the
# load average is printed with them. Figures are for reading, not
# asserting. Build without --enable-debug for real ones.
set -u
: "${top_builddir:?run through make bench}"
: "${top_srcdir:?run through make bench}"
COLLECTORD=$top_builddir/collectord/collectord
CLIENT=$top_builddir/tests/integration/collector_client
FAKEGW=$top_builddir/tests/integration/fake_gateway
FREEPORT=$top_builddir/tests/integration/freeport
BASELINE=$top_builddir/tests/integration/test_server
N=${BENCH_EVENTS:-200000}
RUNS=${BENCH_RUNS:-3}
PARTS=${BENCH_PARTS:-1 2 3 4}	# which of the four measures to run
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
CONNS=${BENCH_CONNS:-4}
SPOOL_MB=${BENCH_SPOOL_MB:-128}
for p in "$COLLECTORD" "$CLIENT" "$FAKEGW" "$FREEPORT"; do
	[ -x "$p" ] || { echo "bench_collectord: $p not built (make check builds it)"; exit 0; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-collectord.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Pin the daemon to core 0 and the load to the others when we can.
NCPU=$(nproc)
if command -v taskset >/dev/null && [ "$NCPU" -ge 2 ]; then
	ON_D="taskset -c 0"
	ON_L="taskset -c 1-$((NCPU - 1))"
else
	ON_D=""
	ON_L=""
fi

GWPORT=$($FREEPORT)
mkdir -p "$T/gw"
echo down >"$T/gw/mode"
$ON_L "$FAKEGW" -p "$GWPORT" -d "$T/gw" -T &
PIDS="$PIDS $!"

SOCK=$T/run/c.sock
CDPID=""

# Start collectord with a fresh spool and extra "key = value" settings.
start_cd() {
	rm -rf "$T/spool" "$T/run"
	{
		echo "socket = $SOCK"
		echo "spool_dir = $T/spool"
		echo "gateway = http://127.0.0.1:$GWPORT"
		echo "retry_base_ms = 100"
		echo "retry_max_ms = 200"
		echo "spool_max_bytes = 4G"
		for kv in "$@"; do echo "$kv"; done
	} >"$T/c.conf"
	$ON_D "$COLLECTORD" -c "$T/c.conf" 2>"$T/cd.log" &
	CDPID=$!
	PIDS="$PIDS $CDPID"
	for _ in $(seq 100); do
		echo '{"cmd":"ping"}' | "$CLIENT" -s "$SOCK" -r 2>/dev/null |
		    grep -q pong && return 0
		sleep 0.05
	done
	echo "collectord did not start: $(cat "$T/cd.log")"
	exit 1
}

stop_cd() {
	kill -TERM "$CDPID" 2>/dev/null
	wait "$CDPID" 2>/dev/null
}

# Events per second from a client summary line.
rate_of() {
	sed -n 's/.* rate \([0-9]*\)\/s.*/\1/p'
}

# Best rate of $RUNS runs of the client with the given arguments.
best() {
	b=0
	for _ in $(seq "$RUNS"); do
		r=$($ON_L "$CLIENT" "$@" -q | rate_of)
		[ "${r:-0}" -gt "$b" ] && b=$r
	done
	echo "$b"
}

gw() { echo "$1" >"$T/gw/mode.tmp" && mv "$T/gw/mode.tmp" "$T/gw/mode"; }

echo "collectord $("$COLLECTORD" --version | cut -d' ' -f2), $NCPU cores," \
    "collectord on ${ON_D:-any core}, load on ${ON_L:-any core}"
echo "prototype baseline: ~150 ms per event in the original prototype (~7 events/s)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS runs"

# Baseline: the same protocol, validated and acked, no spool, no forwarding.
base=""
base1=""
if [ -x "$BASELINE" ] && { want 1 || want 2; }; then
	$ON_D "$BASELINE" -m ack -r /dev/null "$T/base.sock" 2>/dev/null &
	bpid=$!
	PIDS="$PIDS $bpid"
	for _ in $(seq 100); do [ -S "$T/base.sock" ] && break; sleep 0.05; done
	base=$(best -s "$T/base.sock" -n "$N" -c "$CONNS" -w 128)
	base1=$(best -s "$T/base.sock" -n 20000 -c 8 -1)
	kill "$bpid"
	wait "$bpid" 2>/dev/null
	echo "baseline (test_server: validate + ack, no spool): pipelined ${base}/s, one-event connections ${base1}/s"
fi

ratio() {
	[ -n "$2" ] && [ "$2" -gt 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf " (%.2fx baseline)", a / b }'
}

if want 1; then
echo
echo "1. pipelined intake, $N events, $CONNS connections, window 128 (target 100000/s)"
for fs in interval always never; do
	start_cd "fsync = $fs"
	r=$(best -s "$SOCK" -n "$N" -c "$CONNS" -w 128)
	printf '   fsync=%-8s gateway down: %7s events/s%s\n' "$fs" "$r" "$(ratio "$r" "$base")"
	stop_cd
done
gw 200
start_cd "fsync = interval"
r=$(best -s "$SOCK" -n "$N" -c "$CONNS" -w 128)
printf '   fsync=%-8s gateway up:   %7s events/s%s (forwarding at the same time)\n' interval "$r" "$(ratio "$r" "$base")"
stop_cd
fi

if want 2; then
echo
echo "2. one-event connections (target 20000/s)"
gw down
start_cd
r=$(best -s "$SOCK" -n 20000 -c 8 -1)
printf '   %7s connections/s%s\n' "$r" "$(ratio "$r" "$base1")"
stop_cd
fi

if want 3; then
echo
echo "3. ack -> POST latency at 100 events/s, 1000 events (targets p50 1 ms, p99 5 ms)"
gw 200
rm -f "$T/gw/events"
start_cd
$ON_L "$CLIENT" -s "$SOCK" -n 1000 -R 100 -w 1 -T -o "$T/acks" -q >/dev/null
sleep 0.5
# The POST reaches the gateway before the client has read its ack as
# often as not: a negative difference counts as 0.
sort "$T/acks" >"$T/acks.s"
sort "$T/gw/events" | awk '!seen[$1]++' >"$T/recv.s"
join "$T/acks.s" "$T/recv.s" | awk '{ d = $3 - $2; if (d < 0) d = 0; print d }' |
    sort -n >"$T/lat"
n=$(wc -l <"$T/lat")
if [ "$n" -gt 0 ]; then
	p50=$(awk -v n="$n" 'NR == int(n * 0.50) + 1 { print $1 / 1000 }' "$T/lat")
	p99=$(awk -v n="$n" 'NR == int(n * 0.99) + 1 { print $1 / 1000 }' "$T/lat")
	max=$(tail -1 "$T/lat" | awk '{ print $1 / 1000 }')
	echo "   $n events: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (vs the original prototype's ~150 ms)"
fi
stop_cd
fi

if want 4; then
echo
echo "4. RSS with ${SPOOL_MB} MiB in the spool, gateway down (target 16 MiB; BENCH_SPOOL_MB=1024 for 1 GiB)"
gw down
start_cd "fsync = interval"
target=$((SPOOL_MB * 1024 * 1024))
rounds=0
while :; do
	bytes=$(echo '{"cmd":"stats"}' | "$CLIENT" -s "$SOCK" -r |
	    sed -n 's/.*"spooledBytes":\([0-9]*\).*/\1/p')
	[ "${bytes:-0}" -ge "$target" ] && break
	rounds=$((rounds + 1))
	# ~64 MiB a round: give up if that stops adding up.
	[ "$rounds" -gt $((SPOOL_MB / 32 + 5)) ] && { echo "   spool does not fill: ${bytes:-?} bytes"; break; }
	$ON_L "$CLIENT" -s "$SOCK" -n 200000 -c "$CONNS" -w 128 -q >/dev/null
done
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$CDPID/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$CDPID/status")
events=$(echo '{"cmd":"stats"}' | "$CLIENT" -s "$SOCK" -r |
    sed -n 's/.*"spooledEvents":\([0-9]*\).*/\1/p')
echo "   $((bytes / 1048576)) MiB, $events events spooled: RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
# Gateway back: RSS while the backlog drains.
gw 200
t0=$(date +%s%N)
waited=0
while :; do
	left=$(echo '{"cmd":"stats"}' | "$CLIENT" -s "$SOCK" -r |
	    sed -n 's/.*"spooledEvents":\([0-9]*\).*/\1/p')
	[ "${left:-1}" = 0 ] && break
	waited=$((waited + 1))
	[ "$waited" -gt 1200 ] && { echo "   not drained after 10 minutes"; break; }
	sleep 0.5
	rss2=$(awk '/^VmRSS/ { print $2 }' "/proc/$CDPID/status")
done
t1=$(date +%s%N)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$CDPID/status")
echo "   drained to the gateway in $(( (t1 - t0) / 1000000 )) ms" \
    "($(( events * 1000 / ((t1 - t0) / 1000000 + 1) )) events/s), RSS $(( ${rss2:-0} / 1024 )) MiB while draining, peak $((hwm / 1024)) MiB"
stop_cd
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
