#!/bin/sh
# gatewayd's front door: every request head that its HTTP engine would
# drop in silence gets a status and a JSON body that names the problem;
# heads as big as browsers send are served; the per-address cap and a
# descriptor shortage pause accepting without spinning, and the
# connections already in keep being served.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

PY=$(command -v python3) || fail "python3 missing"

cat >"$T/gw.conf" <<EOC
rate_limit = 0
head_timeout = 1s
max_conns_per_addr = 8
EOC
gw_start -c "$T/gw.conf" --store memory

# raw FILE: send FILE's bytes as they are, print what comes back.
raw() {
	"$PY" - "$PORT" "$1" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(open(sys.argv[2], "rb").read())
out = b""
while True:
    try:
        b = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode("latin-1"))
EOP
}

# expect NAME STATUS TEXT: the answer in $T/ans has that status line and
# a JSON detail holding TEXT.
expect() {
	head -n 1 "$T/ans" | tr -d '\r' >"$T/line"
	assert_eq "$1: status line" "HTTP/1.1 $2" "$(cut -c1-12 "$T/line")"
	grep -q -F -- "$3" "$T/ans" || fail "$1: answer lacks '$3': $(cat "$T/ans")"
	grep -q '^{"detail":\[{"loc":\[' "$T/ans" ||
		fail "$1: no detail list: $(cat "$T/ans")"
	grep -qi '^content-type: application/json' "$T/ans" ||
		fail "$1: not JSON"
}

bigval() {
	head -c "$1" /dev/zero | tr '\0' a
}

# A 12 KiB cookie, as a browser on a busy localhost sends: served.
st=$(get / -H "Cookie: c=$(bigval 12000)")
assert_eq "12 KiB cookie" 200 "$st"

# Over max_head_bytes: 431.
printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: c=%s\r\n\r\n' \
    "$(bigval 20000)" >"$T/req"
raw "$T/req" >"$T/ans"
expect "20 KiB head" 431 "request head over 16384 bytes (max_head_bytes)"

# A request line over 8 KiB: 414.
printf 'GET /api/v1/events?x=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' \
    "$(bigval 9000)" >"$T/req"
raw "$T/req" >"$T/ans"
expect "long request line" 414 "request line over 8192 bytes"

# More query arguments than the engine's table: 414; fewer are served.
args=$(i=0; while [ $i -lt 30 ]; do printf 'a%d=1&' $i; i=$((i + 1)); done)
printf 'GET /api/v1/events?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' \
    "$args" >"$T/req"
raw "$T/req" >"$T/ans"
expect "30 arguments" 414 "31 query arguments: at most 24"
st=$(get "/api/v1/events?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&limit=1")
assert_eq "9 arguments" 200 "$st"

# More header fields than the engine's table: 431.
{
	printf 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n'
	i=0
	while [ $i -lt 70 ]; do
		printf 'X-F%d: v\r\n' $i
		i=$((i + 1))
	done
	printf '\r\n'
} >"$T/req"
raw "$T/req" >"$T/ans"
expect "70 fields" 431 "more than 64 header fields"

# NUL in the target: 400 naming it, in the path and in the query.
printf 'GET /api/v1/events?agent_id=a%%00b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "%00 in the query" 400 'NUL (%00) in the request target'
grep -q '"loc":\["query"\]' "$T/ans" || fail "%00 loc: $(cat "$T/ans")"
printf 'GET /a%%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "%00 in the path" 400 'NUL (%00) in the request target'
printf 'GET /a%%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "bad escape" 400 "not followed by two hex digits"

# Host: required in HTTP/1.1 and only once; not needed in HTTP/1.0.
printf 'GET /api/v1/health HTTP/1.1\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "no Host" 400 "Host header required in HTTP/1.1"
printf 'GET /api/v1/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "two Hosts" 400 "more than one Host header"
printf 'GET /api/v1/health HTTP/1.0\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
assert_eq "HTTP/1.0 without Host" "HTTP/1.0 200" \
    "$(head -n 1 "$T/ans" | cut -c1-12)"

# Malformed heads.
printf 'GET /api/v1/health HTTP/2.0\r\nHost: a\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "HTTP/2.0" 505 "only HTTP/1.0 and HTTP/1.1 are served"
printf 'GET /api/v1/health HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "line folding" 400 "obsolete line folding"
printf 'GET /api/v1/health HTTP/1.1\r\nHost : a\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "space before colon" 400 "invalid header field name"
printf 'HELLO\r\n\r\n' >"$T/req"
raw "$T/req" >"$T/ans"
expect "not HTTP" 400 "malformed request line"

