/*
 * test_lib_avjson.c: the JSON codec: strictness, error offsets, limits,
 * every class of malformed UTF-8 (and which of them json-c itself
 * catches), compact output, and string quoting held to json-c's output.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
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
	/* Bytes that start no sequence. */
	bad("\"\xff\"", 3, 1, "invalid UTF-8");
	bad("\"\xfe\"", 3, 1, "invalid UTF-8");
	bad("\"ab\xf8\x88\x80\x80\x80\"", 9, 3, "invalid UTF-8");	/* 5-byte form */
	/* Lone continuation bytes. */
	bad("\"\x80\"", 3, 1, "invalid UTF-8");
	bad("\"a\xbf" "b\"", 5, 2, "invalid UTF-8");
	bad("\"\xc3\xa9\xa9\"", 5, 3, "invalid UTF-8");	/* after a whole one */
	/* Sequences cut short: the offset is the byte that should continue. */
	bad("\"ab\xc3\"", 5, 4, "invalid UTF-8");
	bad("\"\xe2\x82\"", 4, 3, "invalid UTF-8");
	bad("\"\xf0\x9f\x98\"", 5, 4, "invalid UTF-8");
	bad("\"\xe2" "ab\"", 5, 2, "invalid UTF-8");
	bad("\"\xc3\xc3\xa9\"", 5, 2, "invalid UTF-8");
	bad("\"\xf0\x9f", 3, 3, "invalid UTF-8");		/* at the end of the text */
	/* Overlong forms. */
	bad("\"\xc0\xaf\"", 4, 1, "invalid UTF-8");		/* '/' in two bytes */
	bad("\"\xc1\xbf\"", 4, 1, "invalid UTF-8");
	bad("\"\xc0\x80\"", 4, 1, "invalid UTF-8");		/* NUL in two bytes */
	bad("\"\xe0\x80\xaf\"", 5, 1, "invalid UTF-8");
	bad("\"\xe0\x9f\xbf\"", 5, 1, "invalid UTF-8");
	bad("\"\xf0\x80\x80\xaf\"", 6, 1, "invalid UTF-8");
	bad("\"\xf0\x8f\xbf\xbf\"", 6, 1, "invalid UTF-8");
	/* Surrogates encoded in UTF-8 (CESU-8), alone or as a pair. */
	bad("\"\xed\xa0\x80\"", 5, 1, "invalid UTF-8");
	bad("\"\xed\xbf\xbf\"", 5, 1, "invalid UTF-8");
	bad("\"\xed\xa0\xbd\xed\xb8\x80\"", 8, 1, "invalid UTF-8");
	/* Code points past U+10FFFF. */
	bad("\"\xf4\x90\x80\x80\"", 6, 1, "invalid UTF-8");
	bad("\"\xf5\x80\x80\x80\"", 6, 1, "invalid UTF-8");
	bad("\"\xf7\xbf\xbf\xbf\"", 6, 1, "invalid UTF-8");
	/* In a key, and after valid text, the offset still is the byte's. */
	bad("{\"\xc0\xaf\":1}", 8, 2, "invalid UTF-8");
	bad("{\"\xff\":1}", 7, 2, "invalid UTF-8");
	bad("{\"a\":\"\xc3\xa9t\xc3\xa9\",\"b\":\"x\xed\xa0\x80\"}", 24, 19,
	    "invalid UTF-8");
	bad("{\"a\":\"\xc3\xa9t\xc3\xa9\",\"b\":\"x\x80\"}", 22, 19, "invalid UTF-8");
	bad("[\xc3\xa9]", 4, 1, "unexpected character");	/* outside a string */
	/* Every length of well-formed sequence passes through unchanged. */
	good("\"\xc3\xa9 \xe2\x82\xac \xed\x9f\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
	    "\"\xc3\xa9 \xe2\x82\xac \xed\x9f\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
	good("{\"k\xc3\xa9\":\"\\u00e9\xc3\xa9\"}", "{\"k\xc3\xa9\":\"\xc3\xa9\xc3\xa9\"}");
	/* The edges of each refused range: U+0080, U+0800, U+D7FF, U+E000, U+FFFF, U+10000. */
	good("\"\xc2\x80\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\"",
	    "\"\xc2\x80\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\"");
}
END_TEST

