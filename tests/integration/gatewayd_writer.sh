#!/bin/sh
# gatewayd's store writer thread under concurrent ingest: many posters at
# once (batches commit in groups), redelivered batches (duplicates are
# counted, never streamed), clients that hang up before their answer, a
# live client and clients replaying from 0 while the load runs. Every
# WebSocket client must get every stored event exactly once, in seq
# order, and the store must hold every event once.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

cat >"$T/gw.conf" <<EOC
rate_limit = 0
EOC
gw_start -c "$T/gw.conf" --store "sqlite:$T/events.db"

# postto FILE OUT: POST a body, answer in OUT, print the status.
postto() {
	"$CURL" -s -o "$2" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "@$1" "$URL/api/v1/events/ingest"
}

# hangup FILE: send a whole ingest request, then close without reading.
hangup() {
	"$NODE" -e '
const net = require("net"), fs = require("fs");
const body = fs.readFileSync(process.argv[1]);
const s = net.connect(+process.argv[2], "127.0.0.1", () => {
	s.write("POST /api/v1/events/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
	    "Content-Type: application/json\r\nContent-Length: " +
	    body.length + "\r\n\r\n");
	s.end(body);
});
s.on("finish", () => s.destroy());
s.on("error", () => {});' "$1" "$PORT"
}
S=/api/v1/agents/activity/stream
P=6		# concurrent posters
K=12		# batches each
M=50		# events per batch
TOTAL=$((P * K * M))

# Poster p sends batches p*K .. p*K+K-1; every third one twice.
p=0
while [ $p -lt $P ]; do
	k=0
	while [ $k -lt $K ]; do
		b=$((p * K + k))
		batch $((b * M + 1)) $((b * M + M)) >"$T/b$b"
		k=$((k + 1))
	done
	p=$((p + 1))
done
# The hang-ups: events beyond TOTAL, sent by clients gone before the answer.
batch $((TOTAL + 1)) $((TOTAL + 200)) >"$T/hangup"
batch $((TOTAL + 201)) $((TOTAL + 201)) >"$T/last"

# The live client: connected, every event, the last one.
ws_start live -n $((TOTAL + 200 + 2)) -t 60000 "$PORT" "$S?user_id=1"
ws_wait_conns 1

p=0
while [ $p -lt $P ]; do
	(
		k=0
		while [ $k -lt $K ]; do
			b=$((p * K + k))
			postto "$T/b$b" "$T/resp.$b" >"$T/st.$b"
			if [ $((k % 3)) -eq 0 ]; then
				postto "$T/b$b" "$T/dup.$b" >"$T/dupst.$b"
			fi
			k=$((k + 1))
		done
	) &
	eval "poster$p=\$!"
	p=$((p + 1))
done
# Clients that hang up right after sending (node has no use for answers).
if [ -n "${NODE:-}" ]; then
	i=0
	while [ $i -lt 4 ]; do
		hangup "$T/hangup"
		i=$((i + 1))
	done
fi
# Replaying clients join while the posters run.
ws_start r1 -n $((TOTAL + 200 + 2)) -t 60000 "$PORT" "$S?user_id=2&since=0"
ws_start r2 -n $((TOTAL + 200 + 1)) -t 60000 "$PORT" "$S?user_id=3&since=1"

p=0
while [ $p -lt $P ]; do
	eval "wait \$poster$p"
	p=$((p + 1))
done
b=0
while [ $b -lt $((P * K)) ]; do
	assert_eq "batch $b" 200 "$(cat "$T/st.$b")"
	if [ -f "$T/dupst.$b" ]; then
		assert_eq "redelivered batch $b" 200 "$(cat "$T/dupst.$b")"
		assert_contains "redelivery $b" "$(cat "$T/dup.$b")" \
		    "\"accepted\":0,\"duplicates\":$M,"
	fi
	b=$((b + 1))
done
# The hang-ups' batch, now delivered with an answer: stored at most once
# whichever attempt got in (the seq checks below see it exactly once).
assert_eq "hang-up batch redelivered" 200 "$(post "$T/hangup")"
assert_eq "last event" 200 "$(post "$T/last")"
assert_contains "last seq" "$(cat "$T/resp")" "\"first_seq\":$((TOTAL + 201)),"

