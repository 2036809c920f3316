#!/bin/sh
# collectord_socket.sh: the socket is set up the careful way: mode 0660 in
# a 0750 directory; a second collectord on a live socket or spool refuses
# to start; a stale socket is replaced; a non-socket file and an
# over-long path are refused; SO_PEERCRED becomes metadata.origin; and
# allow_uids/allow_gids decide who may connect.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

gw_start -B
cd_conf
cd_start
assert_eq "socket mode" 660 "$(stat -c %a "$SOCK")"
assert_eq "socket directory mode" 750 "$(stat -c %a "$(dirname "$SOCK")")"
assert_eq "fallback directory mode" 1730 "$(stat -c %a "$SPOOL/incoming")"

# A second collectord on the same socket refuses, the first carries on.
"$COLLECTORD" -c "$T/collectord.conf" --spool "$T/spool2" >"$T/second.log" 2>&1 &&
    fail "a second collectord started on a live socket"
assert_contains "refusal" "$(cat "$T/second.log")" "another collectord is listening on $SOCK"
# … and on the same spool with another socket.
"$COLLECTORD" -c "$T/collectord.conf" -s "$T/run/other.sock" >"$T/third.log" 2>&1 &&
    fail "a second collectord started on a spool in use"
assert_contains "refusal" "$(cat "$T/third.log")" "is in use by another collectord"
assert_eq "first still answers" '{"ok":true,"pong":true}' \
    "$(echo '{"cmd":"ping"}' | "$CLIENT" -s "$SOCK" -r)"

# SO_PEERCRED: the origin is the connecting process.
"$CLIENT" -g -n 1 -p sock- >"$T/one.ndjson"
"$CLIENT" -s "$SOCK" -r <"$T/one.ndjson" >"$T/reply" &
cpid=$!
wait "$cpid"
wait_unique 1 10 || fail "event not delivered"
assert_contains "origin" "$(cat "$GW/bodies")" "\"origin\":{\"uid\":$(id -u),\"gid\":$(id -g),\"pid\":$cpid,\"via\":\"socket\"}"

# Not a socket: refused, and left alone.
echo data >"$T/plain"
"$COLLECTORD" -c "$T/collectord.conf" -s "$T/plain" --spool "$T/spool3" >"$T/plain.log" 2>&1 &&
    fail "started on a plain file"
assert_contains "not a socket" "$(cat "$T/plain.log")" "is not a socket"
assert_eq "plain file untouched" data "$(cat "$T/plain")"

# A path over sun_path's 108 bytes.
long=$T/$(printf '%0120d' 0).sock
"$COLLECTORD" -c "$T/collectord.conf" -s "$long" --spool "$T/spool4" >"$T/long.log" 2>&1 &&
    fail "started on an over-long path"
assert_contains "too long" "$(cat "$T/long.log")" "socket path too long"

# Stale socket from a kill -9: replaced.
kill -KILL "$CDPID"
wait "$CDPID" 2>/dev/null
[ -S "$SOCK" ] || fail "expected a stale socket"
cd_start
assert_contains "stale" "$(cat "$T/collectord.log")" "removed stale socket"
cd_stop_ok

# allow_uids / allow_gids, checked as another user (needs root).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 711 "$T"
	mkdir -m 755 "$T/pub"
	nuid=$(id -u nobody)
	ngid=$(id -g nobody)
	as_nobody() {
		setpriv --reuid="$nuid" --regid="$ngid" --clear-groups "$@"
	}
	cd_conf "socket = $T/pub/c.sock" "socket_mode = 0666" "allow_uids = 12345"
	SOCK=$T/pub/c.sock
	cd_start
	echo '{"cmd":"ping"}' | as_nobody "$CLIENT" -s "$SOCK" -r >"$T/nobody" || true
	assert_contains "refused uid" "$(cat "$T/nobody")" "\"detail\":\"uid $nuid is not allowed\""
	assert_contains "refusal logged" "$(cat "$T/collectord.log")" "refused connection from uid $nuid"
	cd_stop_ok
	cd_conf "socket = $T/pub/c.sock" "socket_mode = 0666" "allow_uids = 12345" "allow_gids = $ngid"
	cd_start
	assert_eq "allowed by gid" '{"ok":true,"pong":true}' \
	    "$(echo '{"cmd":"ping"}' | as_nobody "$CLIENT" -s "$SOCK" -r)"
	cd_stop_ok
else
	note "allow_uids check skipped (needs root and setpriv)"
fi
exit 0
