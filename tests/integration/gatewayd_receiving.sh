#!/bin/sh
# gatewayd_receiving.sh: max_receiving bounds the bytes of ingest bodies
# being received at once. Connections each part-way through a large body
# hold their promise (Content-Length) against it; past it a new body gets
# 503 with Retry-After from its headers, before any of it is read; once
# the slow ones are gone, bodies are taken again.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

cat >"$T/gw.conf" <<EOC
rate_limit = 0
max_body_bytes = 2M
max_receiving = 4M
body_timeout = 60s
EOC
gw_start -c "$T/gw.conf" --store memory

# A 1 MiB body (valid JSON, which never gets to be read whole).
{ printf '{"events":[],"pad":"'; head -c 1048000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/big"
size=$(wc -c <"$T/big" | tr -d ' ')

note "four slow senders of a 1 MiB body each hold 4 MiB"
for i in 1 2 3 4; do
	"$CURL" -s -o /dev/null -m 120 --limit-rate 1k -H 'Content-Type: application/json' \
	    --data-binary "@$T/big" "$URL/api/v1/events/ingest" &
	AV_PIDS="$AV_PIDS $!"
	SLOW="${SLOW:-} $!"
done
# Wait until all four are inside their bodies (gatewayd accepted them).
sleep 2

note "a fifth large body is refused at once, before it is read"
assert_eq "over max_receiving" 503 "$(post "$T/big" -m 20 -D "$T/h")"
assert_contains "says why" "$(cat "$T/resp")" "max_receiving"
grep -qi '^retry-after: 1' "$T/h" || fail "503 without Retry-After: $(cat "$T/h")"
assert_eq "metrics count it" 200 "$(get /metrics)"
grep -q '^agentvis_ingest_requests_total{status="503"} 1$' "$T/resp" ||
	fail "503 not counted: $(grep 'status="503"' "$T/resp")"

batch 1 5 >"$T/b1"
note "the slow senders go: bodies are taken again"
for p in $SLOW; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
av_wait_for 10 sh -c "[ \"\$(\"$CURL\" -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @$T/b1 $URL/api/v1/events/ingest)\" = 200 ]" ||
	fail "bodies still refused after the slow senders went"
gw_stop
exit 0
