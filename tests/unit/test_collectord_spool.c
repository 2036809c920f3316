/*
 * test_collectord_spool.c: collectord's spool: append, commit, read,
 * release, reopen; a torn last record, a flipped byte, a full spool,
 * segment rotation and deletion, the release point across a crash.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "spool.h"

static char	tmpl[256];

/* A fresh spool directory for each test. */
static void
setup(void)
{
	const char	*t = getenv("TMPDIR");

	snprintf(tmpl, sizeof tmpl, "%s/spooltest.XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
}

/* Remove it. */
static void
teardown(void)
{
	char	cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	ck_assert_int_eq(system(cmd), 0);
}

/* Open the test spool with the given limits. */
static struct spool *
open_spool(uint64_t max, uint64_t segbytes)
{
	struct spool_opts	 o = { tmpl, segbytes, max, SPOOL_FSYNC_NEVER };
	struct spool		*s;
	char			*cause = NULL;

	s = spool_open(&o, &cause);
	ck_assert_msg(s != NULL, "spool_open: %s", cause ? cause : "?");
	return s;
}

/* Append and commit record "ev-<i>" for i in [from, to). */
static void
put(struct spool *s, int from, int to)
{
	char	buf[64], *cause = NULL;
	int	i;

	for (i = from; i < to; i++) {
		snprintf(buf, sizeof buf, "{\"n\":%d}", i);
		ck_assert_int_eq(spool_append(s, buf, strlen(buf)), 0);
	}
	ck_assert_int_eq(spool_commit(s, &cause), to - from);
}

/*
 * Read every record from the release point; write their numbers into
 * got[] and return how many; *end is the position after the last.
 */
static int
read_all(struct spool *s, int *got, int max, struct spool_pos *end)
{
	struct spool_pos	 at = spool_head(s), next;
	const char		*data;
	char			*cause = NULL, buf[64];
	size_t			 len;
	int			 n = 0;

	while (spool_read(s, &at, &data, &len, &next, &cause) == 1) {
		ck_assert_int_lt(n, max);
		ck_assert_uint_lt(len, sizeof buf);
		memcpy(buf, data, len);
		buf[len] = '\0';
		ck_assert_int_eq(sscanf(buf, "{\"n\":%d}", &got[n]), 1);
		n++;
		at = next;
	}
	*end = at;
	return n;
}

/* Path of the first segment file. */
static void
first_segment(char *path, size_t len)
{
	struct dirent	*de;
	DIR		*d = opendir(tmpl);
	char		 best[300] = "";

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".seg") != NULL &&
		    (best[0] == '\0' || strcmp(de->d_name, best) < 0))
			snprintf(best, sizeof best, "%s", de->d_name);
	}
	closedir(d);
	ck_assert(best[0] != '\0');
	snprintf(path, len, "%s/%s", tmpl, best);
}

/* Number of segment files. */
static int
count_segments(void)
{
	struct dirent	*de;
	DIR		*d = opendir(tmpl);
	int		 n = 0;

	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".seg") != NULL;
	closedir(d);
	return n;
}

START_TEST(test_crc32c_vector)
{
	/* The check value of CRC-32C (RFC 3720, B.4). */
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283U);
	ck_assert_uint_eq(crc32c(crc32c(0, "1234", 4), "56789", 5),
	    0xE3069283U);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	/* 32 bytes of zeros and of 0xff (RFC 3720, B.4). */
	{
		unsigned char	 z[32], f[32], big[1000];
		uint32_t	 whole;
		size_t		 i, cut;

		memset(z, 0, sizeof z);
		memset(f, 0xff, sizeof f);
		ck_assert_uint_eq(crc32c(0, z, 32), 0x8A9136AAU);
		ck_assert_uint_eq(crc32c(0, f, 32), 0x62A8AB43U);
		/* Any split gives the same sum (the 8-byte and tail paths). */
		for (i = 0; i < sizeof big; i++)
			big[i] = i * 7 + 3;
		whole = crc32c(0, big, sizeof big);
		for (cut = 0; cut < 20; cut++)
			ck_assert_uint_eq(crc32c(crc32c(0, big, cut), big + cut,
			    sizeof big - cut), whole);
	}
}
END_TEST

