/*
 * avjson.h: the one JSON codec (json-c with our limits and options).
 *
 * Parsing is strict (RFC 8259, no trailing garbage, no NUL bytes, no
 * "\u0000" in member names) and depth-limited; an error names the byte
 * offset and the reason, which gatewayd returns in its 400 and collectord
 * in its reply lines. Every number keeps its text, so serialising writes
 * it as it came; avjson_num_check says whether a store can keep its
 * value exactly. Serialising is compact and does not escape '/'.
 */
#ifndef AV_AVJSON_H
#define AV_AVJSON_H

#include <stddef.h>
#include <json-c/json.h>

/* Deepest nesting accepted by avjson_parse (event + metadata depth + slack). */
#define AVJSON_MAX_DEPTH 32

struct avjson_error {
	size_t	offset;		/* byte offset of the problem */
	char	msg[128];	/* "unexpected character", "NUL byte", … */
};

/*
 * Parse exactly one JSON value from buf[0..len). Returns a new reference,
 * or NULL with err filled (err may be NULL).
 */
struct json_object *avjson_parse(const char *buf, size_t len,
    struct avjson_error *err);

/*
 * Whether a number's value is one every store keeps exactly: a signed
 * 64-bit integer, or a double that is finite and not a nonzero number
 * rounded to 0. Anything else is AVJSON_NUM_EXACT too, being no number.
 */
enum avjson_num {
	AVJSON_NUM_EXACT,
	AVJSON_NUM_INT_RANGE,	/* integer outside the signed 64-bit range */
	AVJSON_NUM_NEG_ZERO,	/* the integer -0 */
	AVJSON_NUM_OVERFLOW,	/* past the range of a double (1e400) */
	AVJSON_NUM_UNDERFLOW,	/* nonzero, but nearer 0 than any double (1e-400) */
};

/* How o stands; numbers from avjson_parse or avjson_new_number, or made in code. */
enum avjson_num avjson_num_check(struct json_object *o);

/* New number for JSON number text s ("-12", "2.50"), kept as avjson_parse keeps it. */
struct json_object *avjson_new_number(const char *s);

/* Compact text of obj; valid until obj changes or is freed. *len set if non-NULL. */
const char *avjson_str(struct json_object *obj, size_t *len);

/* Append JSON string literal of s (with quotes, escaped) to buf; returns bytes needed. */
size_t avjson_quote(char *buf, size_t cap, const char *s);
/* Complete literal of the longest prefix of s (whole UTF-8 chars) fitting cap; returns length. */
size_t avjson_quote_cut(char *buf, size_t cap, const char *s);

#endif