START_TEST(test_escaped_nul)
{
	struct json_object	*o;

	/*
	 * "\u0000" is valid JSON: it parses, and the NUL stays in the
	 * string so that evt_validate can refuse the field by name.
	 */
	o = avjson_parse("\"a\\u0000b\"", 10, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_get_string_len(o), 3);
	ck_assert_mem_eq(json_object_get_string(o), "a\0b", 3);
	json_object_put(o);
}
END_TEST

START_TEST(test_nul_in_member_name)
{
	/*
	 * json-c cuts a member name at "\u0000" ({"a\u0000b":1} would be
	 * {"a":1}), so such a name is refused, at the escape.
	 */
	bad("{\"a\\u0000b\":1}", 14, 3, "NUL character in member name");
	bad("{\"k\":{\"\\u0000\" :2}}", 19, 7, "NUL character in member name");
	bad("[{\"x\":1,\"\\u0000\"\t:2}]", 21, 9, "NUL character in member name");
	/* A NUL in a value stays for the validator; "\\u0000" is no NUL at all. */
	good("{\"a\":\"\\u0000\"}", "{\"a\":\"\\u0000\"}");
	good("{\"\\\\u0000\":1}", "{\"\\\\u0000\":1}");
	good("[\"\\u0000\",1]", "[\"\\u0000\",1]");
}
END_TEST

START_TEST(test_leading_zeros)
{
	/* RFC 8259: no leading zeros; json-c alone reads "00" as 0 and "-01" as -1. */
	bad("[00]", 4, 1, "malformed number");
	bad("[-00]", 5, 1, "malformed number");
	bad("[-01]", 5, 1, "malformed number");
	bad("[01]", 4, 1, "malformed number");
	bad("[00.5]", 6, 1, "malformed number");
	bad("{\"n\":-012e3}", 12, 5, "malformed number");
	good("[0,-0.5,0e1,0.0,10,-100]", "[0,-0.5,0e1,0.0,10,-100]");
}
END_TEST

START_TEST(test_numbers_keep_their_text)
{
	static const char *const texts[] = {
		/* The edges of the signed 64-bit range. */
		"9223372036854775807", "-9223372036854775808",
		/* Just past them, the unsigned range and beyond: json-c would
		 * clamp these to 9223372036854775807 or 18446744073709551615. */
		"9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616",
		"1234567890123456789012345", "-1234567890123456789012345",
		"100000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"0000000000",
		/* json-c would write 0. */
		"-0",
		/* Fractions and exponents: json-c keeps the text it read. */
		"1.50", "-0.0", "0.1", "1E2", "1e+5", "-2.5E-3", "1e400",
		"-1e400", "1e-400", "5e-324", "1.7976931348623157e308",
	};
	char	 buf[1024];
	size_t	 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		good(texts[i], texts[i]);
		snprintf(buf, sizeof buf, "[%s,%s]", texts[i], texts[i]);
		good(buf, buf);
		snprintf(buf, sizeof buf, "{\"a\":{\"n\":%s},\"b\":1}", texts[i]);
		good(buf, buf);
	}
}
END_TEST

START_TEST(test_int64_stays_int)
{
	struct json_object	*o;

	o = avjson_parse("[9223372036854775807,-9223372036854775808,-1]", 45, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_is_type(json_object_array_get_idx(o, 0), json_type_int));
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(o, 0)),
	    INT64_MAX);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(o, 1)),
	    INT64_MIN);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(o, 2)), -1);
	json_object_put(o);
}
END_TEST

START_TEST(test_offsets_after_big_integers)
{
	/* Errors after an integer outside 64 bits still name the right byte. */
	bad("[99999999999999999999,}", 23, 22, NULL);
	bad("[-0,99999999999999999999]]", 26, 25, NULL);
	bad("99999999999999999999 1", 22, 21, NULL);
	bad("[99999999999999999999", 21, 21, "unexpected end of text");
	bad("{\"a\":-0,\"b\":99999999999999999999 \"c\"}", 37, 33, NULL);
	/* And the parser is clean for the next text. */
	good("[1]", "[1]");
}
END_TEST

