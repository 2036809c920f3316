#!/bin/sh
# gatewayd against RFC 6455 and RFC 9110 on the wire, byte for byte: a
# refused upgrade is an HTTP/1.1 answer a WebSocket client can read (with
# WWW-Authenticate on 401, the read API's detail list on 422, a 400 that
# names a missing or wrong handshake header); the close codes of frames
# lws would let through or read to the end (a close frame of one byte,
# a close reason or a text that is not UTF-8, a frame announcing more
# than max_ws_message_bytes); a close frame before the keepalive hangs
# up; HEAD wherever GET works.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

[ -n "${NODE:-}" ] || skip "node missing"
RAW="$NODE $top_srcdir/tests/integration/rawclient.js"
S=/api/v1/agents/activity/stream

# upgrade NAME PATH [HEADER-LINES]: a raw upgrade with a good key and
# version unless HEADER-LINES replaces them; the answer in $T/NAME.
upgrade() {
	local hdrs=${3-'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'}
	printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n$hdrs\r\n" \
	    "$2" "$PORT" >"$T/$1.req"
	$RAW request "$PORT" "$T/$1.req" >"$T/$1" 2>&1
}
# status NAME: the status line of $T/NAME; body NAME: what follows the
# head; header NAME FIELD: that field's value (lws writes names in
# lower case).
status() {
	head -n 1 "$T/$1" | tr -d '\r'
}
body() {
	sed '1,/^\r$/d' "$T/$1"
}
header() {
	sed -n "s/^$2: \(.*\)\r$/\1/p" "$T/$1"
}

cat >"$T/auth.conf" <<EOC
user_tokens = alice-token-1:alice
EOC
gw_start -c "$T/auth.conf" --store memory

note "a refused upgrade is an HTTP/1.1 answer, then the connection closes"
upgrade noauth "$S"
assert_eq "401 status line" "HTTP/1.1 401 Unauthorized" "$(status noauth)"
assert_eq "401 challenge" "Bearer" "$(header noauth www-authenticate)"
assert_eq "401 closes" "close" "$(header noauth connection)"
assert_eq "401 body" '{"detail":"missing token"}' "$(body noauth)"
upgrade types "$S?token=alice-token-1&types=bogus"
assert_eq "422 status line" "HTTP/1.1 422 Unprocessable Content" "$(status types)"
assert_eq "422 body, as the read API's" \
    '{"detail":[{"loc":["query","types"],"msg":"unknown event type","type":"value_error"}]}' \
    "$(body types)"
assert_eq "422 content-length" "$(body types | wc -c | tr -d ' ')" \
    "$(header types content-length)"
upgrade since "$S?token=alice-token-1&since=-1"
assert_eq "422 since" \
    '{"detail":[{"loc":["query","since"],"msg":"want a sequence number","type":"value_error"}]}' \
    "$(body since)"
upgrade path /api/v1/nowhere
assert_eq "404 status line" "HTTP/1.1 404 Not Found" "$(status path)"
assert_eq "404 body" '{"detail":"Not Found"}' "$(body path)"
upgrade ok "$S?token=alice-token-1"
assert_eq "a good upgrade" "HTTP/1.1 101 Switching Protocols" "$(status ok)"

note "a handshake without a key or with another version: 400 naming the header"
upgrade nokey "$S" 'Sec-WebSocket-Version: 13\r\n'
assert_eq "no key: status line" "HTTP/1.1 400 Bad Request" "$(status nokey)"
assert_eq "no key: body" \
    '{"detail":[{"loc":["header","Sec-WebSocket-Key"],"msg":"missing","type":"value_error"}]}' \
    "$(body nokey)"
upgrade badkey "$S" 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n'
assert_eq "bad key: body" \
    '{"detail":[{"loc":["header","Sec-WebSocket-Key"],"msg":"want the base64 of 16 bytes","type":"value_error"}]}' \
    "$(body badkey)"
upgrade v8 "$S" 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n'
assert_eq "version 8: status line" "HTTP/1.1 400 Bad Request" "$(status v8)"
assert_eq "version 8: the one served" "13" "$(header v8 sec-websocket-version)"
assert_eq "version 8: body" \
    '{"detail":[{"loc":["header","Sec-WebSocket-Version"],"msg":"want 13","type":"value_error"}]}' \
    "$(body v8)"
gw_stop

printf 'ping_interval = 1s\nhangup_timeout = 3s\n' >"$T/ka.conf"
gw_start -c "$T/ka.conf" --store memory

