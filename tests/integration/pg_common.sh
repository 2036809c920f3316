# pg_common.sh: a throwaway PostgreSQL cluster for a test (sourced after
# lib.sh): initdb in a temp dir of its own ($PGDIR, which the server's user
# must own), the server on a Unix socket in that directory only (no TCP),
# trust authentication, stopped and removed when the test exits. A test
# that needs it fails, never skips, when the server is not installed.
# Not a test itself.

PGBIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] &&
	    { PGBIN=$d; break; }
done
[ -n "$PGBIN" ] || fail "PostgreSQL server not installed (initdb, pg_ctl)"

# PostgreSQL refuses to run as root: run it as nobody then.
PG_AS=
[ "$(id -u)" -eq 0 ] && PG_AS="runuser -u nobody --"

# Start the cluster: pg_start. Sets PG_URI.
pg_start() {
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/agentvis-pg.XXXXXX") ||
	    fail "mktemp for PostgreSQL"
	AV_ON_EXIT="${AV_ON_EXIT:-} pg_stop;"
	[ -n "$PG_AS" ] && chown nobody "$PGDIR"
	$PG_AS "$PGBIN/initdb" -D "$PGDIR/db" -A trust -U postgres \
	    >"$T/initdb.log" 2>&1 || fail "initdb: $(tail -5 "$T/initdb.log")"
	$PG_AS "$PGBIN/pg_ctl" -D "$PGDIR/db" -l "$PGDIR/postgres.log" -w \
	    -t 60 -o "-k $PGDIR -c listen_addresses= -c fsync=off \
	    -c max_connections=20" start >/dev/null 2>&1 ||
	    fail "postgres did not start: $(tail -5 "$PGDIR/postgres.log")"
	PG_URI="postgresql://postgres@/postgres?host=$PGDIR"
}

# Stop it at once (the test is over) and remove it.
pg_stop() {
	$PG_AS "$PGBIN/pg_ctl" -D "$PGDIR/db" -m immediate -w stop \
	    >/dev/null 2>&1 || :
	rm -rf "$PGDIR"
}

# Run SQL: pg_sql 'SELECT …' (unaligned, tuples only).
pg_sql() {
	"$PGBIN/psql" -X -q -At -d "$PG_URI" -c "$1"
}