for c in live r1 r2; do
	ws_wait $c
	assert_eq "client $c" 0 "$(cat "$T/$c.rc")"
	grep '"type":"agent_event"' "$T/$c.out" | grep -o '"seq":[0-9]*' |
	    cut -d: -f2 >"$T/$c.seqs"
done
seq 1 $((TOTAL + 201)) >"$T/want"
for c in live r1; do
	cmp -s "$T/want" "$T/$c.seqs" || {
		diff "$T/want" "$T/$c.seqs" | head -n 10
		fail "$c: seqs are not exactly 1..$((TOTAL + 201)) in order"
	}
done
seq 2 $((TOTAL + 201)) >"$T/want2"
cmp -s "$T/want2" "$T/r2.seqs" || {
	diff "$T/want2" "$T/r2.seqs" | head -n 10
	fail "r2: seqs are not exactly 2..$((TOTAL + 201)) in order"
}

# Stored once each (duplicates were counted in each redelivery's answer).
assert_eq "stats" 200 "$(get /api/v1/events/stats)"
assert_contains "accepted" "$(cat "$T/resp")" "\"accepted\":$((TOTAL + 201)),"
assert_eq "last page" 200 "$(get "/api/v1/events?since=$((TOTAL + 200))&limit=10")"
assert_contains "one event after" "$(cat "$T/resp")" "\"seq\":$((TOTAL + 201)),"
echo "hang-ups answered too late: $(count "$T/gatewayd.log" 'gone before its answer')"

# HTTP pipelining: a second request sent before the first's answer. lws
# 4.1.6 hands it over while the first batch commits; answering it would
# answer out of order, so the connection is closed with no answer at all.
# The first batch is stored; the client's retry of both is deduplicated.
batch 900001 900002 >"$T/p1"
batch 900003 900005 >"$T/p2"
# pipeline A B OUT: both requests in one write; whatever comes back in OUT.
pipeline() {
"$NODE" -e '
const net = require("net"), fs = require("fs");
const req = (f) => { const b = fs.readFileSync(f);
	return Buffer.concat([Buffer.from("POST /api/v1/events/ingest HTTP/1.1\r\n" +
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
	    b.length + "\r\n\r\n"), b]); };
let got = "";
const s = net.connect(+process.argv[3], "127.0.0.1", () => {
	s.write(Buffer.concat([req(process.argv[1]), req(process.argv[2])]));
});
s.on("data", (d) => { got += d; });
s.on("close", () => { process.stdout.write(got); process.exit(0); });
setTimeout(() => { process.stdout.write(got + "TIMEOUT"); process.exit(0); }, 5000);
' "$1" "$2" "$PORT" >"$3" 2>&1
}
pipeline "$T/p1" "$T/p2" "$T/pipe.out"
assert_eq "pipelined: closed, no answer" "" "$(cat "$T/pipe.out")"
assert_contains "pipelined: said why" "$(cat "$T/gatewayd.log")" 'pipelined behind an unanswered one'
assert_eq "pipelined: retried" 200 "$(post "$T/p1")"
assert_contains "pipelined: first batch was stored" "$(cat "$T/resp")" '"accepted":0,"duplicates":2'
assert_eq "pipelined: second batch" 200 "$(post "$T/p2")"
assert_contains "pipelined: second batch stored now" "$(cat "$T/resp")" '"accepted":3,'
# Behind a refused batch too: lws 4.1.6 used to mangle the second body
# (a bogus 400) and then spin at 100 % CPU, deaf to SIGTERM (gw_stop).
echo '{"events":[{"event_type":"nope"}],"batch_id":"bad"}' >"$T/p3"
pipeline "$T/p3" "$T/p2" "$T/pipe.out"
assert_eq "pipelined behind a 422: closed, no answer" "" "$(cat "$T/pipe.out")"
assert_eq "still serving" 200 "$(get /api/v1/health)"
gw_stop
