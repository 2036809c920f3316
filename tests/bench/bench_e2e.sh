#!/bin/sh
# bench_e2e.sh: the whole pipeline's figures, hookcli -> collectord ->
# gatewayd (SQLite) -> WebSocket, beside the original prototype's
# (Node.js + FastAPI: ~150 ms end to end, 100 events/s). Figures only, never a pass/fail: five other programs
# share the 2 cores, so the load average is printed with them.
#
#  1. latency: e2e_pacer starts real hookcli processes at 100 and at
#     1,000 events/s, each stamped with metadata.t0_us (wall clock just
#     before exec); e2e_probe, a WebSocket client, takes receive time
#     minus t0_us (target at 100/s: p50 <= 5 ms, p99 <= 20 ms).
#  2. throughput: collector_client pipelines NDJSON into collectord's
#     socket; the time until the WebSocket client got the last event, and
#     what was lost on the way (not acked, not stored, not streamed)
#     (target >= 50,000 events/s, zero loss). Then the stages alone:
#     collectord's ack rate with gatewayd stopped (spooling only), and
#     collectord's drain of that spool into gatewayd (and the WebSocket).
#  3. fan-out: tests/bench/bench_gatewayd_fanout (the gatewayd bench's
#     load client) on this gatewayd: N clients each receiving every event.
#  4. memory: VmRSS/VmHWM of both daemons, idle and after the load.
#
#   tests/bench/bench_e2e.sh [BUILDDIR]     (default $top_builddir or .)
#   LAT_SECS=3 FAST_SECS=2 THRU_N=50000 STAGE_N=20000 FAN="200 1000" FAN_RATE=100 \
#   FAN_SECS=3 STAGES=1 tests/bench/bench_e2e.sh
#   CD_CONF='batch_max_events = 1000' GW_CONF='ws_queue_len = 4096'
#   COLLECTORD=... GATEWAYD=... (to try a setting of either daemon, or
#   another build of one)
#
# Needs hookcli, collectord, gatewayd, tests/bench/e2e_probe and
# e2e_pacer, tests/integration/collector_client and freeport,
# tests/bench/bench_gatewayd_fanout (make all check_PROGRAMS), curl and
# sqlite3. Exits 77 when something is missing.

set -u
B=${1:-${top_builddir:-.}}
HOOKCLI=$B/hookcli/hookcli
COLLECTORD=${COLLECTORD:-$B/collectord/collectord}
GATEWAYD=${GATEWAYD:-$B/gatewayd/gatewayd}
PROBE=$B/tests/bench/e2e_probe
PACER=$B/tests/bench/e2e_pacer
CCLIENT=$B/tests/integration/collector_client
FANOUT=$B/tests/bench/bench_gatewayd_fanout
FREEPORT=$B/tests/integration/freeport
LAT_SECS=${LAT_SECS:-3}		# at 100 events/s
FAST_SECS=${FAST_SECS:-2}	# at 1,000 events/s
THRU_N=${THRU_N:-50000}
STAGE_N=${STAGE_N:-$((THRU_N * 2 / 5))}
THRU_CONNS=${THRU_CONNS:-4}
THRU_WINDOW=${THRU_WINDOW:-256}
FAN=${FAN:-200 1000}
FAN_RATE=${FAN_RATE:-100}
FAN_SECS=${FAN_SECS:-3}
STAGES=${STAGES:-1}

for p in "$HOOKCLI" "$COLLECTORD" "$GATEWAYD" "$PROBE" "$PACER" \
    "$CCLIENT" "$FREEPORT" "$FANOUT"; do
	[ -x "$p" ] || { echo "bench_e2e: build $p first (make all check_PROGRAMS)" >&2; exit 77; }
done
for c in curl sqlite3; do
	command -v $c >/dev/null || { echo "bench_e2e: $c missing" >&2; exit 77; }
