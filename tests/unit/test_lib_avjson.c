/*
 * test_lib_avjson.c: the JSON codec: strictness, error offsets, limits,
 * compact output and string quoting.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"

/* Parse text (with explicit length) expecting failure at offset with msg. */
static void
bad(const char *text, size_t len, size_t offset, const char *msg)
{
	struct avjson_error	 err;
	struct json_object	*o;

	memset(&err, 0, sizeof err);
	o = avjson_parse(text, len, &err);
	ck_assert_msg(o == NULL, "accepted: %s", text);
	ck_assert_msg(err.offset == offset, "%s: offset %zu, want %zu (%s)",
	    text, err.offset, offset, err.msg);
	if (msg != NULL)
		ck_assert_str_eq(err.msg, msg);
}

/* Parse text expecting success and the compact form want. */
static void
good(const char *text, const char *want)
{
	struct avjson_error	 err;
	struct json_object	*o;

	o = avjson_parse(text, strlen(text), &err);
	ck_assert_msg(o != NULL, "refused %s: %s at %zu", text, err.msg, err.offset);
	ck_assert_str_eq(avjson_str(o, NULL), want);
	json_object_put(o);
}

START_TEST(test_valid)
{
	good("{\"a\":1}", "{\"a\":1}");
	good("  {\"a\" : [1, 2.5, -3e2, true, false, null]}\r\n\t ",
	    "{\"a\":[1,2.5,-3e2,true,false,null]}");
	good("12", "12");
	good("[1e+5,1E-3,-0.5e0]", "[1e+5,1E-3,-0.5e0]");
	good("\"x\"", "\"x\"");
	good("[]", "[]");
	good("\"\\u00e9\\n\\\"\"", "\"\xc3\xa9\\n\\\"\"");
	/* '/' is not escaped on output. */
	good("\"a/b\\/c\"", "\"a/b/c\"");
	/* Lone surrogates become U+FFFD rather than invalid UTF-8 output. */
	good("\"\\ud800\"", "\"\xef\xbf\xbd\"");
}
END_TEST

START_TEST(test_trailing_garbage)
{
	bad("{} x", 4, 3, "unexpected character");
	bad("{}{}", 4, 2, NULL);
	bad("1 2", 3, 2, NULL);
	bad("{\"a\":1},", 8, 7, NULL);
}
END_TEST

START_TEST(test_nul_bytes)
{
	bad("{\"a\":1}\0", 8, 7, "NUL byte");
	bad("{\"a\0\":1}", 8, 3, "NUL byte");
	bad("\0", 1, 0, "NUL byte");
}
END_TEST

START_TEST(test_not_strict_json)
{
	bad("{'a':1}", 7, 1, "unexpected character");
	bad("{\"a\":NaN}", 9, 5, "unexpected character");
	bad("[Infinity]", 10, 1, "unexpected character");
	bad("[-Infinity]", 11, 1, "malformed number");
	bad("[1.]", 4, 1, "malformed number");
	bad("[.5]", 4, 1, "unexpected character");
	bad("[+1]", 4, 1, "unexpected character");
	bad("[1e]", 4, 1, "malformed number");
	bad("[1e+]", 5, 1, "malformed number");
	bad("[-]", 3, 1, "malformed number");
	bad("[01]", 4, 3, NULL);
	bad("{\"a\":1,}", 8, 7, NULL);
	bad("[1,]", 4, 3, NULL);
	bad("{a:1}", 5, 1, NULL);
	bad("\"a\nb\"", 5, 2, "control character in string");
	bad("\"a\tb\"", 5, 2, "control character in string");
	bad("\"\\x\"", 4, 2, NULL);
	bad("/* c */ 1", 9, 0, "unexpected character");
	bad("tru", 3, 3, NULL);
	bad("[tRue]", 6, 2, NULL);
}
END_TEST

START_TEST(test_truncated)
{
	bad("", 0, 0, "empty text");
	bad("   ", 3, 3, NULL);
	bad("{", 1, 1, "unexpected end of text");
	bad("{\"a\":", 5, 5, "unexpected end of text");
	bad("\"abc", 4, 4, "unexpected end of text");
	bad("[1,2", 4, 4, "unexpected end of text");
}
END_TEST