START_TEST(test_append_read_release)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_stats	 st;
	struct spool_pos	 end;
	int			 got[100], n, i;

	put(s, 0, 10);
	/* Nothing is visible before its commit. */
	ck_assert_int_eq(spool_append(s, "{\"n\":99}", 8), 0);
	ck_assert_uint_eq(spool_pending(s), 1);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 10);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(got[i], i);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.events, 10);
	ck_assert_uint_eq(st.bytes, 10 * (SPOOL_HDR + 7));

	/* Release the first 4: they are not read again. */
	{
		struct spool_pos at = spool_head(s), next;
		const char *d;
		size_t len;
		char *cause = NULL;

		for (i = 0; i < 4; i++) {
			ck_assert_int_eq(spool_read(s, &at, &d, &len, &next,
			    &cause), 1);
			at = next;
		}
		spool_release(s, &at, 4);
	}
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(got[0], 4);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.events, 6);
	ck_assert_uint_eq(st.bytes, 6 * (SPOOL_HDR + 7));
	spool_close(s);		/* the uncommitted record is dropped */

	/* Reopen: the 6 undelivered come back, in order; 99 never committed. */
	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 6);
	ck_assert_uint_eq(st.corrupt, 0);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(got[i], i + 4);
	spool_release(s, &end, 6);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.events, 0);
	ck_assert_uint_eq(st.bytes, 0);
	spool_close(s);

	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 0);
	ck_assert_int_eq(read_all(s, got, 100, &end), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_release_point_lags_after_crash)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_pos	 end;
	int			 got[100], n;
	pid_t			 pid;
	int			 status;

	put(s, 0, 5);
	spool_flush_ack(s);
	/*
	 * A child "crashes" right after releasing, before the release point
	 * was written: the events are sent again (at least once), never lost.
	 */
	pid = fork();
	if (pid == 0) {
		n = read_all(s, got, 100, &end);
		spool_release(s, &end, n);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	spool_close(s);		/* the parent never released anything */
	s = open_spool(0, 0);
	ck_assert_int_eq(read_all(s, got, 100, &end), 5);
	spool_close(s);
}
END_TEST

START_TEST(test_torn_last_record)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_stats	 st;
	struct spool_pos	 end;
	struct stat		 sb;
	char			 path[512];
	int			 got[100], n;

	put(s, 0, 5);
	spool_close(s);
	/* Cut the last record in half, as a crash mid-write would. */
	first_segment(path, sizeof path);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(truncate(path, sb.st_size - 5), 0);

	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 4);
	ck_assert_uint_eq(st.corrupt, 1);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(got[3], 3);
	/* The torn bytes were cut off the file. */
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 4 * (SPOOL_HDR + 7));
	/* New records go after the damage, and are read back in order. */
	put(s, 5, 7);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(got[4], 5);
	ck_assert_int_eq(got[5], 6);
	spool_close(s);
}
END_TEST

/* Flip one byte at offset off of the first segment. */
static void
flip(long off)
{
	char		 path[512];
	unsigned char	 c;
	int		 fd;

	first_segment(path, sizeof path);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

START_TEST(test_flipped_payload_byte)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_stats	 st;
	struct spool_pos	 end;
	int			 got[100], n;

	put(s, 0, 5);
	spool_close(s);
	/* Record 2's payload: "{"n":2}" at 2 * 19 + 12. */
	flip(2 * (SPOOL_HDR + 7) + SPOOL_HDR + 3);
	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 4);
	ck_assert_uint_eq(st.corrupt, 1);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(got[0], 0);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(got[2], 3);
	ck_assert_int_eq(got[3], 4);
	spool_close(s);
}
END_TEST

START_TEST(test_flipped_length_byte)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_stats	 st;
	struct spool_pos	 end;
	int			 got[100], n;

	put(s, 0, 5);
	spool_close(s);
	/* Record 1's length field: the reader must resynchronise. */
	flip(1 * (SPOOL_HDR + 7) + 4);
	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.corrupt, 1);
	n = read_all(s, got, 100, &end);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(got[1], 2);
	spool_close(s);
}
END_TEST

START_TEST(test_full_spool)
{
	struct spool		*s;
	struct spool_pos	 end;
	char			*cause = NULL;
	int			 got[200], n, i, full = 0;

	/* Room for 10 records of 19 bytes. */
	s = open_spool(190, 0);
	for (i = 0; i < 20; i++) {
		switch (spool_append(s, "{\"n\":1}", 7)) {
		case 0:
			break;
		case 1:
			full++;
			break;
		default:
			ck_abort_msg("append failed");
		}
	}
	ck_assert_int_eq(full, 10);
	ck_assert_int_eq(spool_commit(s, &cause), 10);
	ck_assert_int_eq(spool_append(s, "{\"n\":1}", 7), 1);
	/* Releasing makes room again. */
	n = read_all(s, got, 200, &end);
	ck_assert_int_eq(n, 10);
	spool_release(s, &end, n);
	ck_assert_int_eq(spool_append(s, "{\"n\":1}", 7), 0);
	/* A record over the hard limit is refused as such. */
	{
		char *big = calloc(1, SPOOL_REC_MAX + 2);

		memset(big, 'x', SPOOL_REC_MAX + 1);
		ck_assert_int_eq(spool_append(s, big, SPOOL_REC_MAX + 1), -1);
		free(big);
	}
	spool_close(s);
}
END_TEST

