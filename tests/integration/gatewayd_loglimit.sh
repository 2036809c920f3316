#!/bin/sh
# gatewayd_loglimit.sh: what clients do to lws is not a line per client
# in gatewayd's log. 100 requests whose headers do not fit lws's header
# space each make lws warn; gatewayd logs that once (then at most every
# 10 s, with the count), and keeps answering.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"
command -v python3 >/dev/null || skip "python3 missing"

gw_start --store memory
python3 - "$PORT" <<'PY' || fail "the requests could not be sent"
import socket, sys
port = int(sys.argv[1])
for i in range(100):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
              b"a" * 20000 + b"\r\n\r\n")
    try:
        s.recv(100)
    except OSError:
        pass
    s.close()
PY
assert_eq "still answers" 200 "$(get /api/v1/health)"
n=$(count "$T/gatewayd.log" 'Ran out of header data space')
note "lws warnings logged for 100 requests: $n"
assert_eq "lws warnings logged" 1 "$n"
exit 0