START_TEST(test_invalid_utf8)
{
	bad("\"\xff\"", 3, 1, "invalid UTF-8");
	bad("\"ab\xc3\"", 5, 3, "invalid UTF-8");		/* cut short */
	bad("\"\xc3\xa9\xa9\"", 5, 3, "invalid UTF-8");	/* stray continuation */
	bad("\"\xc0\xaf\"", 4, 1, "invalid UTF-8");		/* overlong '/' */
	bad("\"\xe0\x80\xaf\"", 5, 1, "invalid UTF-8");	/* overlong */
	bad("\"\xed\xa0\x80\"", 5, 1, "invalid UTF-8");	/* encoded surrogate */
	bad("\"\xf4\x90\x80\x80\"", 6, 1, "invalid UTF-8");	/* past U+10FFFF */
	bad("\"\xf0\x9f\x98\"", 5, 1, "invalid UTF-8");	/* truncated at the end */
	bad("[\xc3\xa9]", 4, 1, "unexpected character");	/* outside a string */
	/* Every length of well-formed sequence passes through unchanged. */
	good("\"\xc3\xa9 \xe2\x82\xac \xed\x9f\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
	    "\"\xc3\xa9 \xe2\x82\xac \xed\x9f\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
	good("{\"k\xc3\xa9\":\"\\u00e9\xc3\xa9\"}", "{\"k\xc3\xa9\":\"\xc3\xa9\xc3\xa9\"}");
}
END_TEST

START_TEST(test_explicit_length)
{
	struct json_object	*o;
	const char		*text = "{\"a\":1}GARBAGE";

	/* Only len bytes count, whatever follows in memory. */
	o = avjson_parse(text, 7, NULL);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	o = avjson_parse("123456", 3, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_get_int(o), 123);
	json_object_put(o);
}
END_TEST

START_TEST(test_depth)
{
	char			 buf[2 * (AVJSON_MAX_DEPTH + 2)];
	struct avjson_error	 err;
	struct json_object	*o;
	int			 n;

	/* AVJSON_MAX_DEPTH levels parse; one more does not. */
	for (n = AVJSON_MAX_DEPTH - 1; n <= AVJSON_MAX_DEPTH + 1; n++) {
		memset(buf, '[', (size_t)n);
		memset(buf + n, ']', (size_t)n);
		o = avjson_parse(buf, 2 * (size_t)n, &err);
		if (n <= AVJSON_MAX_DEPTH) {
			ck_assert_ptr_nonnull(o);
			json_object_put(o);
		} else {
			ck_assert_ptr_null(o);
			ck_assert_str_eq(err.msg, "nesting too deep");
		}
	}
}
END_TEST

START_TEST(test_hostile_depth)
{
	size_t			 n = 1 << 20;
	char			*buf = malloc(n);
	struct avjson_error	 err;

	/* A megabyte of '[' must fail fast, not recurse or allocate per level. */
	memset(buf, '[', n);
	ck_assert_ptr_null(avjson_parse(buf, n, &err));
	ck_assert_uint_eq(err.offset, AVJSON_MAX_DEPTH);
	free(buf);
}
END_TEST

START_TEST(test_err_may_be_null)
{
	ck_assert_ptr_null(avjson_parse("{", 1, NULL));
	ck_assert_ptr_null(avjson_parse("\0", 1, NULL));
}
END_TEST

START_TEST(test_reuse_after_error)
{
	/* The per-thread tokener must be clean after every kind of failure. */
	ck_assert_ptr_null(avjson_parse("{\"a\":[1,", 8, NULL));
	good("{\"b\":2}", "{\"b\":2}");
	ck_assert_ptr_null(avjson_parse("\"abc", 4, NULL));
	good("[3]", "[3]");
	ck_assert_ptr_null(avjson_parse("12", 0, NULL));
	good("7", "7");
}
END_TEST

START_TEST(test_str_len)
{
	struct json_object	*o = json_object_new_object();
	size_t			 len = 0;
	const char		*s;

	json_object_object_add(o, "k", json_object_new_string("a/b\n"));
	s = avjson_str(o, &len);
	ck_assert_str_eq(s, "{\"k\":\"a/b\\n\"}");
	ck_assert_uint_eq(len, strlen(s));
	json_object_put(o);
}
END_TEST

START_TEST(test_quote)
{
	char	buf[64];
	size_t	n;

	n = avjson_quote(buf, sizeof buf, "a\"b\\c\n\x01/\xc3\xa9");
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\"");
	ck_assert_uint_eq(n, strlen(buf));
	/* Too small: like snprintf, terminated, full length returned. */
	n = avjson_quote(buf, 4, "abcdef");
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(buf, "\"ab");
	ck_assert_uint_eq(avjson_quote(NULL, 0, "xy"), 4);
}
END_TEST

START_TEST(test_quote_round_trip)
{
	char			 in[256], out[2048];
	struct json_object	*o;
	int			 i;

	/* Every byte 1..127 quoted by us reads back the same through json-c. */
	for (i = 1; i < 128; i++)
		in[i - 1] = (char)i;
	in[127] = '\0';
	avjson_quote(out, sizeof out, in);
	o = avjson_parse(out, strlen(out), NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(o), in);
	json_object_put(o);
}
END_TEST

START_TEST(test_quote_cut)
{
	char			 buf[10];
	struct json_object	*o;
	size_t			 n;

	n = avjson_quote_cut(buf, sizeof buf, "abc");
	ck_assert_str_eq(buf, "\"abc\"");
	ck_assert_uint_eq(n, 5);
	/* Cut before an escape that would not fit whole. */
	n = avjson_quote_cut(buf, sizeof buf, "abcdef\n");
	ck_assert_str_eq(buf, "\"abcdef\"");
	n = avjson_quote_cut(buf, sizeof buf, "abcde\x01");
	ck_assert_str_eq(buf, "\"abcde\"");
	/* Cut before a multi-byte character that would not fit whole. */
	n = avjson_quote_cut(buf, sizeof buf, "abcdef\xc3\xa9");
	ck_assert_str_eq(buf, "\"abcdef\"");
	n = avjson_quote_cut(buf, sizeof buf, "abcde\xc3\xa9");
	ck_assert_str_eq(buf, "\"abcde\xc3\xa9\"");
	ck_assert_uint_eq(n, 9);
	o = avjson_parse(buf, n, NULL);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	ck_assert_uint_eq(avjson_quote_cut(buf, 2, "x"), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(avjson_quote_cut(buf, 3, "x"), 2);
	ck_assert_str_eq(buf, "\"\"");
}
END_TEST

/* The suite. */
static Suite *
avjson_suite(void)
{
	Suite	*s = suite_create("avjson");
	TCase	*tc = tcase_create("codec");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_trailing_garbage);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_not_strict_json);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_explicit_length);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_hostile_depth);
	tcase_add_test(tc, test_err_may_be_null);
	tcase_add_test(tc, test_reuse_after_error);
	tcase_add_test(tc, test_str_len);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_quote_round_trip);
	tcase_add_test(tc, test_quote_cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(avjson_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
