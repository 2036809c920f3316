#!/bin/sh
# store_pg.sh: the store suite (tests/unit/test_store) over the
# PostgreSQL back end, on a throwaway cluster in a temp dir listening on
# a Unix socket only. Skipped (77) without the server binaries or when
# the test was built without libpq.
set -u
B=${top_builddir:-.}
TEST=$B/tests/unit/test_store

PGBIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
    "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { PGBIN=$d; break; }
done
[ -n "$PGBIN" ] || { echo "store_pg: no PostgreSQL server, skipped"; exit 77; }
[ -x "$TEST" ] || { echo "store_pg: build $TEST first" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/test-store-pg.XXXXXX") || exit 1
# PostgreSQL refuses to run as root: run it as nobody then.
AS=
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T" || exit 1
	AS="runuser -u nobody --"
fi
cleanup() {
	$AS "$PGBIN/pg_ctl" -D "$T/db" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

$AS "$PGBIN/initdb" -D "$T/db" -A trust -U postgres >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log"; exit 1; }
$AS "$PGBIN/pg_ctl" -D "$T/db" -l "$T/server.log" -w -t 60 -o \
    "-k $T -c listen_addresses= -c fsync=off -c max_connections=20" \
    start >/dev/null 2>&1 || { cat "$T/server.log"; exit 1; }

AV_TEST_PG="postgresql://postgres@/postgres?host=$T" "$TEST"