# A fully qualified loopback name is a loopback name.
st=$(get /api/v1/health -H "Host: localhost.:$PORT")
assert_eq "Host localhost." 200 "$st"

# A head that never ends: 408 after head_timeout.
"$PY" - "$PORT" >"$T/ans" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
t = time.time()
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
sys.stderr.write("%.1f\n" % (time.time() - t))
EOP
expect "unfinished head" 408 "head_timeout"

# A head sent in pieces is served once whole.
"$PY" - "$PORT" >"$T/ans" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for part in (b"GET /api/v1/he", b"alth HTTP/1.1\r\nHo", b"st: 127.0.0.1\r\n", b"\r\n"):
    s.sendall(part)
    time.sleep(0.1)
sys.stdout.write(s.recv(4096).decode())
EOP
assert_eq "head in pieces" "HTTP/1.1 200" "$(head -n 1 "$T/ans" | cut -c1-12)"

# Every answer above is counted.
get /metrics >/dev/null
grep -q 'agentvis_http_responses_total{status="431"} 2' "$T/resp" ||
	fail "431s not counted: $(grep responses_total "$T/resp")"

# max_conns_per_addr: the ninth connection from one address is answered
# 503 at once; a place freed is taken again.
"$PY" - "$PORT" >"$T/cap" <<'EOP'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for i in range(8)]
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
print(s.recv(4096).decode().splitlines()[0])
held.pop().close()
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
print(s.recv(4096).decode().splitlines()[0])
EOP
assert_eq "ninth connection" "HTTP/1.1 503 Service Unavailable" \
    "$(sed -n 1p "$T/cap" | tr -d '\r')"
assert_eq "after one closed" "HTTP/1.1 200 OK" \
    "$(sed -n 2p "$T/cap" | tr -d '\r')"
gw_stop

# Out of descriptors: under a limit of 64, 200 connections. gatewayd
# stops accepting short of the limit instead of spinning on EMFILE,
# logs it once a second at most, and a connection it already has is
# still answered. Then the flood ends and new connections are served.
cat >"$T/gw2.conf" <<EOC
rate_limit = 0
max_conns_per_addr = 0
EOC
(
	ulimit -n 64
	exec "$GATEWAYD" -v -l "127.0.0.1:$PORT" --www "$T/www" \
	    -c "$T/gw2.conf" --store memory
) >"$T/gw2.log" 2>&1 &
GWPID=$!
AV_PIDS="$AV_PIDS $GWPID"
av_wait_http "$URL/api/v1/health"
"$PY" - "$PORT" "$GWPID" >"$T/fd" <<'EOP'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
keep = socket.create_connection(("127.0.0.1", port), timeout=5)
def ask():
    keep.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return keep.recv(4096).decode().splitlines()[0]
print(ask())
flood = []
for i in range(200):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    flood.append(s)
time.sleep(0.5)
c0, t0 = cpu(), time.time()
time.sleep(2)
print("cpu %.2f" % ((cpu() - c0) / (time.time() - t0)))
print(ask())
for s in flood:
    s.close()
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
print(s.recv(4096).decode().splitlines()[0])
EOP
sed -n 1p "$T/fd" | grep -q "200 OK" || fail "kept connection: $(cat "$T/fd")"
sed -n 3p "$T/fd" | grep -q "200 OK" ||
	fail "kept connection during the flood: $(cat "$T/fd")"
sed -n 4p "$T/fd" | grep -q "200 OK" || fail "after the flood: $(cat "$T/fd")"
cpu=$(sed -n 2p "$T/fd" | cut -d' ' -f2)
echo "gatewayd CPU during the flood: $cpu of a core"
awk -v c="$cpu" 'BEGIN { exit !(c < 0.3) }' || fail "gatewayd spins: $cpu of a core"
n=$(grep -c "door:" "$T/gw2.log" || true)
echo "door log lines during the flood: $n"
[ "$n" -ge 1 ] && [ "$n" -le 6 ] || fail "door log lines: $n: $(grep door: "$T/gw2.log" | head)"
gw_stop
exit 0
