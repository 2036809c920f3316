#!/bin/sh
# bench_dashboard.sh: frame times of the dashboard in headless Chromium
# while the real gatewayd streams 0, 100, 1,000 and 2,000 events/s
# (tests/browser/bench-frames.js prints p50/p99/max frame time, long tasks
# and renderer CPU beside the idle baseline). Exits 77 when chromium,
# playwright-core or gatewayd is missing.
: "${top_srcdir:?run through make bench}"
exec "${NODE:-node}" "$top_srcdir/tests/browser/bench-frames.js"
