#!/bin/sh
# gatewayd_health.sh: /api/v1/health tells the truth about the store.
# While commits fail (an outside sqlite3 holds the write lock past the
# busy timeout), ingest gets 503 and so does health, "degraded" with the
# store's error, for a load balancer to act on; the first commit that
# succeeds makes it "ok" again.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

[ -n "${SQLITE3:-}" ] || SQLITE3=$(command -v sqlite3) || fail "sqlite3 missing"
DB=$T/events.db
gw_start --store "sqlite:$DB"
assert_eq "health at start" 200 "$(get /api/v1/health)"
jq -e '.status == "ok" and .store_writable == true and .store_error == null' \
    "$T/resp" >/dev/null || fail "health at start: $(cat "$T/resp")"

note "an outside writer holds the lock: commits fail"
db_lock "$DB"
batch 1 5 >"$T/b1"
assert_eq "ingest while locked" 503 "$(post "$T/b1" -m 20)"
assert_eq "health while locked" 503 "$(get /api/v1/health)"
jq -e '.status == "degraded" and .store_writable == false
    and (.store_error | type == "string" and length > 0)' "$T/resp" >/dev/null ||
	fail "health while locked: $(cat "$T/resp")"

note "the lock goes: the next commit succeeds, health is ok again"
db_unlock
assert_eq "ingest again" 200 "$(post "$T/b1" -m 20)"
assert_eq "health again" 200 "$(get /api/v1/health)"
jq -e '.status == "ok" and .store_writable == true and .store_error == null' \
    "$T/resp" >/dev/null || fail "health again: $(cat "$T/resp")"
gw_stop
exit 0
