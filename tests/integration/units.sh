#!/bin/sh
# units.sh: the systemd units start with any prefix. For the build's own
# paths and for other prefixes, the generated units name only directories
# they create or systemd makes (no StateDirectory=, which is always under
# /var/lib), give write access to exactly the directories each daemon
# writes by default (the store; the socket and the spool; the shared
# ingest token, which each makes before it starts), pass
# systemd-analyze verify without a word, and keep systemd-analyze
# security's exposure low (the figure is printed).
. "$top_srcdir/tests/integration/lib.sh"

SA=$(command -v systemd-analyze) || fail "systemd-analyze not installed (Debian: systemd)"
SUBST=$top_srcdir/etc/subst-unit.sh

# The generated unit of daemon D with paths: unit D SBIN SYSCONF STATE RUN
unit() {
	sh "$SUBST" "$top_srcdir/etc/$1.service.in" "$2" "$3" "$4" "$5" >"$T/$1.service"
}
# The values of a key in a unit, one per line (ReadWritePaths splits).
vals() {
	sed -n "s/^$1=//p" "$2" | tr ' ' '\n' | sed '/^$/d' | sort -u
}
# The directories a unit's ExecStartPre lines create.
made() {
	sed -n 's/^ExecStartPre=+\/usr\/bin\/install -d .* \(\/[^ ]*\)$/\1/p' "$1" | sort -u
}

check() {
	local what=$1 sbin=$2 sysconf=$3 state=$4 run=$5 d
	for d in gatewayd collectord; do
		unit $d "$sbin" "$sysconf" "$state" "$run"
		grep -q '@[a-z]*@' "$T/$d.service" && fail "$what: $d: unsubstituted: $(grep '@[a-z]*@' "$T/$d.service")"
		grep -q '^StateDirectory=' "$T/$d.service" && fail "$what: $d: StateDirectory= is always under /var/lib"
		assert_eq "$what: $d: ExecStart" "$sbin/$d -c $sysconf/agentvis/$d.conf" \
		    "$(sed -n 's/^ExecStart=//p' "$T/$d.service")"
		# The shared ingest token is made before the daemon starts,
		# from the path its own configuration names.
		assert_eq "$what: $d: makes the ingest token" \
		    "$sbin/$d -c $sysconf/agentvis/$d.conf --init-token" \
		    "$(sed -n 's/^ExecStartPre=\([^+].* --init-token\)$/\1/p' "$T/$d.service")"
		# Write access exactly where the service makes its directories.
		assert_eq "$what: $d: ReadWritePaths = the directories made" \
		    "$(made "$T/$d.service")" "$(vals ReadWritePaths "$T/$d.service")"
		# verify: the binary and man pages are not installed here, so the
		# unit names the built one and no Documentation=.
		sed -e "s|^ExecStart=[^ ]*|ExecStart=$top_builddir/$d/$d|" \
		    -e "s|^ExecStartPre=$sbin/$d |ExecStartPre=$top_builddir/$d/$d |" \
		    -e '/^Documentation=/d' "$T/$d.service" >"$T/verify-$d.service"
		"$SA" verify "$T/verify-$d.service" >"$T/verify.out" 2>&1 ||
		    fail "$what: $d: verify: $(cat "$T/verify.out")"
		[ ! -s "$T/verify.out" ] || fail "$what: $d: verify says: $(cat "$T/verify.out")"
		"$SA" security --offline=true "$T/$d.service" >"$T/security.out" 2>&1 ||
		    fail "$what: $d: security: $(tail -3 "$T/security.out")"
		score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/security.out")
		note "$what: $d: exposure $score"
		awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' ||
		    fail "$what: $d: exposure $score (over 2.0): $(grep '✗' "$T/security.out" | head -5)"
	done
	# Each daemon may write what it writes by default.
	vals ReadWritePaths "$T/gatewayd.service" | grep -qxF "$state/lib/agentvis" ||
		fail "$what: gatewayd cannot write its store's directory $state/lib/agentvis"
	vals ReadWritePaths "$T/collectord.service" | grep -qxF "$run/agentvis" ||
		fail "$what: collectord cannot write its socket's directory"
	vals ReadWritePaths "$T/collectord.service" | grep -qxF "$state/spool/agentvis" ||
		fail "$what: collectord cannot write its spool"
	# Either may be the first to start and make the ingest token there.
	vals ReadWritePaths "$T/collectord.service" | grep -qxF "$state/lib/agentvis" ||
		fail "$what: collectord cannot make the ingest token in $state/lib/agentvis"
}

# The units this build installs, as make generated them.
for d in gatewayd collectord; do
	[ -f "$top_builddir/etc/$d.service" ] || fail "make did not generate etc/$d.service"
done
B=$top_builddir/etc/gatewayd.service
sbin=$(sed -n 's/^ExecStart=\(.*\)\/gatewayd .*/\1/p' "$B")
state=$(sed -n 's/^ReadWritePaths=\(.*\)\/lib\/agentvis$/\1/p' "$B")
[ -n "$sbin" ] && [ -n "$state" ] || fail "cannot read the build's paths from $B"
unit gatewayd "$sbin" /x /x /x
cmp -s "$T/gatewayd.service" "$B" && fail "check: the substitution did nothing"
check "the autotools default" /usr/local/sbin /usr/local/etc /usr/local/var /usr/local/var/run
check "Debian's layout" /usr/sbin /etc /var /run
check "a prefix of its own" /opt/agentvis/sbin /opt/agentvis/etc /opt/agentvis/var /opt/agentvis/var/run
exit 0