# frames NAME HEX: send the client frames HEX after the upgrade; what
# the server sent back in $T/NAME (rawclient.js frames).
frames() {
	$RAW frames "$PORT" "$S?user_id=$1" "$2" 3000 >"$T/$1" 2>&1
}
# Masked frames, with a mask of zeros so that the payload reads as is.
note "close frames lws would echo, and text that is not UTF-8"
frames close1 88810000000003
assert_contains "one-byte close: 1002" "$(cat "$T/close1")" 'close 1002 '
frames closeutf 88840000000003e8c328
assert_contains "close reason not UTF-8: 1007" "$(cat "$T/closeutf")" 'close 1007 '
frames textutf 818200000000c328
assert_contains "text not UTF-8: 1007" "$(cat "$T/textutf")" 'close 1007 '
frames cut 818100000000e2
assert_contains "text cut inside a character: 1007" "$(cat "$T/cut")" 'close 1007 '
# A ping whose euro sign is cut across two fragments is whole: a pong.
a=$(printf '{"type":"ping","x":"\342' | od -An -tx1 | tr -d ' \n')
b=$(printf '\202\254"}' | od -An -tx1 | tr -d ' \n')
frames split "019500000000${a}808400000000$b"
assert_contains "a character across fragments" "$(cat "$T/split")" \
    'frame {"type":"pong"}'
assert_eq "no close for it" "" "$(grep 'close 100' "$T/split")"
frames normal 88840000000003e86f6b
assert_contains "a good close is echoed" "$(cat "$T/normal")" 'close 1000 ok'

note "a frame announcing more than max_ws_message_bytes: 1009 before its payload"
# 1 MiB announced (max 4K), 1100 bytes sent: the rest never comes.
frames big "81ff0000000000100000$(printf '00000000')$(printf '%02200d' 0)"
assert_contains "too large: 1009 at once" "$(cat "$T/big")" 'close 1009 '
head -n 3 "$T/big" | grep -q 'close 1009' ||
    fail "1009 came late: $(cat "$T/big")"

note "keepalive: a client that answers no ping is told 1011 before the hang-up"
$RAW frames "$PORT" "$S?user_id=mute" "" 8000 >"$T/mute" 2>&1
assert_contains "mute: pinged" "$(cat "$T/mute")" 'ping'
assert_contains "mute: close 1011" "$(cat "$T/mute")" 'close 1011 keepalive timeout'
assert_eq "mute: close, then hang-up" "eof" \
    "$(sed -n '/close 1011/{n;p;}' "$T/mute" | cut -d' ' -f1)"
"$WSCLIENT" -t 5000 "$PORT" "$S?user_id=live" >/dev/null 2>"$T/live.err" ||
    fail "answering client: $(cat "$T/live.err")"
assert_eq "a client that answers stays" "" "$(grep close "$T/live.err")"

note "HEAD wherever GET works: the same head, no body"
batch 1 3 >"$T/b3"
assert_eq "ingest" 200 "$(post "$T/b3")"
for p in /api/v1/events /api/v1/agents /api/v1/events/stats /metrics \
    /api/v1/health /index.html; do
	"$CURL" -s -I "$URL$p" >"$T/head" || fail "HEAD $p"
	assert_eq "HEAD $p" "HTTP/1.1 200 OK" "$(status head)"
done
# Raw, on one connection: HEAD then GET; the GET's head follows the
# HEAD's at once, and the HEAD's Content-Length is the GET's body.
for p in /api/v1/events /api/v1/agents /index.html; do
	printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$p" >"$T/hg.req"
	$RAW request "$PORT" "$T/hg.req" >"$T/h1"
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$p" >"$T/g.req"
	$RAW request "$PORT" "$T/g.req" >"$T/g1"
	assert_eq "HEAD $p: no body" "" "$(body h1)"
	assert_eq "HEAD $p: Content-Length of GET" \
	    "$(body g1 | wc -c | tr -d ' ')" "$(header h1 content-length)"
	assert_eq "HEAD $p: Content-Type of GET" "$(header g1 content-type)" \
	    "$(header h1 content-type)"
done
printf 'HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >"$T/hm.req"
$RAW request "$PORT" "$T/hm.req" >"$T/hm"
assert_eq "HEAD /metrics" "HTTP/1.1 200 OK" "$(status hm)"
assert_eq "HEAD /metrics: type" "text/plain; version=0.0.4" "$(header hm content-type | head -n 1)"
assert_eq "HEAD /metrics: the next answer right after the head" \
    "HTTP/1.1 200 OK" "$(body hm | head -n 1 | tr -d '\r')"
"$CURL" -s -I -X HEAD "$URL/api/v1/events/ingest" -o /dev/null -w '%{http_code}' >"$T/hi"
assert_eq "HEAD on POST-only ingest" 405 "$(cat "$T/hi")"
"$CURL" -s -X POST -o /dev/null -D "$T/allow" "$URL/api/v1/events"
assert_eq "Allow of a GET route" "GET, HEAD" "$(header allow allow)"
gw_stop