done
# shellcheck disable=SC3045
ulimit -n 4096 2>/dev/null || true

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-e2e.XXXXXX")
GWPID=
CDPID=
BGPIDS=
cleanup() {
	for p in $BGPIDS $CDPID $GWPID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

SOCK=$T/run/collectord.sock
DB=$T/events.db
STREAM='/api/v1/agents/activity/stream?user_id=bench'
mkdir -p "$T/run" "$T/fb" "$T/www"
echo '<!doctype html><title>agentvis</title>' >"$T/www/index.html"
PORT=$("$FREEPORT")
URL=http://127.0.0.1:$PORT
# As shipped (one ingest token file shared by both, collectord's proof),
# except what a benchmark from one address needs.
cat >"$T/gatewayd.conf" <<EOC
ingest_token_file = $T/ingest.token
max_connections = 5000
${GW_CONF:-}
EOC
cat >"$T/collectord.conf" <<EOC
socket = $SOCK
spool_dir = $T/spool
gateway = $URL
ingest_token_file = $T/ingest.token
retry_base_ms = 50
retry_max_ms = 200
${CD_CONF:-}
EOC

(umask 077 && "$GATEWAYD" -c "$T/gatewayd.conf" --init-token 2>/dev/null) ||
    { echo "bench_e2e: gatewayd --init-token failed" >&2; exit 1; }

# The value after word $1 in file $2 ("events 12 lagged 0 ...").
val() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$2"
}

# Wall clock in µs.
now_us() {
	echo $(($(date +%s%N) / 1000))
}

# Wait up to $1 tenths of a second for the command after it to succeed.
wait_for() {
	wf_left=$1
	shift
	until "$@" >/dev/null 2>&1; do
		wf_left=$((wf_left - 1))
		[ $wf_left -gt 0 ] || return 1
		sleep 0.1
	done
}

gw_up() {
	"$GATEWAYD" -c "$T/gatewayd.conf" -l "127.0.0.1:$PORT" \
	    --store "sqlite:$DB" --www "$T/www" 2>>"$T/gatewayd.log" &
	GWPID=$!
	wait_for 100 curl -sf "$URL/api/v1/health" ||
	    { echo "bench_e2e: gatewayd did not start" >&2; cat "$T/gatewayd.log" >&2; exit 1; }
}

gw_down() {
	kill "$GWPID" 2>/dev/null && wait "$GWPID" 2>/dev/null
	GWPID=
}

cd_up() {
	"$COLLECTORD" -c "$T/collectord.conf" 2>>"$T/collectord.log" &
	CDPID=$!
	wait_for 100 "$HOOKCLI" --strict -s "$SOCK" -t 1000 stats ||
	    { echo "bench_e2e: collectord did not start" >&2; cat "$T/collectord.log" >&2; exit 1; }
}

# A collectord statistic by name.
cd_stat() {
	"$HOOKCLI" -s "$SOCK" -t 2000 stats | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"
}

# VmRSS or VmHWM of a pid, KiB.
mem() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"
}

# CPU time (user + system) of a pid so far, µs.
cpu_us() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1e6 / hz }' "/proc/$1/stat"
}

stored() {
	sqlite3 "$DB" 'SELECT count(*) FROM events'
}

# Start e2e_probe in the background (args before port), wait until the
# server said "connected".
probe_start() {
	rm -f "$T/ready"
	"$PROBE" -r "$T/ready" "$@" "$PORT" "$STREAM" >"$T/probe.out" 2>"$T/probe.err" &
	PROBEPID=$!
	BGPIDS="$BGPIDS $PROBEPID"
	wait_for 100 test -e "$T/ready" ||
	    { echo "bench_e2e: probe did not connect" >&2; cat "$T/probe.err" >&2; exit 1; }
}

probe_wait() {
	wait "$PROBEPID"
	BGPIDS=$(echo "$BGPIDS" | sed "s/ $PROBEPID//")
}

