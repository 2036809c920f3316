/*
 * avjson.c: the one JSON codec, json-c with our limits.
 *
 * Parsing is strict RFC 8259 (json-c's STRICT mode plus its UTF-8
 * validation), depth-limited, and must consume the whole buffer except
 * trailing whitespace. json-c 0.16's strict mode still lets through
 * single-quoted strings, NaN and Infinity, raw control characters inside
 * strings and numbers like "1."; a cheap lexical pass before json-c
 * refuses those, and NUL bytes, which json-c would stop at and C
 * consumers of the strings would silently truncate at.
 *
 * UTF-8 is json-c's JSON_TOKENER_VALIDATE_UTF8, which only counts
 * continuation bytes: it refuses bytes that cannot start a sequence,
 * stray continuation bytes and sequences cut short, but takes any lead
 * byte C0-F7 with the right number of continuations. The lexical pass
 * refuses what that lets through and RFC 3629 forbids (overlong forms,
 * encoded surrogates, code points past U+10FFFF); it stops only at the
 * lead bytes that can start one, so other non-ASCII text costs it
 * nothing. test_lib_avjson holds json-c to each half of this split.
 *
 * Numbers keep their text. json-c keeps the text of a fraction or an
 * exponent (its doubles print as they were read), but reads an integer
 * into an int64 or a uint64: one outside both it clamps without a word
 * (1234567890123456789012345 becomes 18446744073709551615), "-0" becomes
 * 0, and 2^63 to 2^64-1 become uint64 that no SQLite or PostgreSQL
 * integer holds. The lexical pass finds the integers outside the signed
 * 64-bit range (and "-0") by their text; json-c is then given a copy
 * with a '.' after each, reads them as doubles that keep that text, and
 * avjson_unmark drops the dot again. Such a double whose text is an
 * integer is a form json-c never makes itself: avjson_num_check names it,
 * and evt_validate refuses it by field. Nothing is clamped, so avjson_str
 * writes every number exactly as it came.
 *
 * A "\u0000" in a member name is refused here too: json-c keeps object
 * keys as C strings and would cut the name at it. One in a value stays,
 * for evt_validate to refuse by field.
 *
 * One tokener per thread is kept and reset between parses (and replaced
 * after a failed one, see avjson_tokener_drop): creating one costs an
 * allocation of its whole depth stack, which showed in the validator
 * benchmark.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "log.h"
#include "xmalloc.h"

static __thread struct json_tokener *avjson_tok;

/* The thread's tokener, reset and ready for a new text. */
static struct json_tokener *
avjson_tokener(void)
{
	if (avjson_tok == NULL) {
		avjson_tok = json_tokener_new_ex(AVJSON_MAX_DEPTH);
		if (avjson_tok == NULL)
			fatalx("json_tokener_new_ex failed");
		json_tokener_set_flags(avjson_tok,
		    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	} else
		json_tokener_reset(avjson_tok);
	return avjson_tok;
}

/*
 * Forget the thread's tokener after a failed parse. json_tokener_reset
 * leaves a pending high surrogate in place (json-c 0.16, and still
 * upstream): after a text that fails just past "\ud800\u", the next
 * text, another client's, would get a U+FFFD before its first \u escape.
 * Failures are the rare path; the next parse allocates a new tokener.
 */
static void
avjson_tokener_drop(void)
{
	json_tokener_free(avjson_tok);
	avjson_tok = NULL;
}

/* Fill err (if any) with offset and reason. */
static void
avjson_fail(struct avjson_error *err, size_t offset, const char *msg)
{
	if (err == NULL)
		return;
	err->offset = offset;
	snprintf(err->msg, sizeof err->msg, "%s", msg);
}

/* 1 for the four whitespace bytes of RFC 8259. */
static int
avjson_isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Bytes outside strings that RFC 8259 allows and json-c checks itself:
 * structure, whitespace, and the letters of true/false/null. Numbers are
 * checked here. Anything else ('\'', N, I, NUL, …) is refused.
 */
static const unsigned char avjson_plain[256] = {
	['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, [','] = 1, [':'] = 1,
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
	['t'] = 1, ['r'] = 1, ['u'] = 1, ['e'] = 1, ['f'] = 1, ['a'] = 1,
	['l'] = 1, ['s'] = 1, ['n'] = 1,
};

/*
 * Inside a string: bytes that end the fast skip: '"', '\\', controls, and
 * the lead bytes avjson_utf8_refused looks at. Other non-ASCII bytes are
 * json-c's to check.
 */
static const unsigned char avjson_strstop[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
	[0xc0] = 1, [0xc1] = 1, [0xe0] = 1, [0xed] = 1, [0xf0] = 1,
	[0xf4 ... 0xf7] = 1,
};

/* 1 for an ASCII digit. */
static int
avjson_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * 1 if the sequence at lead byte p[0] is one that json-c's UTF-8 check
 * takes although RFC 3629 forbids it: an overlong form, an encoded
 * surrogate (ED A0 80) or a code point past U+10FFFF. A sequence cut
 * short is left to json-c, which refuses it.
 */
static int
avjson_utf8_refused(const unsigned char *p, size_t left)
{
	/* C0 and C1 start only overlong forms, F5-F7 only past U+10FFFF. */
	if (p[0] == 0xc0 || p[0] == 0xc1 || p[0] >= 0xf5)
		return 1;
	if (left < 2 || (p[1] & 0xc0) != 0x80)
		return 0;
	switch (p[0]) {
	case 0xe0:
		return p[1] < 0xa0;	/* overlong */
	case 0xed:
		return p[1] > 0x9f;	/* U+D800-U+DFFF */
	case 0xf0:
		return p[1] < 0x90;	/* overlong */
	case 0xf4:
		return p[1] > 0x8f;	/* past U+10FFFF */
	}
	return 0;
}

/*
 * 1 if s[0..len), an integer in JSON syntax (no leading zeros, no
 * fraction or exponent), is a signed 64-bit integer other than -0.
 */
static int
avjson_int_fits(const char *s, size_t len)
{
	int	neg = s[0] == '-';

	s += neg;
	len -= neg;
	if (len < 19)
		return !(neg && s[0] == '0');
	return len == 19 &&
	    memcmp(s, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
}

/* Offsets just past the integers json-c would not keep; see the top. */
struct avjson_marks {
	size_t	*end;
	size_t	 n, cap;
};

/* Remember that the integer ending at offset end needs its text kept. */
static void
avjson_mark(struct avjson_marks *m, size_t end)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->end = xreallocarray(m->end, m->cap, sizeof *m->end);
	}
	m->end[m->n++] = end;
}

/* 1 if the string that ends at p[i] ('"') is a member name: ':' follows. */
static int
avjson_is_name(const unsigned char *p, size_t len, size_t i)
{
	for (i++; i < len && avjson_isws((char)p[i]); i++)
		;
	return i < len && p[i] == ':';
}

/*
 * Lexical pass: refuse what json-c's strict mode lets through, and mark
 * the integers it would change. Returns 0, or -1 with the offset and
 * reason. Structure errors are left to json-c.
 */
static int
avjson_prescan(const unsigned char *p, size_t len, struct avjson_error *err,
    struct avjson_marks *m)
{
	size_t	i = 0, start, nul;
	int	integer;

	while (i < len) {
		if (p[i] == '"') {
			nul = SIZE_MAX;
			for (i++; i < len; i++) {
				while (i < len && !avjson_strstop[p[i]])
					i++;
				if (i >= len || p[i] == '"')
					break;
				if (p[i] == '\\') {
					/* json-c checks the escape itself. */
					if (nul == SIZE_MAX && len - i > 5 &&
					    memcmp(p + i + 1, "u0000", 5) == 0)
						nul = i;
					i++;
					continue;
				}
				if (p[i] >= 0x80) {
					if (avjson_utf8_refused(p + i, len - i)) {
						avjson_fail(err, i, "invalid UTF-8");
						return -1;
					}
					continue;
				}
				avjson_fail(err, i, p[i] == '\0' ? "NUL byte" :
				    "control character in string");
				return -1;
			}
			if (nul != SIZE_MAX && avjson_is_name(p, len, i)) {
				avjson_fail(err, nul, "NUL character in member name");
				return -1;
			}
			i++;
			continue;
		}
		if (p[i] == '-' || avjson_isdigit(p[i])) {
			/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
			start = i;
			integer = 1;
			if (p[i] == '-')
				i++;
			if (i >= len || !avjson_isdigit(p[i]))
				goto badnum;
			if (p[i] == '0' && i + 1 < len && avjson_isdigit(p[i + 1]))
				goto badnum;	/* json-c reads "00" as 0 */
			while (i < len && avjson_isdigit(p[i]))
				i++;
			if (i < len && p[i] == '.') {
				integer = 0;
				if (++i >= len || !avjson_isdigit(p[i]))
					goto badnum;
				while (i < len && avjson_isdigit(p[i]))
					i++;
			}
			if (i < len && (p[i] == 'e' || p[i] == 'E')) {
				integer = 0;
				if (++i < len && (p[i] == '+' || p[i] == '-'))
					i++;
				if (i >= len || !avjson_isdigit(p[i]))
					goto badnum;
				while (i < len && avjson_isdigit(p[i]))
					i++;
			}
			/* Up to 18 digits always fit: the exact test is for longer ones, and -0. */
			if (integer && (i - start > 18 || (i - start == 2 &&
			    p[start] == '-' && p[start + 1] == '0')) &&
			    !avjson_int_fits((const char *)p + start, i - start))
				avjson_mark(m, i);
			continue;
		badnum:
			avjson_fail(err, start, "malformed number");
			return -1;
		}
		if (!avjson_plain[p[i]]) {
			avjson_fail(err, i, p[i] == '\0' ? "NUL byte" :
			    "unexpected character");
			return -1;
		}
		i++;
	}
	return 0;
}

/* json-c's part of avjson_parse: one value from buf[0..len), prescanned. */
static struct json_object *
avjson_tokenize(const char *buf, size_t len, struct avjson_error *err)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (len > INT32_MAX) {
		avjson_fail(err, 0, "text too large");
		return NULL;
	}
	tok = avjson_tokener();
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/*
		 * A bare number at the end ("12") may still grow; a
		 * terminating NUL tells json-c the text is over. Anything
		 * else still incomplete is truncated text.
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (obj == NULL) {
			avjson_tokener_drop();
			avjson_fail(err, len, len == 0 ? "empty text" :
			    "unexpected end of text");
			return NULL;
		}
		return obj;
	}
	if (obj == NULL) {
		/* Ours or json-c's, a UTF-8 error reads the same. */
		avjson_fail(err, json_tokener_get_parse_end(tok),
		    jerr == json_tokener_error_parse_utf8_string ?
		    "invalid UTF-8" : json_tokener_error_desc(jerr));
		avjson_tokener_drop();
		return NULL;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!avjson_isws(buf[end])) {
			json_object_put(obj);
			avjson_fail(err, end, "trailing characters after JSON value");
			return NULL;
		}
	}
	return obj;
}

