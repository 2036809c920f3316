#!/bin/sh
# run.sh: the one entry point of the benchmarks (`make bench`).
#
# Runs every tests/bench/bench_*.sh script and every built bench_* program
# in turn, each printing its own figures beside a baseline measured in the
# same run, and ends with the machine they ran on. Benchmarks are never part
# of `make check`: figures on a shared 2-core machine are for reading, not
# for asserting.
set -u
: "${top_builddir:?run through make bench}"
: "${top_srcdir:?run through make bench}"
export top_builddir top_srcdir

only=${BENCH:-}
rc=0
for b in "$top_srcdir"/tests/bench/bench_*.sh "$top_builddir"/tests/bench/bench_*; do
	[ -f "$b" ] || continue
	case $b in *.c|*.o|*.h) continue ;; esac
	name=$(basename "$b")
	if [ -n "$only" ]; then
		case $name in *"$only"*) ;; *) continue ;; esac
	fi
	# Built programs are executables; scripts run with sh.
	case $b in
	*.sh) cmd="${SHELL:-/bin/sh} $b" ;;
	*) [ -x "$b" ] || continue; cmd=$b ;;
	esac
	echo
	echo "=== $name"
	$cmd
	st=$?
	case $st in
	0) ;;
	77) echo "($name skipped: a tool it needs is missing)" ;;
	*) echo "($name exited $st)"; rc=1 ;;
	esac
done
echo
echo "=== machine"
echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "$(. /etc/os-release; echo "$PRETTY_NAME")"
exit $rc