# latency RATE SECS: hookcli spawned at RATE for SECS through the whole
# pipeline; sets P50 P99 (ms) and prints a line.
latency() {
	n=$(($1 * $2))
	probe_start -n "$n" -t $(($2 * 1000 + 10000))
	"$PACER" -r "$1" -n "$n" "$HOOKCLI" -s "$SOCK" -F "$T/fb" -t 2000 \
	    --strict operation-allowed --agent-id "lat-$1" --agent-name coder \
	    --agent-role worker >"$T/pacer.out" 2>"$T/pacer.err"
	probe_wait
	f=$T/probe.out
	awk -v r="$1" -v n="$n" -v got="$(val events "$f")" \
	    -v p50="$(val p50_us "$f")" -v p90="$(val p90_us "$f")" \
	    -v p99="$(val p99_us "$f")" -v max="$(val max_us "$f")" \
	    -v fail="$(val failed "$T/pacer.out")" -v timed="$(val samples "$f")" \
	    -v rate="$(val rate "$T/pacer.out")" \
	    -v late="$(val late_p99_us "$T/pacer.out")" 'BEGIN {
		printf "%5d events/s (spawned at %s, p99 %.1f ms behind schedule): %d of %d received (%d timed), %d hookcli failed\n",
		    r, rate, late / 1000, got, n, timed, fail
		printf "      latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
		    p50 / 1000, p90 / 1000, p99 / 1000, max / 1000 }'
	# Where it went, at the event's millisecond timestamps.
	awk '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1) } END {
		printf "      p50 / p99 ms by stage (1 ms resolution): hookcli start %.0f / %.0f, hookcli -> collectord -> gatewayd %.0f / %.0f, gatewayd -> WebSocket %.0f / %.0f\n",
		    v["hook_p50_us"] / 1000, v["hook_p99_us"] / 1000,
		    v["collect_p50_us"] / 1000, v["collect_p99_us"] / 1000,
		    v["gw_p50_us"] / 1000, v["gw_p99_us"] / 1000 }' "$f"
	P50=$(awk -v v="$(val p50_us "$f")" 'BEGIN { printf "%.2f", v / 1000 }')
	P99=$(awk -v v="$(val p99_us "$f")" 'BEGIN { printf "%.2f", v / 1000 }')
	LOST=$((n - $(val events "$f")))
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
gw_up
cd_up
sleep 0.5
gw_rss_idle=$(mem VmRSS "$GWPID")
cd_rss_idle=$(mem VmRSS "$CDPID")
echo "--- RSS idle: gatewayd ${gw_rss_idle} KiB, collectord ${cd_rss_idle} KiB"

echo "--- 1. latency, hookcli start -> WebSocket message (hookcli processes, metadata.t0_us)"
# Warm up: collectord's keep-alive connection to gatewayd, the page cache.
latency 50 1 >/dev/null
latency 100 "$LAT_SECS"
L100_50=$P50 L100_99=$P99 L100_LOST=$LOST
latency 1000 "$FAST_SECS"
L1K_50=$P50 L1K_99=$P99 L1K_LOST=$LOST

echo "--- 2. sustained throughput, collector_client ($THRU_CONNS connections, window $THRU_WINDOW) -> WebSocket client"
s0=$(stored)
probe_start -n "$THRU_N" -t 120000
# The daemons' memory meanwhile, every 0.2 s: the peak under load.
(
	while :; do
		echo "$(mem VmRSS "$GWPID") $(mem VmRSS "$CDPID")"
		sleep 0.2
	done
) >"$T/rss.log" 2>/dev/null &
SAMPLER=$!
BGPIDS="$BGPIDS $SAMPLER"
gw_cpu0=$(cpu_us "$GWPID")
cd_cpu0=$(cpu_us "$CDPID")
t0=$(now_us)
"$CCLIENT" -s "$SOCK" -n "$THRU_N" -c "$THRU_CONNS" -w "$THRU_WINDOW" -q >"$T/cc.out" 2>"$T/cc.err"
probe_wait
gw_cpu=$(($(cpu_us "$GWPID") - gw_cpu0))
cd_cpu=$(($(cpu_us "$CDPID") - cd_cpu0))
kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
BGPIDS=$(echo "$BGPIDS" | sed "s/ $SAMPLER//")
wait_for 100 sh -c "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM events') -ge $((s0 + THRU_N)) ]"
s1=$(stored)
acked=$(val acked "$T/cc.out")
got=$(val events "$T/probe.out")
last=$(val last_us "$T/probe.out")
THRU=$(awk -v n="$got" -v a="$t0" -v b="$last" 'BEGIN { printf "%.0f", (b > a) ? n / ((b - a) / 1e6) : 0 }')
ACKRATE=$(val rate "$T/cc.out" | tr -d /s)
THRU_LOST=$((THRU_N - got))
echo "$THRU_N events: acked $acked (at $ACKRATE/s), stored $((s1 - s0)), streamed $got ($(val lagged "$T/probe.out") lagged messages)"
echo "      end to end: $THRU events/s (first event sent -> last event on the WebSocket)"
echo "      lost: $((THRU_N - acked)) not acked, $((THRU_N - s1 + s0)) not stored, $THRU_LOST not streamed"
# Each daemon is one thread: 1e6 / (its CPU µs per event) is the most it
# could do with a core to itself.
awk -v n="$THRU_N" -v g="$gw_cpu" -v c="$cd_cpu" -v p="$(val cpu_us "$T/probe.out")" 'BEGIN {
	printf "      CPU per event: gatewayd %.1f us (one core: at most %.0f/s), collectord %.1f us (at most %.0f/s), WebSocket client %.1f us\n",
	    g / n, g ? n / (g / 1e6) : 0, c / n, c ? n / (c / 1e6) : 0, p / n }'