/*
 * Give the doubles that avjson_parse_marked made of marked integers
 * their text back: that text without the '.' it added. A double's text
 * that ends in '.' can come from nowhere else, the prescan refuses "1.".
 */
static void
avjson_unmark(struct json_object *o)
{
	const char	*text;
	size_t		 i, n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		json_object_object_foreach(o, key, val) {
			(void)key;
			avjson_unmark(val);
		}
		return;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			avjson_unmark(json_object_array_get_idx(o, i));
		return;
	case json_type_double:
		text = json_object_get_userdata(o);
		if (text == NULL || (n = strlen(text)) < 2 || text[n - 1] != '.')
			return;
		json_object_set_serializer(o, json_object_userdata_to_json_string,
		    xstrndup(text, n - 1), json_object_free_userdata);
		return;
	default:
		return;
	}
}

/*
 * The rare path of avjson_parse: buf holds integers json-c would change.
 * It parses a copy with a '.' after each, so that json-c keeps their
 * text, and maps an error's offset in the copy back to buf.
 */
static struct json_object *
avjson_parse_marked(const char *buf, size_t len, const struct avjson_marks *m,
    struct avjson_error *err)
{
	struct json_object	*obj;
	char			*copy;
	size_t			 k, from = 0, to = 0, before;

	copy = xmalloc(len + m->n);
	for (k = 0; k < m->n; k++) {
		memcpy(copy + to, buf + from, m->end[k] - from);
		to += m->end[k] - from;
		from = m->end[k];
		copy[to++] = '.';
	}
	memcpy(copy + to, buf + from, len - from);
	obj = avjson_tokenize(copy, len + m->n, err);
	free(copy);
	if (obj == NULL) {
		/* The k-th dot sits at end[k] + k in the copy. */
		if (err != NULL) {
			for (before = 0; before < m->n &&
			    m->end[before] + before < err->offset; before++)
				;
			err->offset -= before;
		}
		return NULL;
	}
	avjson_unmark(obj);
	return obj;
}

