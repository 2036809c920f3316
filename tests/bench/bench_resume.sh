#!/bin/bash
# bench_resume.sh: how soon delivery resumes after a gateway outage.
#
# collectord (default retry settings: 1 s doubling to 30 s) holds an event
# sent while gatewayd is down; gatewayd starts after OUTAGE seconds. The
# figure is the time from gatewayd's first answer to the event stored in
# its SQLite store, for each outage length, with collectord's health
# probes on (probe_interval_ms = 500ms, the default) and, as the baseline
# in the same run, off (probe_interval_ms = 0: only the backoff's retries).
# Target: <= 1 s after gatewayd answers, whatever the outage.
set -u
: "${top_builddir:?run through make bench}"
: "${top_srcdir:?run through make bench}"
HOOKCLI=$top_builddir/hookcli/hookcli
COLLECTORD=$top_builddir/collectord/collectord
GATEWAYD=$top_builddir/gatewayd/gatewayd
FREEPORT=$top_builddir/tests/integration/freeport
OUTAGES=${BENCH_OUTAGES:-2 10 40}
SQLITE3=$(command -v sqlite3) || { echo "bench_resume: sqlite3 missing"; exit 77; }
for p in "$HOOKCLI" "$COLLECTORD" "$GATEWAYD" "$FREEPORT"; do
	[ -x "$p" ] || { echo "bench_resume: $p not built (make check builds it)"; exit 0; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-resume.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { date +%s%3N; }

# One outage: run PROBE_MS OUTAGE_S; prints the ms to stored, or "-".
run() {
	local probe=$1 outage=$2 port cd gw t0 i
	rm -rf "$T/r" && mkdir -p "$T/r/run"
	port=$($FREEPORT)
	printf 'ingest_token_file = %s\n' "$T/r/token" >"$T/r/gw.conf"
	(umask 077 && "$GATEWAYD" -c "$T/r/gw.conf" --init-token 2>/dev/null)
	cat >"$T/r/cd.conf" <<CONF
socket = $T/r/run/c.sock
spool_dir = $T/r/spool
gateway = http://127.0.0.1:$port
ingest_token_file = $T/r/token
probe_interval_ms = $probe
CONF
	"$COLLECTORD" -c "$T/r/cd.conf" 2>"$T/r/cd.log" &
	cd=$!
	PIDS="$PIDS $cd"
	for i in $(seq 100); do [ -S "$T/r/run/c.sock" ] && break; sleep 0.05; done
	AGENTVIS_SOCKET=$T/r/run/c.sock "$HOOKCLI" task-started \
	    --agent-id bench --agent-name resume </dev/null 2>/dev/null
	sleep "$outage"
	"$GATEWAYD" -c "$T/r/gw.conf" -l "127.0.0.1:$port" \
	    --store "sqlite:$T/r/events.db" 2>"$T/r/gw.log" &
	gw=$!
	PIDS="$PIDS $gw"
	until curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/api/v1/health"; do
		sleep 0.01
	done
	t0=$(now_ms)
	while :; do
		n=$("$SQLITE3" "$T/r/events.db" 'SELECT count(*) FROM events' 2>/dev/null)
		[ "${n:-0}" -ge 1 ] && { echo $(($(now_ms) - t0)); break; }
		[ $(($(now_ms) - t0)) -gt 60000 ] && { echo -; break; }
		sleep 0.02
	done
	kill -TERM "$cd" "$gw" 2>/dev/null
	wait "$cd" "$gw" 2>/dev/null
	PIDS=""
}

printf '%-10s %-22s %-22s %s\n' outage "probes (500ms), ms" "no probes, ms" ratio
for o in $OUTAGES; do
	a=$(run 500ms "$o")
	b=$(run 0 "$o")
	r=-
	[ "$a" != - ] && [ "$b" != - ] && [ "$a" -gt 0 ] &&
	    r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1fx sooner", b / a }')
	printf '%-10s %-22s %-22s %s\n' "${o} s" "$a" "$b" "$r"
done
echo "target: <= 1000 ms after gatewayd answers"
