#!/bin/sh
# collectord_man.sh: collectord.8 and collectord.conf.5 are lint-clean;
# the page documents exactly the options --help lists; every key of the
# config table (as `collectord -n -v` prints it) has an entry in
# collectord.conf.5 and a line in the example etc/collectord.conf, and
# neither names a key that does not exist.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/collectord_env.sh"

PAGE8=$top_srcdir/man/collectord.8
PAGE5=$top_srcdir/man/collectord.conf.5
EXAMPLE=$top_srcdir/etc/collectord.conf

if [ -n "${MANDOC:-}" ] && [ -x "$MANDOC" ]; then
	for p in "$PAGE8" "$PAGE5"; do
		"$MANDOC" -Tlint -W warning "$p" >"$T/lint" 2>&1 ||
		    fail "mandoc -Tlint $p: $(cat "$T/lint")"
		[ ! -s "$T/lint" ] || fail "mandoc -Tlint $p: $(cat "$T/lint")"
	done
else
	note "mandoc not found: lint skipped"
fi

"$COLLECTORD" --help >"$T/help" || fail "--help failed"
grep -o 'Fl -[a-z][a-z-]*' "$PAGE8" | sed 's/^Fl -/--/' | sort -u >"$T/man-long"
grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u >"$T/help-long"
diff "$T/man-long" "$T/help-long" >"$T/diff" ||
    fail "long options differ (< man, > help): $(cat "$T/diff")"
grep -o 'Fl [a-zA-Z]\b' "$PAGE8" | sed 's/^Fl /-/' | sort -u >"$T/man-short"
grep -o -- '^ *-[a-zA-Z]\b' "$T/help" | tr -d ' ' | sort -u >"$T/help-short"
diff "$T/man-short" "$T/help-short" >"$T/diff" ||
    fail "short options differ (< man, > help): $(cat "$T/diff")"

# The config table, through -n -v on an empty file.
: >"$T/empty.conf"
"$COLLECTORD" -n -v -c "$T/empty.conf" >"$T/dump" || fail "-n -v failed"
sed -n 's/^\([a-z_]*\) = .*/\1/p' "$T/dump" | sort >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 20 ] || fail "too few keys: $(cat "$T/keys")"
sed -n 's/^\.It Cm \([a-z_]*\) No = .*/\1/p' "$PAGE5" | sort >"$T/page-keys"
diff "$T/keys" "$T/page-keys" >"$T/diff" ||
    fail "keys differ (< table, > collectord.conf.5): $(cat "$T/diff")"
sed -n 's/^#\([a-z_]*\) =.*/\1/p' "$EXAMPLE" | sort -u >"$T/example-keys"
diff "$T/keys" "$T/example-keys" >"$T/diff" ||
    fail "keys differ (< table, > etc/collectord.conf): $(cat "$T/diff")"
# The example, uncommented, is a valid configuration.
sed 's/^#\([a-z_]* = .*\)/\1/' "$EXAMPLE" | grep -v '^ingest_token' >"$T/uncommented.conf"
out=$("$COLLECTORD" -n -c "$T/uncommented.conf" 2>&1) || fail "example invalid: $out"

# The unit, when built, has every path filled in.
if [ -f "$top_builddir/etc/collectord.service" ]; then
	grep -q '@[a-z]*@' "$top_builddir/etc/collectord.service" &&
	    fail "unsubstituted paths in collectord.service"
	grep -q '^Type=notify' "$top_builddir/etc/collectord.service" ||
	    fail "collectord.service is not Type=notify"
fi
exit 0