/* 1 if json-c alone (strict, UTF-8 checked) takes text; *jerr its error. */
static int
jsonc_takes(const char *text, size_t len, enum json_tokener_error *jerr)
{
	struct json_tokener	*tok = json_tokener_new();
	struct json_object	*o;

	ck_assert_ptr_nonnull(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	*jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	json_object_put(o);
	return o != NULL;
}

START_TEST(test_jsonc_gaps)
{
	static const struct {
		const char	*text;
		size_t		 len;
	} delegated[] = {
		{ "\"\xff\"", 3 }, { "\"\xf8\x88\x80\x80\x80\"", 7 },
		{ "\"\x80\"", 3 }, { "\"\xc3\xa9\xa9\"", 5 },
		{ "\"ab\xc3\"", 5 }, { "\"\xf0\x9f\x98\"", 5 },
		{ "\"\xe2" "ab\"", 5 }, { "{\"\xff\":1}", 7 },
	}, kept[] = {
		{ "\"\xc0\xaf\"", 4 }, { "\"\xc1\xbf\"", 4 },
		{ "\"\xe0\x80\xaf\"", 5 }, { "\"\xf0\x80\x80\xaf\"", 6 },
		{ "\"\xed\xa0\x80\"", 5 }, { "\"\xf4\x90\x80\x80\"", 6 },
		{ "\"\xf7\xbf\xbf\xbf\"", 6 }, { "{\"\xc0\xaf\":1}", 8 },
		{ "\"a\nb\"", 5 }, { "{\"a\":1}\0", 8 }, { "{'a':1}", 7 },
		{ "[NaN]", 5 }, { "[-Infinity]", 11 }, { "[1.]", 4 },
		{ "[00]", 4 }, { "[-01]", 5 }, { "{\"a\\u0000b\":1}", 14 },
		/* What avjson_parse_marked gives json-c to keep an integer's text. */
		{ "[99999999999999999999999.]", 26 }, { "[-0.]", 5 },
	};
	enum json_tokener_error	jerr;
	size_t			i;

	/*
	 * What avjson_prescan leaves to json-c's VALIDATE_UTF8, json-c
	 * must refuse as UTF-8 errors itself.
	 */
	for (i = 0; i < sizeof delegated / sizeof delegated[0]; i++) {
		ck_assert_msg(!jsonc_takes(delegated[i].text, delegated[i].len,
		    &jerr), "json-c took delegated case %zu", i);
		ck_assert_int_eq(jerr, json_tokener_error_parse_utf8_string);
	}
	/*
	 * What avjson_prescan checks itself json-c's strict, UTF-8 checked
	 * mode takes (its UTF-8 check counts continuation bytes only).
	 * Should a newer json-c refuse one, that check can go.
	 */
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		ck_assert_msg(jsonc_takes(kept[i].text, kept[i].len, &jerr),
		    "json-c refused kept case %zu: %s", i,
		    json_tokener_error_desc(jerr));
}
END_TEST

START_TEST(test_jsonc_changes_integers)
{
	static const char *const texts[][2] = {
		{ "1234567890123456789012345", "18446744073709551615" },
		{ "-9223372036854775809", "-9223372036854775808" },
		{ "-0", "0" },
	};
	struct json_object	*o;
	size_t			 i;

	/*
	 * Why avjson_prescan marks integers: json-c alone writes these back
	 * changed. Should a newer json-c keep them, the marks can go.
	 */
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		o = json_tokener_parse(texts[i][0]);
		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN), texts[i][1]);
		json_object_put(o);
	}
}
END_TEST

