/*
 * avjson.h: the one JSON codec (json-c with our limits and options).
 *
 * Parsing is strict (RFC 8259, no trailing garbage, no NUL bytes) and
 * depth-limited; an error names the byte offset and the reason, which
 * gatewayd returns in its 400 and collectord in its reply lines.
 * Serialising is compact and does not escape '/'.
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

/* Compact text of obj; valid until obj changes or is freed. *len set if non-NULL. */
const char *avjson_str(struct json_object *obj, size_t *len);

/* Append JSON string literal of s (with quotes, escaped) to buf; returns bytes needed. */
size_t avjson_quote(char *buf, size_t cap, const char *s);
/* Complete literal of the longest prefix of s (whole UTF-8 chars) fitting cap; returns length. */
size_t avjson_quote_cut(char *buf, size_t cap, const char *s);

#endif
