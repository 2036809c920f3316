#!/bin/sh
# collectord_garbage.sh: garbage, invalid, oversized, hostile and
# half-written lines from one client are each answered with an error in
# order, the connection carries on, and other clients pipelining at the
# same time are not disturbed.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

gw_start
cd_conf
cd_start

"$CLIENT" -g -n 3 -p garbage- >"$T/valid.ndjson"
big=$(head -c 70000 /dev/zero | tr '\0' x)
{
	echo 'not json at all'
	echo '{"event_type":"agent_spawned"}'
	sed -n 1p "$T/valid.ndjson"
	printf '{"event_type":"agent_spawned","pad":"%s"}\n' "$big"
	sed -n 2p "$T/valid.ndjson"
	echo '{"cmd":"reboot"}'
	echo '{"cmd":"ping"}'
	# A client may not claim an origin: collectord stamps it.
	sed -n 3p "$T/valid.ndjson" | sed 's/"metadata":{/"metadata":{"origin":{"uid":0,"gid":0,"pid":1,"via":"socket"},/'
	printf '{"a":"\001\002"}\n'
	echo '[1,2,3]'
	echo '{"event_type":"task_failed","timestamp":"yesterday"}'
	# Numbers no store keeps exactly, a NUL in a string, a NUL in a name.
	sed -n 3p "$T/valid.ndjson" | sed 's/"metadata":{/"metadata":{"big":1234567890123456789012345,/'
	sed -n 3p "$T/valid.ndjson" | sed 's/"metadata":{/"metadata":{"a":[{"n":-0}],/'
	sed -n 3p "$T/valid.ndjson" | sed 's/"metadata":{/"metadata":{"s":"x\\u0000y",/'
	sed -n 3p "$T/valid.ndjson" | sed 's/"metadata":{/"metadata":{"x\\u0000y":1,/'
	printf '{"event_type":"agent_spawned","event_id":"half-writ'
} >"$T/mixed"

# Others pipeline valid events meanwhile.
"$CLIENT" -s "$SOCK" -n 4000 -c 2 -w 64 -o "$T/acked" >"$T/others.out" 2>&1 &
others=$!
"$CLIENT" -s "$SOCK" -r <"$T/mixed" >"$T/replies" || fail "no replies"
wait "$others" || fail "the other clients were disturbed: $(cat "$T/others.out")"
note "others: $(cat "$T/others.out")"

assert_eq "one reply per line" 16 "$(wc -l <"$T/replies" | tr -d ' ')"
r() { sed -n "$1p" "$T/replies"; }
assert_contains "garbage" "$(r 1)" '"ok":false,"error":"validation","detail":"invalid JSON'
assert_contains "missing fields" "$(r 2)" '"error":"validation"'
assert_contains "missing fields" "$(r 2)" 'field required'
assert_contains "valid 1" "$(r 3)" '"ok":true,"event_id":"'
assert_contains "oversized" "$(r 4)" '"ok":false,"error":"too_large"'
assert_contains "valid 2 after oversized" "$(r 5)" '"ok":true,"event_id":"'
assert_contains "unknown cmd" "$(r 6)" '"ok":false,"error":"validation"'
assert_eq "ping" '{"ok":true,"pong":true}' "$(r 7)"
assert_contains "forged origin" "$(r 8)" '"ok":false,"error":"validation","detail":"metadata.origin'
assert_contains "control chars" "$(r 9)" '"ok":false'
assert_contains "array" "$(r 10)" '"ok":false,"error":"validation"'
assert_contains "bad timestamp" "$(r 11)" '"ok":false,"error":"validation"'
assert_eq "integer outside 64 bits" \
    '{"ok":false,"error":"validation","detail":"metadata.big: integer outside the signed 64-bit range"}' "$(r 12)"
assert_eq "-0" \
    '{"ok":false,"error":"validation","detail":"metadata.a.0.n: -0 is not a 64-bit integer; send 0"}' "$(r 13)"
assert_eq "NUL in a string" \
    '{"ok":false,"error":"validation","detail":"metadata.s: must not contain NUL bytes"}' "$(r 14)"
assert_contains "NUL in a name" "$(r 15)" '"ok":false,"error":"validation","detail":"invalid JSON at offset'
assert_contains "NUL in a name" "$(r 15)" 'NUL character in member name'
assert_contains "half-written last line" "$(r 16)" '"ok":false,"error":"validation","detail":"invalid JSON'

# A 2 MiB line without a newline, then a valid one on the same connection.
{ head -c 2097152 /dev/zero | tr '\0' y; echo; sed -n 3p "$T/valid.ndjson"; } |
    "$CLIENT" -s "$SOCK" -r >"$T/replies2"
assert_eq "replies after a 2 MiB line" 2 "$(wc -l <"$T/replies2" | tr -d ' ')"
assert_contains "2 MiB line" "$(sed -n 1p "$T/replies2")" '"error":"too_large"'
assert_contains "resynchronised" "$(sed -n 2p "$T/replies2")" '"ok":true'

# Only the valid events reach the gateway.
wait_unique 4003 15 || fail "only $(gw_unique) of 4003 arrived"
[ "$(cd_stat rejectedEvents)" -ge 10 ] || fail "rejectedEvents $(cd_stat rejectedEvents)"
kill -0 "$CDPID" || fail "collectord died"
cd_stop_ok
exit 0