/* Parse exactly one JSON value from buf[0..len). */
struct json_object *
avjson_parse(const char *buf, size_t len, struct avjson_error *err)
{
	struct avjson_marks	 m = { NULL, 0, 0 };
	struct json_object	*obj;

	if (len > INT32_MAX) {
		avjson_fail(err, 0, "text too large");
		return NULL;
	}
	if (avjson_prescan((const unsigned char *)buf, len, err, &m) != 0) {
		free(m.end);
		return NULL;
	}
	if (m.n == 0)
		return avjson_tokenize(buf, len, err);
	obj = avjson_parse_marked(buf, len, &m, err);
	free(m.end);
	return obj;
}

/* 1 if the number text s has a digit other than 0 before its exponent. */
static int
avjson_nonzero_text(const char *s)
{
	for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
		if (*s >= '1' && *s <= '9')
			return 1;
	}
	return 0;
}

/* How number o stands against what every store keeps exactly. */
enum avjson_num
avjson_num_check(struct json_object *o)
{
	const char	*text;
	double		 d;

	switch (json_object_get_type(o)) {
	case json_type_int:
		/* json-c holds 2^63 to 2^64-1 as uint64: no int64 column does. */
		if (json_object_get_uint64(o) > (uint64_t)INT64_MAX)
			return AVJSON_NUM_INT_RANGE;
		return AVJSON_NUM_EXACT;
	case json_type_double:
		break;
	default:
		return AVJSON_NUM_EXACT;
	}
	/*
	 * A double made from text (json-c's parse, avjson_new_number) keeps
	 * that text as its userdata; one made from a C double has none.
	 */
	text = json_object_get_userdata(o);
	if (text != NULL && strpbrk(text, ".eE") == NULL)
		return strcmp(text, "-0") == 0 ? AVJSON_NUM_NEG_ZERO :
		    AVJSON_NUM_INT_RANGE;
	d = json_object_get_double(o);
	if (!isfinite(d))
		return AVJSON_NUM_OVERFLOW;
	if (d == 0 && text != NULL && avjson_nonzero_text(text))
		return AVJSON_NUM_UNDERFLOW;
	return AVJSON_NUM_EXACT;
}

