/*
 * test_lib_ndjson.c: the NDJSON line reader under every split of its
 * input, with CRLF, empty lines, NUL bytes and lines over the limit.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

/* What the reader produced, as text: "L<len>:<line>|" and "T<len>|". */
struct out {
	char	buf[8192];
	size_t	len;
};

/* Record one result. */
static void
record(struct out *o, enum ndjson_status st, const char *line, size_t len)
{
	int	n;

	if (st == NDJSON_TOOLONG)
		n = snprintf(o->buf + o->len, sizeof o->buf - o->len, "T%zu|", len);
	else {
		n = snprintf(o->buf + o->len, sizeof o->buf - o->len, "L%zu:", len);
		ck_assert_uint_lt(o->len + (size_t)n + len + 1, sizeof o->buf);
		/* Lines come NUL-terminated, even with NULs inside. */
		ck_assert_int_eq(line[len], '\0');
		memcpy(o->buf + o->len + n, line, len);
		n += (int)len;
		o->buf[o->len + (size_t)n] = '|';
		n++;
	}
	o->len += (size_t)n;
	o->buf[o->len] = '\0';
}

/* Drain every complete line. */
static void
drain(struct ndjson *r, struct out *o)
{
	enum ndjson_status	 st;
	char			*line;
	size_t			 len;

	while ((st = ndjson_next(r, &line, &len)) != NDJSON_AGAIN)
		record(o, st, line, len);
}

/* Feed input in chunks of size chunk (0 = all at once), then finish. */
static void
feed(size_t max, const char *in, size_t inlen, size_t chunk, struct out *o)
{
	struct ndjson		*r = ndjson_new(max);
	enum ndjson_status	 st;
	char			*line;
	size_t			 off, n, len;

	memset(o, 0, sizeof *o);
	if (chunk == 0)
		chunk = inlen;
	for (off = 0; off < inlen; off += n) {
		n = inlen - off < chunk ? inlen - off : chunk;
		ndjson_push(r, in + off, n);
		drain(r, o);
	}
	while ((st = ndjson_finish(r, &line, &len)) != NDJSON_AGAIN)
		record(o, st, line, len);
	ck_assert_uint_eq(ndjson_pending(r), 0);
	ndjson_free(r);
}

/* The same input must give the same lines under every chunk size. */
static void
expect(size_t max, const char *in, size_t inlen, const char *want)
{
	struct out	o;
	size_t		chunk;

	for (chunk = 0; chunk <= 7; chunk++) {
		feed(max, in, inlen, chunk, &o);
		ck_assert_msg(strcmp(o.buf, want) == 0, "chunk %zu: got %s want %s",
		    chunk, o.buf, want);
	}
	feed(max, in, inlen, 64, &o);
	ck_assert_str_eq(o.buf, want);
}

#define EXPECT(max, in, want) expect(max, in, sizeof(in) - 1, want)

START_TEST(test_lines_any_split)
{
	EXPECT(100, "{\"a\":1}\n{\"b\":2}\n", "L7:{\"a\":1}|L7:{\"b\":2}|");
}
END_TEST

START_TEST(test_crlf)
{
	EXPECT(100, "ab\r\ncd\r\n", "L2:ab|L2:cd|");
	/* A lone '\r' inside a line stays. */
	EXPECT(100, "a\rb\n", "L3:a\rb|");
}
END_TEST

START_TEST(test_empty_lines)
{
	EXPECT(100, "\n\n\r\nab\n\r\n\n", "L2:ab|");
	EXPECT(100, "\n", "");
	EXPECT(100, "", "");
}
END_TEST

START_TEST(test_embedded_nul)
{
	EXPECT(100, "a\0b\nc\n", "L3:a\0b|L1:c|");
}
END_TEST

START_TEST(test_finish_partial)
{
	EXPECT(100, "ab\ncd", "L2:ab|L2:cd|");
	EXPECT(100, "ab\ncd\r", "L2:ab|L2:cd|");
	EXPECT(5, "ab\ncdefgh", "L2:ab|T6|");
}
END_TEST

START_TEST(test_limit_exact)
{
	/* Exactly max bytes is a line; max + 1 is too long; CR does not count. */
	EXPECT(5, "12345\n123456\n12345\r\nx\n", "L5:12345|T6|L5:12345|L1:x|");
}
END_TEST

START_TEST(test_toolong_resync)
{
	EXPECT(4, "abcdefghij\nok\nabcdefghijklmnop\r\nok2\n",
	    "T10|L2:ok|T16|L3:ok2|");
	/* Two long lines back to back, each reported once. */
	EXPECT(3, "aaaaaaa\nbbbbbbbbbb\nc\n", "T7|T10|L1:c|");
}
END_TEST