# The bound the CPU sets: every stage's CPU per event (the load client's
# not counted) spread over all cores, and gatewayd's on its one thread.
# And how much CPU the three got meanwhile: far below the cores there are
# means other programs had them.
awk -v n="$THRU_N" -v g="$gw_cpu" -v c="$cd_cpu" -v p="$(val cpu_us "$T/probe.out")" -v cores="$(nproc)" -v r="$THRU" -v wall="$((last - t0))" 'BEGIN {
	if (g == 0 || wall <= 0) exit
	printf "      CPU bound with %d idle cores: %.0f events/s; the slowest stage, %s, %.0f events/s on its thread; measured %.0f%% of the CPU bound\n",
	    cores, cores * 1e6 / ((g + c + p) / n), (g >= c) ? "gatewayd" : "collectord",
	    1e6 / (((g >= c) ? g : c) / n), 100 * r / (cores * 1e6 / ((g + c + p) / n))
	printf "      CPU the daemons and the WebSocket client got meanwhile: %.2f of %d cores (load client not counted)\n",
	    (g + c + p) / wall, cores }'
GW_US_EV=$(awk -v n="$THRU_N" -v g="$gw_cpu" 'BEGIN { printf "%.1f", g / n }')
CD_US_EV=$(awk -v n="$THRU_N" -v c="$cd_cpu" 'BEGIN { printf "%.1f", c / n }')
gw_rss_load=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$T/rss.log")
cd_rss_load=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$T/rss.log")
gw_hwm=$(mem VmHWM "$GWPID")
cd_hwm=$(mem VmHWM "$CDPID")

if [ "$STAGES" = 1 ]; then
	echo "--- 2b. the stages alone"
	# collectord alone: gatewayd down, events only spooled and acked.
	gw_down
	"$CCLIENT" -s "$SOCK" -n "$STAGE_N" -c "$THRU_CONNS" -w "$THRU_WINDOW" -p s- -q >"$T/cc2.out" 2>"$T/cc2.err"
	STAGE_ACK=$(val rate "$T/cc2.out" | tr -d /s)
	echo "collectord accept + spool + ack, gatewayd down: $STAGE_ACK events/s ($(val acked "$T/cc2.out") acked)"
	# collectord -> gatewayd -> SQLite: the spool drained as fast as it goes.
	s0=$(stored)
	b0=$(cd_stat flushedBatches)
	cd_cpu0=$(cpu_us "$CDPID")
	gw_up
	# Timed by a WebSocket client from the first event to the last (it
	# may miss the first few if collectord is quicker than it): how soon
	# collectord retries the restarted gateway is not the rate.
	probe_start -i 1000 -t 120000
	probe_wait
	wait_for 100 sh -c "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM events') -ge $((s0 + STAGE_N)) ]"
	t0=$(val first_us "$T/probe.out")
	t1=$(val last_us "$T/probe.out")
	STAGE_DRAIN=$(awk -v n="$(val events "$T/probe.out")" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b > a) ? (n - 1) / ((b - a) / 1e6) : 0 }')
	cd_cpu=$(($(cpu_us "$CDPID") - cd_cpu0))
	gw_cpu=$(cpu_us "$GWPID")	# all of it: started for this stage
	nb=$(($(cd_stat flushedBatches) - b0))
	echo "collectord spool -> gatewayd -> SQLite -> WebSocket (the backlog drained, no client load): $STAGE_DRAIN events/s ($(val events "$T/probe.out") streamed, $(($(stored) - s0)) stored)"
	# One request in flight at a time: a request's round trip bounds the
	# rate. Far more wall time per request than CPU means waiting.
	awk -v nb="$nb" -v n="$STAGE_N" -v a="$t0" -v b="$t1" -v g="$gw_cpu" -v c="$cd_cpu" 'BEGIN {
		if (nb < 1) exit
		ms = (b - a) / 1e3 / nb
		cpu = (g + c) / 1e3 / nb
		printf "      %d requests of %.0f events: %.2f ms each, of which %.2f ms CPU of both daemons\n", nb, n / nb, ms, cpu
		if (ms > 3 * cpu)
			printf "      %.1fx more wall time than CPU: waiting, not working (other load on the machine; ~40 ms a request would be Nagle + delayed ACK)\n", ms / cpu
		else
			printf "      mostly CPU: collectord and gatewayd take turns, one request in flight\n" }'