START_TEST(test_num_check)
{
	static const struct {
		const char	*text;
		enum avjson_num	 want;
	} t[] = {
		{ "0", AVJSON_NUM_EXACT }, { "-1", AVJSON_NUM_EXACT },
		{ "9223372036854775807", AVJSON_NUM_EXACT },
		{ "-9223372036854775808", AVJSON_NUM_EXACT },
		{ "9223372036854775808", AVJSON_NUM_INT_RANGE },
		{ "-9223372036854775809", AVJSON_NUM_INT_RANGE },
		{ "18446744073709551615", AVJSON_NUM_INT_RANGE },
		{ "99999999999999999999999999999", AVJSON_NUM_INT_RANGE },
		{ "-0", AVJSON_NUM_NEG_ZERO },
		{ "-0.0", AVJSON_NUM_EXACT }, { "0e9", AVJSON_NUM_EXACT },
		{ "1.50", AVJSON_NUM_EXACT }, { "1e308", AVJSON_NUM_EXACT },
		{ "4.9e-324", AVJSON_NUM_EXACT },
		{ "1e309", AVJSON_NUM_OVERFLOW }, { "-1e400", AVJSON_NUM_OVERFLOW },
		{ "1e-400", AVJSON_NUM_UNDERFLOW }, { "-0.0001e-330", AVJSON_NUM_UNDERFLOW },
	};
	struct json_object	*o, *n;
	size_t			 i;

	/* Parsed or made from the same text, the same answer and the same text. */
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		o = avjson_parse(t[i].text, strlen(t[i].text), NULL);
		ck_assert_ptr_nonnull(o);
		ck_assert_msg(avjson_num_check(o) == t[i].want, "parsed %s: %d",
		    t[i].text, avjson_num_check(o));
		n = avjson_new_number(t[i].text);
		ck_assert_msg(avjson_num_check(n) == t[i].want, "made %s: %d",
		    t[i].text, avjson_num_check(n));
		ck_assert_int_eq(json_object_get_type(n), json_object_get_type(o));
		ck_assert_str_eq(avjson_str(n, NULL), t[i].text);
		json_object_put(n);
		json_object_put(o);
	}
	/* Numbers made in code, and things that are no number. */
	o = json_object_new_uint64(UINT64_MAX);
	ck_assert_int_eq(avjson_num_check(o), AVJSON_NUM_INT_RANGE);
	json_object_put(o);
	o = json_object_new_uint64(INT64_MAX);
	ck_assert_int_eq(avjson_num_check(o), AVJSON_NUM_EXACT);
	json_object_put(o);
	o = json_object_new_double(1.0 / 0.0);
	ck_assert_int_eq(avjson_num_check(o), AVJSON_NUM_OVERFLOW);
	json_object_put(o);
	o = json_object_new_double(0.0);
	ck_assert_int_eq(avjson_num_check(o), AVJSON_NUM_EXACT);
	json_object_put(o);
	o = json_object_new_string("99999999999999999999");
	ck_assert_int_eq(avjson_num_check(o), AVJSON_NUM_EXACT);
	json_object_put(o);
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
	/* A high surrogate pending at the failure must not reach the next text. */
	ck_assert_ptr_null(avjson_parse("\"\\ud800\\uZZZZ\"", 14, NULL));
	good("\"\\u0041\"", "\"A\"");
	ck_assert_ptr_null(avjson_parse("\"\\ud800\\u", 9, NULL));
	good("\"x\\u00e9\"", "\"x\xc3\xa9\"");
	ck_assert_ptr_null(avjson_parse("[\"\\ud83d\\u\"]", 12, NULL));
	good("[\"\\ud83d\\ude00\"]", "[\"\xf0\x9f\x98\x80\"]");
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

/* Hostile strings for the quoting tests; *n set to their number. Caller frees. */
static char **
hostile_strings(size_t *n)
{
	static const char *const fixed[] = {
		"", "\x7f", "\"", "\\", "/", "\\/", "\"\\\"", "</script>",
		"\\u0041", "a\"b\\c/d\x7f" "e",
		"\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xe2\x80\xa9",
		"line\xe2\x80\xa8sep\xe2\x80\xa9par", "\xf0\x9f\x98\x80",
		"\xf4\x8f\xbf\xbf", "\xef\xbb\xbf" "bom", "a\xcc\x81",
		/* Not UTF-8: both copy such bytes as they are. */
		"\xff", "\x80", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
	};
	size_t		 nfixed = sizeof fixed / sizeof fixed[0], i, k = 0;
	size_t		 longlen = 1 << 20;
	char		**v, *all, *lng;

	v = calloc(nfixed + 2 * 0x20 + 2, sizeof *v);
	ck_assert_ptr_nonnull(v);
	for (i = 0; i < nfixed; i++)
		v[k++] = strdup(fixed[i]);
	/* Every control byte alone and inside text. */
	for (i = 0x01; i < 0x20; i++) {
		v[k] = malloc(2);
		v[k][0] = (char)i;
		v[k++][1] = '\0';
		v[k] = malloc(4);
		v[k][0] = 'a';
		v[k][1] = (char)i;
		v[k][2] = 'b';
		v[k++][3] = '\0';
	}
	/* Every byte 0x01-0xff in one string. */
	all = malloc(256);
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	v[k++] = all;
	/* A megabyte cycling through all of the above. */
	lng = malloc(longlen + 1);
	for (i = 0; i < longlen; i++)
		lng[i] = all[i % 255];
	lng[longlen] = '\0';
	v[k++] = lng;
	*n = k;
	return v;
}

