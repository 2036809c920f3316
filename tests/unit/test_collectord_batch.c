/*
 * test_collectord_batch.c: batch assembly from the spool: the count cap,
 * the byte cap, a record larger than the cap, the body as JSON, and the
 * cuts and drops that 413/400/422 handling relies on.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "batch.h"
#include "spool.h"

static char		 tmpl[256];
static struct spool	*sp;

/* A fresh spool for each test. */
static void
setup(void)
{
	struct spool_opts	 o = { tmpl, 0, 0, SPOOL_FSYNC_NEVER };
	const char		*t = getenv("TMPDIR");
	char			*cause = NULL;

	snprintf(tmpl, sizeof tmpl, "%s/batchtest.XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sp = spool_open(&o, &cause);
	ck_assert_ptr_nonnull(sp);
}

/* Close and remove it. */
static void
teardown(void)
{
	char	cmd[300];

	spool_close(sp);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	ck_assert_int_eq(system(cmd), 0);
}

/* Spool n records {"n":i,"pad":"xxx…"} with pad bytes of padding. */
static void
put(int from, int n, size_t pad)
{
	char	*buf, *cause = NULL;
	int	 i;

	buf = malloc(pad + 64);
	for (i = from; i < from + n; i++) {
		int len = snprintf(buf, 64, "{\"n\":%d,\"pad\":\"", i);

		memset(buf + len, 'x', pad);
		memcpy(buf + len + pad, "\"}", 3);
		ck_assert_int_eq(spool_append(sp, buf, strlen(buf)), 0);
	}
	free(buf);
	ck_assert_int_eq(spool_commit(sp, &cause), n);
}

/* Parse a body; check its shape; return the events array's length. */
static size_t
check_body(const char *body, size_t len, int first_n)
{
	struct json_object	*o, *ev, *x;
	struct avjson_error	 err;
	size_t			 n;

	o = avjson_parse(body, len, &err);
	ck_assert_msg(o != NULL, "body is not JSON: %s at %zu", err.msg,
	    err.offset);
	ck_assert(json_object_object_get_ex(o, "events", &ev));
	ck_assert(json_object_object_get_ex(o, "batch_id", &x));
	ck_assert_int_eq(strlen(json_object_get_string(x)), 36);
	ck_assert(json_object_object_get_ex(o, "timestamp", &x));
	n = json_object_array_length(ev);
	if (n > 0 && first_n >= 0) {
		x = json_object_object_get(json_object_array_get_idx(ev, 0),
		    "n");
		ck_assert_int_eq(json_object_get_int(x), first_n);
	}
	json_object_put(o);
	return n;
}

START_TEST(test_count_cap)
{
	struct batch	 b = { 0 };
	char		*body, *cause = NULL;
	size_t		 len;

	put(0, 250, 10);
	ck_assert_int_eq(batch_fill(&b, sp, 100, 1 << 20, &cause), 100);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_eq(check_body(body, len, 0), 100);
	free(body);
	/* Without a release the same events come again. */
	ck_assert_int_eq(batch_fill(&b, sp, 100, 1 << 20, &cause), 100);
	ck_assert_int_eq(b.recs[0].end.off, SPOOL_HDR + b.recs[0].len);
	{
		struct spool_pos end = batch_end(&b);

		spool_release(sp, &end, b.n);
	}
	ck_assert_int_eq(batch_fill(&b, sp, 100, 1 << 20, &cause), 100);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_eq(check_body(body, len, 100), 100);
	free(body);
	batch_free(&b);
}
END_TEST

START_TEST(test_byte_cap)
{
	struct batch	 b = { 0 };
	char		*body, *cause = NULL;
	size_t		 len;
	int		 n;

	/* Records of ~1 KiB against a 10 KiB cap: fewer than 10 fit. */
	put(0, 50, 1000);
	n = batch_fill(&b, sp, 100, 10240, &cause);
	ck_assert_int_gt(n, 5);
	ck_assert_int_lt(n, 10);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_le(len, 10240);
	ck_assert_uint_eq(check_body(body, len, 0), (size_t)n);
	free(body);
	batch_free(&b);
}
END_TEST

START_TEST(test_oversized_record_goes_alone)
{
	struct batch	 b = { 0 };
	char		*body, *cause = NULL;
	size_t		 len;

	put(0, 1, 20000);
	put(1, 3, 10);
	ck_assert_int_eq(batch_fill(&b, sp, 100, 4096, &cause), 1);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_eq(check_body(body, len, 0), 1);
	free(body);
	batch_free(&b);
}
END_TEST

START_TEST(test_empty_spool)
{
	struct batch	 b = { 0 };
	char		*cause = NULL;

	ck_assert_int_eq(batch_fill(&b, sp, 100, 4096, &cause), 0);
	batch_free(&b);
}
END_TEST

START_TEST(test_kill_and_first)
{
	struct batch	 b = { 0 };
	char		*body, *cause = NULL, id[UUIDSTR_LEN];
	size_t		 len;

	put(0, 10, 5);
	ck_assert_int_eq(batch_fill(&b, sp, 100, 1 << 20, &cause), 10);
	memcpy(id, b.id, sizeof id);
	/* Drop records 0 and 3: the live ones shift, the id changes. */
	batch_kill(&b, 0);
	batch_kill(&b, 3);
	ck_assert_str_ne(id, b.id);
	ck_assert_uint_eq(batch_live(&b), 8);
	ck_assert_int_eq(batch_live_index(&b, 0), 1);
	ck_assert_int_eq(batch_live_index(&b, 2), 4);
	ck_assert_int_eq(batch_live_index(&b, 7), 9);
	ck_assert_int_eq(batch_live_index(&b, 8), -1);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_eq(check_body(body, len, 1), 8);
	free(body);
	/* The first three live records only (1, 2, 4); the end stays. */
	body = batch_body_first(&b, "2026-11-26T16:35:09.123Z", 3, &len);
	ck_assert_uint_eq(check_body(body, len, 1), 3);
	ck_assert_ptr_nonnull(strstr(body, "\"n\":4"));
	ck_assert_ptr_null(strstr(body, "\"n\":5"));
	free(body);
	ck_assert_uint_eq(batch_end(&b).off, b.recs[9].end.off);
	/* All dead: an empty events array is still a valid body. */
	for (size_t i = 0; i < b.n; i++)
		batch_kill(&b, i);
	ck_assert_uint_eq(batch_live(&b), 0);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_uint_eq(check_body(body, len, -1), 0);
	free(body);
	batch_free(&b);
}
END_TEST

START_TEST(test_fill_from)
{
	struct batch		 a = { 0 }, b = { 0 };
	struct spool_pos	 end;
	char			*body, *cause = NULL;
	size_t			 len;

	/* A second batch read after the first covers the next records. */
	put(0, 10, 5);
	ck_assert_int_eq(batch_fill(&a, sp, 4, 1 << 20, &cause), 4);
	end = batch_end(&a);
	ck_assert_int_eq(batch_fill_from(&b, sp, &end, 4, 1 << 20, &cause), 4);
	body = batch_body(&b, "2026-11-26T16:35:09.123Z", &len);
	ck_assert_ptr_nonnull(strstr(body, "{\"n\":4,"));
	ck_assert_ptr_nonnull(strstr(body, "{\"n\":7,"));
	ck_assert_ptr_null(strstr(body, "{\"n\":3,"));
	ck_assert_ptr_null(strstr(body, "{\"n\":8,"));
	free(body);
	/* Releasing the first leaves the second where it was. */
	spool_release(sp, &end, a.n);
	end = batch_end(&b);
	ck_assert_int_eq(batch_fill_from(&a, sp, &end, 100, 1 << 20, &cause), 2);
	/* Before the release point means from it. */
	end.seg = 0;
	end.off = 0;
	ck_assert_int_eq(batch_fill_from(&a, sp, &end, 100, 1 << 20, &cause), 6);
	batch_free(&a);
	batch_free(&b);
}
END_TEST

START_TEST(test_body_matches_jsonc)
{
	static const char	 ts[] = "2026-11-26T16:35:09.123Z\"\\\n/\x01";
	struct batch		 b = { 0 };
	struct json_object	*o, *ev;
	char			*body, *cause = NULL;
	const char		*want;
	size_t			 len, wlen, i;

	/*
	 * The hand-joined body is what json-c writes for the same object,
	 * even around a timestamp that needs escaping.
	 */
	put(0, 4, 3);
	ck_assert_int_eq(batch_fill(&b, sp, 100, 1 << 20, &cause), 4);
	batch_kill(&b, 2);
	body = batch_body(&b, ts, &len);
	ck_assert_uint_eq(len, strlen(body));
	o = json_object_new_object();
	ev = json_object_new_array();
	for (i = 0; i < b.n; i++) {
		if (!b.recs[i].dead)
			json_object_array_add(ev, avjson_parse(b.buf +
			    b.recs[i].off, b.recs[i].len, NULL));
	}
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "batch_id", json_object_new_string(b.id));
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	want = avjson_str(o, &wlen);
	ck_assert_uint_eq(len, wlen);
	ck_assert_str_eq(body, want);
	json_object_put(o);
	free(body);
	batch_free(&b);
}
END_TEST

static Suite *
batch_suite(void)
{
	Suite	*s = suite_create("collectord batch");
	TCase	*tc = tcase_create("batch");

	/* Generous: sanitizers and valgrind on a busy machine are slow. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_count_cap);
	tcase_add_test(tc, test_byte_cap);
	tcase_add_test(tc, test_oversized_record_goes_alone);
	tcase_add_test(tc, test_empty_spool);
	tcase_add_test(tc, test_kill_and_first);
	tcase_add_test(tc, test_fill_from);
	tcase_add_test(tc, test_body_matches_jsonc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(batch_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