fi

echo "--- 3. fan-out (bench_gatewayd_fanout on this gatewayd: posts batches of 10 to ingest)"
FANLINES=
for c in $FAN; do
	"$FANOUT" -p "$PORT" -c "$c" -r "$FAN_RATE" -d "$FAN_SECS" -T "$T/ingest.token" \
	    >"$T/fan.out" 2>&1
	sed 's/^/      /' "$T/fan.out"
	p50=$(sed -n 's/.*p50 \([0-9.]*\).*/\1/p' "$T/fan.out")
	p99=$(sed -n 's/.*p99 \([0-9.]*\) .*/\1/p' "$T/fan.out")
	pct=$(sed -n 's/.*expected (\([0-9.]*%\)).*/\1/p' "$T/fan.out")
	FANLINES="$FANLINES
fan-out $c clients x $FAN_RATE/s, p50 / p99|$p50 / $p99 ms ($pct delivered)|-|broadcast < 50 ms"
done

gw_hwm_fan=$(mem VmHWM "$GWPID")
echo "--- 4. memory (KiB)"
echo "gatewayd:   idle $gw_rss_idle, peak during throughput $gw_rss_load, VmHWM $gw_hwm; VmHWM after the fan-out $gw_hwm_fan"
echo "collectord: idle $cd_rss_idle, peak during throughput $cd_rss_load, VmHWM $cd_hwm"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo
echo "== summary"
{
	echo "metric|agentvis|target|prototype"
	echo "hookcli start -> WebSocket at 100/s, p50|$L100_50 ms|<= 5 ms|~150 ms"
	echo "hookcli start -> WebSocket at 100/s, p99|$L100_99 ms|<= 20 ms|-"
	echo "hookcli start -> WebSocket at 1,000/s, p50 / p99|$L1K_50 / $L1K_99 ms|-|- (100 events/s max)"
	echo "events lost in the latency runs|$((L100_LOST + L1K_LOST))|0|0 (with retry logic)"
	echo "sustained client -> collectord -> gatewayd -> SQLite -> WebSocket|$THRU events/s|>= 50,000|100 events/s"
	echo "lost in the throughput run (not streamed)|$THRU_LOST of $THRU_N|0|0 (with retry logic)"
	echo "collectord acks during the throughput run|$ACKRATE events/s|-|-"
	echo "CPU per event: gatewayd / collectord|$GW_US_EV / $CD_US_EV us|-|-"
	if [ "$STAGES" = 1 ]; then
		echo "stage: collectord alone (spool + ack)|$STAGE_ACK events/s|-|-"
		echo "stage: collectord spool -> gatewayd -> WebSocket (no intake)|$STAGE_DRAIN events/s|-|-"
	fi
	echo "$FANLINES" | sed '/^$/d'
	echo "gatewayd RSS idle / under load / peak with fan-out|$gw_rss_idle / $gw_rss_load / $gw_hwm_fan KiB|-|-"
	echo "collectord RSS idle / under load|$cd_rss_idle / $cd_rss_load KiB|-|-"
} | awk -F'|' '{ printf "%-62s %-26s %-11s %s\n", $1, $2, $3, $4 }'
