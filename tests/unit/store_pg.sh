#!/bin/sh
# store_pg.sh: the store suite (tests/unit/test_store) over the
# PostgreSQL back end, on a throwaway cluster listening on a Unix socket
# only. Fails when the server is not installed.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/pg_common.sh"

TEST=$top_builddir/tests/unit/test_store
[ -x "$TEST" ] || fail "build $TEST first"
pg_start
AV_TEST_PG=$PG_URI "$TEST"
