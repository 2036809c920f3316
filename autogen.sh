#!/bin/sh
# Regenerate the build system from configure.ac and the local.am files.
set -e
cd "$(dirname "$0")"
autoreconf -fi