START_TEST(test_segments_rotate_and_go)
{
	struct spool		*s = open_spool(0, 65536);
	struct spool_pos	 end;
	struct spool_stats	 st;
	static int		 got[20000];
	int			 n, i;

	/* 10000 records of ~21 bytes: several 64 KiB segments. */
	for (i = 0; i < 10; i++)
		put(s, i * 1000, (i + 1) * 1000);
	ck_assert_int_gt(count_segments(), 2);
	n = read_all(s, got, 20000, &end);
	ck_assert_int_eq(n, 10000);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(got[i], i);
	spool_release(s, &end, n);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.events, 0);
	/* Only the segment being written remains. */
	ck_assert_int_eq(count_segments(), 1);
	spool_close(s);
	s = open_spool(0, 65536);
	ck_assert_int_eq(read_all(s, got, 20000, &end), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_locked)
{
	struct spool_opts	 o = { tmpl, 0, 0, SPOOL_FSYNC_NEVER };
	struct spool		*s = open_spool(0, 0), *t;
	char			*cause = NULL;

	t = spool_open(&o, &cause);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(cause, "in use"));
	free(cause);
	spool_close(s);
}
END_TEST

START_TEST(test_garbage_segment)
{
	struct spool		*s;
	struct spool_stats	 st;
	struct spool_pos	 end;
	char			 path[512];
	int			 got[10], fd;

	/* A segment of pure garbage must not stop the spool from opening. */
	snprintf(path, sizeof path, "%s/0000000000000001.seg", tmpl);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "AVR1AVR1garbage garbage AVR1\xff\xff",
	    30), 30);
	close(fd);
	s = open_spool(0, 0);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 0);
	ck_assert_uint_ge(st.corrupt, 1);
	ck_assert_int_eq(read_all(s, got, 10, &end), 0);
	put(s, 0, 2);
	ck_assert_int_eq(read_all(s, got, 10, &end), 2);
	spool_close(s);
}
END_TEST

START_TEST(test_failed_write_acks_nothing)
{
	struct spool		*s = open_spool(0, 0);
	struct spool_stats	 st;
	struct spool_pos	 end;
	struct rlimit		 rl = { 300, 300 };
	struct stat		 sb;
	char			 path[512], *cause = NULL;
	int			 got[100], i;

	put(s, 0, 5);			/* 95 bytes */
	/* The disk "fills up" at 300 bytes: the next commit cannot fit. */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(spool_append(s, "{\"n\":9}", 7), 0);
	ck_assert_int_eq(spool_commit(s, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	/* None of the 20 is in the spool, not even the part that fitted. */
	spool_stats(s, &st);
	ck_assert_uint_eq(st.events, 5);
	first_segment(path, sizeof path);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 5 * (SPOOL_HDR + 7));
	ck_assert_int_eq(read_all(s, got, 100, &end), 5);
	/* Room again: the next commit works. */
	put(s, 5, 6);
	ck_assert_int_eq(read_all(s, got, 100, &end), 6);
	spool_close(s);
}
END_TEST

START_TEST(test_emptied_segment_replaced)
{
	struct spool		*s = open_spool(0, 65536);
	struct spool_pos	 end;
	struct stat		 sb;
	char			 path[512], before[512];
	static int		 got[5000];

	/* 800 records (~16 KiB) in one 64 KiB segment: a quarter of it. */
	put(s, 0, 800);
	first_segment(before, sizeof before);
	ck_assert_int_eq(read_all(s, got, 5000, &end), 800);
	spool_release(s, &end, 800);
	/* All delivered: the big written segment was swapped for an empty one. */
	ck_assert_int_eq(count_segments(), 1);
	first_segment(path, sizeof path);
	ck_assert_str_ne(path, before);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert_int_ne(stat(before, &sb), 0);
	put(s, 800, 810);
	ck_assert_int_eq(read_all(s, got, 5000, &end), 10);
	ck_assert_int_eq(got[0], 800);
	spool_close(s);
	s = open_spool(0, 65536);
	ck_assert_int_eq(read_all(s, got, 5000, &end), 10);
	spool_close(s);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite	*s = suite_create("collectord spool");
	TCase	*tc = tcase_create("spool");

	/* Generous: sanitizers and valgrind on a busy machine are slow. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crc32c_vector);
	tcase_add_test(tc, test_append_read_release);
	tcase_add_test(tc, test_release_point_lags_after_crash);
	tcase_add_test(tc, test_torn_last_record);
	tcase_add_test(tc, test_flipped_payload_byte);
	tcase_add_test(tc, test_flipped_length_byte);
	tcase_add_test(tc, test_full_spool);
	tcase_add_test(tc, test_segments_rotate_and_go);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_garbage_segment);
	tcase_add_test(tc, test_failed_write_acks_nothing);
	tcase_add_test(tc, test_emptied_segment_replaced);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(spool_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
