/*
 * e2e_pacer.c: the sending end of tests/bench/bench_e2e.sh: starts real
 * hookcli processes at a steady rate, the way agent hooks would, since a
 * shell loop cannot hold 1,000 spawns a second.
 *
 *   e2e_pacer -r rate -n count command [args...]
 *
 * Runs command with its args plus "t0_us=T" and "n=I" appended, count
 * times, one every 1/rate s on an absolute schedule (a late start does not
 * shift the ones after it). T is the wall clock (CLOCK_REALTIME, µs) read
 * in the child just before execv: the moment hookcli starts, which
 * e2e_probe subtracts from the moment the event comes out of the
 * WebSocket. Children run concurrently and are reaped as they end.
 * Prints one line:
 *
 *   spawned N failed F seconds S rate R/s late_p99_us L
 *
 * where seconds is the time taken to start them all, failed counts children that did not exit 0 and late_p99_us is the
 * 99th percentile of how late a spawn was against its schedule (so a rate
 * the machine could not hold shows). Exit 0 when none failed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long	nfailed, nrunning;

/* A clock in µs. */
static int64_t
pacer_now_us(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reap the children that ended; with block, wait for one. */
static void
pacer_reap(int block)
{
	pid_t	pid;
	int	st;

	while (nrunning > 0 &&
	    (pid = waitpid(-1, &st, block ? 0 : WNOHANG)) != 0) {
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		nrunning--;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			nfailed++;
		block = 0;
	}
}

/* qsort order of lateness samples. */
static int
pacer_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct timespec	  ts;
	char		**av, t0arg[48], narg[32];
	int64_t		  start, due, last = 0, *late;
	long		  rate = 100, count = 100, i;
	pid_t		  pid;
	int		  ch, nargs;

	while ((ch = getopt(argc, argv, "+n:r:")) != -1) {
		switch (ch) {
		case 'n':
			count = atol(optarg);
			break;
		case 'r':
			rate = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 1 || rate < 1 || count < 1)
		goto usage;
	nargs = argc - optind;
	if ((av = calloc((size_t)nargs + 3, sizeof *av)) == NULL ||
	    (late = calloc((size_t)count, sizeof *late)) == NULL)
		return 2;
	memcpy(av, argv + optind, (size_t)nargs * sizeof *av);
	av[nargs] = t0arg;
	av[nargs + 1] = narg;

	start = pacer_now_us(CLOCK_MONOTONIC) + 1000;
	for (i = 0; i < count; i++) {
		due = start + i * 1000000 / rate;
		ts.tv_sec = due / 1000000;
		ts.tv_nsec = (due % 1000000) * 1000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) == EINTR)
			;
		late[i] = pacer_now_us(CLOCK_MONOTONIC) - due;
		snprintf(narg, sizeof narg, "n=%ld", i);
		switch ((pid = fork())) {
		case -1:
			perror("fork");
			nfailed++;
			break;
		case 0:
			snprintf(t0arg, sizeof t0arg, "t0_us=%lld",
			    (long long)pacer_now_us(CLOCK_REALTIME));
			execv(av[0], av);
			_exit(127);
		default:
			nrunning++;
			break;
		}
		last = pacer_now_us(CLOCK_MONOTONIC);
		pacer_reap(0);
	}
	while (nrunning > 0)
		pacer_reap(1);
	qsort(late, (size_t)count, sizeof *late, pacer_cmp);
	{
		/* The spawn rate: count spawns over count intervals. */
		double	secs = (last - start) / 1e6 + 1.0 / rate;

		printf("spawned %ld failed %ld seconds %.3f rate %.0f/s "
		    "late_p99_us %lld\n", count, nfailed, secs, count / secs,
		    (long long)late[(size_t)(count * 0.99) < (size_t)count ?
		    (size_t)(count * 0.99) : (size_t)count - 1]);
	}
	free(late);
	free(av);
	return nfailed == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: e2e_pacer -r rate -n count command "
	    "[args...]\n");
	return 2;
}