START_TEST(test_megabyte_line)
{
	size_t		 big = 1024 * 1024, max = 65536, i, len;
	char		*line, *buf = malloc(big + 64);
	struct ndjson	*r = ndjson_new(max);
	int		 toolong = 0, lines = 0;
	enum ndjson_status st;

	memset(buf, 'x', big);
	memcpy(buf + big, "\n{\"good\":1}\n", 12);
	/* Streamed in 4 KiB reads, the way collectord reads a socket. */
	for (i = 0; i < big + 12; i += 4096) {
		ndjson_push(r, buf + i, big + 12 - i < 4096 ? big + 12 - i : 4096);
		/* Bounded memory: never more than the limit plus one read buffered. */
		ck_assert_uint_le(ndjson_pending(r), max + 2 + 4096);
		while ((st = ndjson_next(r, &line, &len)) != NDJSON_AGAIN) {
			if (st == NDJSON_TOOLONG) {
				toolong++;
				ck_assert_uint_eq(len, big);
			} else {
				lines++;
				ck_assert_uint_eq(len, 10);
				ck_assert_str_eq(line, "{\"good\":1}");
				ck_assert_int_eq(toolong, 1);
			}
		}
	}
	ck_assert_int_eq(toolong, 1);
	ck_assert_int_eq(lines, 1);
	ck_assert_int_eq(ndjson_finish(r, &line, &len), NDJSON_AGAIN);
	ndjson_free(r);
	free(buf);
}
END_TEST

START_TEST(test_megabyte_line_one_push)
{
	size_t		 big = 1024 * 1024, len;
	char		*line, *buf = malloc(big + 64);
	struct ndjson	*r = ndjson_new(65536);

	memset(buf, 'y', big);
	memcpy(buf + big, "\n{\"good\":2}\n", 12);
	ndjson_push(r, buf, big + 12);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_TOOLONG);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_LINE);
	ck_assert_str_eq(line, "{\"good\":2}");
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
	/* After the burst, a small line is fine and memory is back to small. */
	ndjson_push(r, "z\n", 2);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_LINE);
	ck_assert_str_eq(line, "z");
	ndjson_free(r);
	free(buf);
}
END_TEST

START_TEST(test_toolong_unterminated)
{
	size_t		 len;
	char		*line, chunk[1000];
	struct ndjson	*r = ndjson_new(100);
	int		 i;

	/* An endless line never ends up in memory and is reported at finish. */
	memset(chunk, 'q', sizeof chunk);
	for (i = 0; i < 1000; i++) {
		ndjson_push(r, chunk, sizeof chunk);
		ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
		ck_assert_uint_le(ndjson_pending(r), 102 + sizeof chunk);
	}
	ck_assert_int_eq(ndjson_finish(r, &line, &len), NDJSON_TOOLONG);
	ck_assert_uint_eq(len, 1000 * sizeof chunk);
	ck_assert_int_eq(ndjson_finish(r, &line, &len), NDJSON_AGAIN);
	ndjson_free(r);
}
END_TEST

START_TEST(test_pending)
{
	struct ndjson	*r = ndjson_new(100);
	char		*line;
	size_t		 len;

	ndjson_push(r, "abc\nde", 6);
	ck_assert_uint_eq(ndjson_pending(r), 6);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_LINE);
	ck_assert_uint_eq(ndjson_pending(r), 2);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
	ck_assert_uint_eq(ndjson_pending(r), 2);
	ndjson_free(r);
	ndjson_free(NULL);
}
END_TEST

/* A line under way: its start buffered, or an over-long one skipped. */
START_TEST(test_midline)
{
	struct ndjson	*r = ndjson_new(8);
	char		*line;
	size_t		 len;

	ck_assert_int_eq(ndjson_midline(r), 0);
	ndjson_push(r, "abc\n", 4);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_LINE);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
	ck_assert_int_eq(ndjson_midline(r), 0);
	ndjson_push(r, "d", 1);
	ck_assert_int_eq(ndjson_midline(r), 1);
	ndjson_push(r, "efghijklmn", 10);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
	ck_assert_uint_eq(ndjson_pending(r), 0);
	ck_assert_int_eq(ndjson_midline(r), 1);	/* skipping it */
	ndjson_push(r, "o\n", 2);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_TOOLONG);
	ck_assert_int_eq(ndjson_next(r, &line, &len), NDJSON_AGAIN);
	ck_assert_int_eq(ndjson_midline(r), 0);
	ndjson_free(r);
}
END_TEST

START_TEST(test_many_lines_one_push)
{
	struct ndjson	*r = ndjson_new(64);
	char		 buf[100000], *line;
	size_t		 off = 0, len;
	int		 i, n = 0;

	for (i = 0; i < 10000; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%d\n", i);
	ndjson_push(r, buf, off);
	while (ndjson_next(r, &line, &len) == NDJSON_LINE) {
		ck_assert_int_eq(atoi(line), n);
		n++;
	}
	ck_assert_int_eq(n, 10000);
	ndjson_free(r);
}
END_TEST

/* The suite. */
static Suite *
ndjson_suite(void)
{
	Suite	*s = suite_create("ndjson");
	TCase	*tc = tcase_create("reader");

	tcase_add_test(tc, test_lines_any_split);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_empty_lines);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_finish_partial);
	tcase_add_test(tc, test_limit_exact);
	tcase_add_test(tc, test_toolong_resync);
	tcase_add_test(tc, test_megabyte_line);
	tcase_add_test(tc, test_megabyte_line_one_push);
	tcase_add_test(tc, test_toolong_unterminated);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_midline);
	tcase_add_test(tc, test_many_lines_one_push);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(ndjson_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
