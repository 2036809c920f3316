#!/bin/sh
# no_check.sh: stands in for the unit tests when configure found no Check.
# make check must not pass without them: say why, and fail.
echo "FAIL: the unit tests need Check (Debian: apt-get install check)," \
    "which configure did not find; install it and run configure again" >&2
exit 1