/* New number for the JSON number text s, as avjson_parse would make it. */
struct json_object *
avjson_new_number(const char *s)
{
	struct json_object	*o;

	if (strpbrk(s, ".eE") == NULL && avjson_int_fits(s, strlen(s)))
		o = json_object_new_int64(strtoll(s, NULL, 10));
	else
		o = json_object_new_double_s(strtod(s, NULL), s);
	if (o == NULL)
		fatalx("json-c: cannot make a number");
	return o;
}

/* Compact text of obj. */
const char *
avjson_str(struct json_object *obj, size_t *len)
{
	size_t		 dummy;

	return json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    len != NULL ? len : &dummy);
}

/*
 * Escaped form of byte c: writes up to 6 bytes into out, returns how many.
 * The escapes match json-c's, so our text and json-c's agree.
 */
static size_t
avjson_escape(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':  memcpy(out, "\\\"", 2); return 2;
	case '\\': memcpy(out, "\\\\", 2); return 2;
	case '\b': memcpy(out, "\\b", 2); return 2;
	case '\f': memcpy(out, "\\f", 2); return 2;
	case '\n': memcpy(out, "\\n", 2); return 2;
	case '\r': memcpy(out, "\\r", 2); return 2;
	case '\t': memcpy(out, "\\t", 2); return 2;
	}
	if (c < 0x20) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 0xf];
		return 6;
	}
	out[0] = (char)c;
	return 1;
}

/* Append the JSON string literal of s to buf; returns bytes needed. */
size_t
avjson_quote(char *buf, size_t cap, const char *s)
{
	char		 esc[6];
	size_t		 n = 0, k, i;

	/* Like snprintf: write what fits, always terminate, count everything. */
#define AVJSON_PUT(c) do { if (n + 1 < cap) buf[n] = (c); n++; } while (0)
	AVJSON_PUT('"');
	for (; *s != '\0'; s++) {
		k = avjson_escape((unsigned char)*s, esc);
		for (i = 0; i < k; i++)
			AVJSON_PUT(esc[i]);
	}
	AVJSON_PUT('"');
#undef AVJSON_PUT
	if (cap > 0)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* JSON literal of the longest prefix of s that fits in cap; returns its length. */
size_t
avjson_quote_cut(char *buf, size_t cap, const char *s)
{
	char		 esc[6];
	size_t		 n, k, clen;
	unsigned char	 c;

	/* Room for both quotes and the NUL, or nothing at all. */
	if (cap < 3) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	buf[0] = '"';
	n = 1;
	while (*s != '\0') {
		c = (unsigned char)*s;
		/* Never cut inside a UTF-8 sequence: take whole characters. */
		clen = 1;
		if (c >= 0xc0) {
			while ((clen < 4) && ((unsigned char)s[clen] & 0xc0) == 0x80)
				clen++;
		}
		if (clen > 1) {
			if (n + clen + 2 > cap)
				break;
			memcpy(buf + n, s, clen);
			n += clen;
			s += clen;
			continue;
		}
		k = avjson_escape(c, esc);
		if (n + k + 2 > cap)
			break;
		memcpy(buf + n, esc, k);
		n += k;
		s++;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return n;
}
