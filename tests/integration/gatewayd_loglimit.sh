#!/bin/sh
# gatewayd_loglimit.sh: what clients do is not a line per client in
# gatewayd's log. 100 connections whose first head is too big get 431
# from the door and no line at all; 100 whose second request on a
# kept-alive connection overflows lws's header space each make lws warn,
# and gatewayd logs that once (then at most every 10 s, with the count).
# gatewayd keeps answering throughout.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"
command -v python3 >/dev/null || skip "python3 missing"

gw_start --store memory
python3 - "$PORT" >"$T/statuses" <<'PY' || fail "the requests could not be sent"
import socket, sys
port = int(sys.argv[1])
ok = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
big = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 60000 + \
    b"\r\n\r\n"

def status(s):
    buf = b""
    while b"\r\n" not in buf:
        try:
            d = s.recv(4096)
        except OSError:
            return "reset"
        if not d:
            return "closed" if not buf else buf.decode()
        buf += d
    return buf.split(b"\r\n")[0].decode()

for first in (True, False):
    for i in range(100):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if not first:
            s.sendall(ok)
            r = status(s)
            if "200" not in r:
                print("first request:", r)
        try:
            s.sendall(big)
        except OSError:
            pass
        print(("first " if first else "second ") + status(s))
        s.close()
PY
n431=$(grep -c '^first HTTP/1.1 431' "$T/statuses")
note "oversized first heads answered 431: $n431 of 100"
assert_eq "431 answers" 100 "$n431"
assert_eq "first requests refused" 0 "$(grep -c '^first request' "$T/statuses")"
assert_eq "still answers" 200 "$(get /api/v1/health)"
n=$(count "$T/gatewayd.log" 'Ran out of header data space')
l=$(wc -l <"$T/gatewayd.log")
note "lws warnings logged for 100 overflowing second heads: $n; log lines in all: $l"
assert_eq "lws warnings logged" 1 "$n"
[ "$l" -le 5 ] || fail "gatewayd logged $l lines: $(tail -n 5 "$T/gatewayd.log")"
exit 0