/* Free what hostile_strings returned. */
static void
hostile_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

START_TEST(test_quote_matches_jsonc)
{
	struct json_object	*o;
	const char		*want;
	char			**v, *buf;
	size_t			 n, i, len, wlen;

	/*
	 * Every hand-built reply and record quotes through avjson_quote;
	 * its text must be byte for byte what json-c writes for the same
	 * string with avjson_str's flags.
	 */
	v = hostile_strings(&n);
	for (i = 0; i < n; i++) {
		o = json_object_new_string(v[i]);
		want = avjson_str(o, &wlen);
		len = avjson_quote(NULL, 0, v[i]);
		ck_assert_msg(len == wlen, "string %zu: %zu bytes, json-c %zu",
		    i, len, wlen);
		buf = malloc(len + 1);
		ck_assert_uint_eq(avjson_quote(buf, len + 1, v[i]), len);
		ck_assert_msg(memcmp(buf, want, wlen + 1) == 0,
		    "string %zu: %s, json-c %s", i, buf, want);
		/* With room to spare, the cut form is the same text. */
		ck_assert_uint_eq(avjson_quote_cut(buf, len + 1, v[i]), len);
		ck_assert_msg(memcmp(buf, want, wlen + 1) == 0,
		    "string %zu cut: %s, json-c %s", i, buf, want);
		free(buf);
		json_object_put(o);
	}
	hostile_free(v, n);
}
END_TEST

START_TEST(test_quote_cut_matches_jsonc)
{
	static const char	 s[] = "a\"\\/\x01\n\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\x7f" "z";
	struct json_object	*o, *p;
	const char		*want;
	char			 buf[64];
	size_t			 cap, n, wlen, plen, prev = 0;

	/*
	 * At every size the cut literal is json-c's text of a prefix of s
	 * that ends on a character boundary, and never shorter than at
	 * the size before.
	 */
	for (cap = 3; cap <= sizeof buf; cap++) {
		n = avjson_quote_cut(buf, cap, s);
		ck_assert_uint_lt(n, cap);
		ck_assert_uint_ge(n, prev);
		prev = n;
		ck_assert_ptr_nonnull(p = avjson_parse(buf, n, NULL));
		plen = (size_t)json_object_get_string_len(p);
		ck_assert_mem_eq(json_object_get_string(p), s, plen);
		ck_assert(plen == sizeof s - 1 ||
		    ((unsigned char)s[plen] & 0xc0) != 0x80);
		o = json_object_new_string_len(s, (int)plen);
		want = avjson_str(o, &wlen);
		ck_assert_uint_eq(n, wlen);
		ck_assert_str_eq(buf, want);
		json_object_put(o);
		json_object_put(p);
	}
	ck_assert_uint_eq(prev, avjson_quote(NULL, 0, s));
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
	tcase_add_test(tc, test_escaped_nul);
	tcase_add_test(tc, test_nul_in_member_name);
	tcase_add_test(tc, test_leading_zeros);
	tcase_add_test(tc, test_numbers_keep_their_text);
	tcase_add_test(tc, test_int64_stays_int);
	tcase_add_test(tc, test_offsets_after_big_integers);
	tcase_add_test(tc, test_jsonc_gaps);
	tcase_add_test(tc, test_jsonc_changes_integers);
	tcase_add_test(tc, test_num_check);
	tcase_add_test(tc, test_explicit_length);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_hostile_depth);
	tcase_add_test(tc, test_err_may_be_null);
	tcase_add_test(tc, test_reuse_after_error);
	tcase_add_test(tc, test_str_len);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_quote_round_trip);
	tcase_add_test(tc, test_quote_cut);
	tcase_add_test(tc, test_quote_matches_jsonc);
	tcase_add_test(tc, test_quote_cut_matches_jsonc);
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
