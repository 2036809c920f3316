#!/bin/sh
# gatewayd dedup: what is a duplicate. The same event_id and instant are
# one event however a client spells them (the UUID in upper case, the time
# with +00:00, another offset or microseconds): stored and streamed once,
# in the canonical form, on the SQLite and the memory store. gatewayd_pg.sh
# runs the same over PostgreSQL.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/gatewayd_common.sh"

spellings "sqlite:$T/events.db"
spellings memory
