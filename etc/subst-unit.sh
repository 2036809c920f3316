#!/bin/sh
# subst-unit.sh: a systemd unit from its .in file, with the build's paths:
#   subst-unit.sh IN SBINDIR SYSCONFDIR LOCALSTATEDIR RUNSTATEDIR >OUT
# The build's units are made with it, and so are the test's for other
# prefixes (tests/integration/units.sh).
set -eu
sed -e "s|@sbindir[@]|$2|g" \
    -e "s|@sysconfdir[@]|$3|g" \
    -e "s|@localstatedir[@]|$4|g" \
    -e "s|@runstatedir[@]|$5|g" "$1"
