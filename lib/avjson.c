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
 * One tokener per thread is kept and reset between parses (and replaced
 * after a failed one, see avjson_tokener_drop): creating one costs an
 * allocation of its whole depth stack, which showed in the validator
 * benchmark.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "avjson.h"
#include "log.h"

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
 * Lexical pass: refuse what json-c's strict mode lets through. Returns 0,
 * or -1 with the offset and reason. Structure errors are left to json-c.
 */
static int
avjson_prescan(const unsigned char *p, size_t len, struct avjson_error *err)
{
	size_t	i = 0, start;

	while (i < len) {
		if (p[i] == '"') {
			for (i++; i < len; i++) {
				while (i < len && !avjson_strstop[p[i]])
					i++;
				if (i >= len || p[i] == '"')
					break;
				if (p[i] == '\\') {
					i++;	/* json-c checks the escape itself */
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
			i++;
			continue;
		}
		if (p[i] == '-' || avjson_isdigit(p[i])) {
			/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
			start = i;
			if (p[i] == '-')
				i++;
			if (i >= len || !avjson_isdigit(p[i]))
				goto badnum;
			while (i < len && avjson_isdigit(p[i]))
				i++;
			if (i < len && p[i] == '.') {
				if (++i >= len || !avjson_isdigit(p[i]))
					goto badnum;
				while (i < len && avjson_isdigit(p[i]))
					i++;
			}
			if (i < len && (p[i] == 'e' || p[i] == 'E')) {
				if (++i < len && (p[i] == '+' || p[i] == '-'))
					i++;
				if (i >= len || !avjson_isdigit(p[i]))
					goto badnum;
				while (i < len && avjson_isdigit(p[i]))
					i++;
			}
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

/* Parse exactly one JSON value from buf[0..len). */
struct json_object *
avjson_parse(const char *buf, size_t len, struct avjson_error *err)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (len > INT32_MAX) {
		avjson_fail(err, 0, "text too large");
		return NULL;
	}
	if (avjson_prescan((const unsigned char *)buf, len, err) != 0)
		return NULL;
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
