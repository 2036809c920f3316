#!/bin/sh
# gatewayd's documentation matches gatewayd: both pages lint clean, every
# option of --help is in gatewayd(8), every configuration key is in
# gatewayd.conf(5) and in the example etc/gatewayd.conf, and the example
# with every key set to its documented default still checks.
. "$top_srcdir/tests/integration/lib.sh"
[ -x "$GATEWAYD" ] || skip "gatewayd not built"

M=$top_srcdir/man
if [ -n "${MANDOC:-}" ]; then
	for p in gatewayd.8 gatewayd.conf.5; do
		out=$("$MANDOC" -Tlint -W warning "$M/$p" 2>&1)
		[ -z "$out" ] || fail "mandoc -Tlint $p: $out"
	done
else
	note "mandoc missing: lint skipped"
fi

"$GATEWAYD" --help >"$T/help" || fail "--help exit status"
grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u >"$T/opts"
[ -s "$T/opts" ] || fail "no options in --help"
while read -r o; do
	grep -q -- "^\.\(It\|Op\|Nm\).*Fl -${o#--}\b" "$M/gatewayd.8" ||
	    grep -q -- "Fl -${o#--}" "$M/gatewayd.8" || fail "$o not in gatewayd.8"
done <"$T/opts"
for f in -c -l -n -v -h; do
	grep -q -- "Fl ${f#-}" "$M/gatewayd.8" || fail "$f not in gatewayd.8"
done
"$GATEWAYD" --version | grep -q '^gatewayd [0-9]' || fail "--version"
"$GATEWAYD" --nonsense >/dev/null 2>&1
assert_eq "usage error" 64 $?

"$GATEWAYD" -n -v --store memory | sed -n 's/^\([a-z_]*\) = .*/\1/p' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 20 ] || fail "too few keys in -n -v"
while read -r k; do
	grep -q "^\.It Ic $k " "$M/gatewayd.conf.5" || fail "$k not in gatewayd.conf.5"
	grep -q "^#$k = " "$top_srcdir/etc/gatewayd.conf" || fail "$k not in etc/gatewayd.conf"
done <"$T/keys"

# Every documented example line, uncommented (token files aside), checks.
sed -n 's/^#\([a-z_]* = \)/\1/p' "$top_srcdir/etc/gatewayd.conf" |
    grep -v '_file = ' >"$T/all.conf"
"$GATEWAYD" -n -c "$T/all.conf" >"$T/n.out" 2>&1 || fail "example config: $(cat "$T/n.out")"
assert_eq "example config" "configuration OK" "$(cat "$T/n.out")"
