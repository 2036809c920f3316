# collectord_env.sh: what the collectord_*.sh tests share (sourced after
# lib.sh): a fake gateway on a free port, a config file in $T, and short
# helpers. Not a test itself.

CLIENT=$top_builddir/tests/integration/collector_client
FAKEGW=$top_builddir/tests/integration/fake_gateway
[ -x "$COLLECTORD" ] || skip "collectord not built"
[ -x "$CLIENT" ] && [ -x "$FAKEGW" ] || skip "test helpers not built"
command -v curl >/dev/null || skip "curl not installed"

SOCK=$T/run/collectord.sock
SPOOL=$T/spool
GW=$T/gw
mkdir -p "$GW"

# Start the fake gateway (mode from $GW/mode, default 200).
gw_start() {
	GWPORT=$(av_free_port)
	av_start fakegw "$FAKEGW" -p "$GWPORT" -d "$GW" "$@"
	GWPID=$AV_LAST_PID
	if [ "$(cat "$GW/mode" 2>/dev/null)" != down ]; then
		av_wait_for 10 gw_up || fail "fake gateway did not start"
	fi
}

# Is the fake gateway listening?
gw_up() {
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$GWPORT/"
}

# Switch what the fake gateway answers.
gw_mode() {
	echo "$*" >"$GW/mode.tmp" && mv "$GW/mode.tmp" "$GW/mode"
}

# Event ids the gateway accepted: all, and without duplicates.
gw_received() {
	[ -f "$GW/events" ] && wc -l <"$GW/events" | tr -d ' ' || echo 0
}
gw_unique() {
	[ -f "$GW/events" ] && cut -d' ' -f1 "$GW/events" | sort -u | wc -l |
	    tr -d ' ' || echo 0
}

# Write $T/collectord.conf: the test's paths plus any "key = value" args.
cd_conf() {
	{
		echo "# written by $0"
		echo "socket = $SOCK"
		echo "spool_dir = $SPOOL"
		echo "gateway = http://127.0.0.1:$GWPORT"
		echo "retry_base_ms = 200"
		echo "retry_max_ms = 1000"
		for kv in "$@"; do echo "$kv"; done
	} >"$T/collectord.conf"
}

# Does a collectord answer on $SOCK?
cd_alive() {
	echo '{"cmd":"ping"}' | "$CLIENT" -s "$SOCK" -r 2>/dev/null | grep -q pong
}

# Start collectord on $T/collectord.conf and wait until it answers (a
# stale socket file may be there before it is).
cd_start() {
	av_start collectord "$COLLECTORD" -c "$T/collectord.conf" -v "$@"
	CDPID=$AV_LAST_PID
	av_wait_for 10 cd_alive || fail "collectord did not start"
}

# One statistic from collectord (via the socket).
cd_stat() {
	echo '{"cmd":"stats"}' | "$CLIENT" -s "$SOCK" -r |
	    sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p"
}

# Wait until the gateway has $1 distinct events (up to $2 seconds).
has_unique() {
	[ "$(gw_unique)" -ge "$1" ]
}
wait_unique() {
	av_wait_for "${2:-20}" has_unique "$1"
}

# SIGTERM collectord; assert it exits 0 within $1 seconds (default 10).
cd_stop_ok() {
	av_stop "$CDPID" "${1:-10}" >"$T/stop.rc"
	assert_eq "collectord exit status" 0 "$(cat "$T/stop.rc")"
}
