#!/bin/sh
# dashboard.test.sh: run tests/browser/dashboard.js in headless Chromium under make check.
# Skips (77) when node, chromium or playwright-core is not there.
: "${top_srcdir:?run through make check}"
NODE=${NODE:-node}
if ! command -v "$NODE" >/dev/null 2>&1; then
	echo "SKIP: node not found (apt-get install nodejs)"
	exit 77
fi
exec "$NODE" "$top_srcdir/tests/browser/dashboard.js"
