/*
 * fuzz_event.c: the JSON codec and the validator under hostile input,
 * and the request path of collectord (proto_parse_event) with them.
 *
 * Whatever parses must serialise and parse back to the same text, be
 * UTF-8 as RFC 3629 has it (json-c's own check takes overlong forms and
 * encoded surrogates; avjson_prescan must not), and validate the same
 * way; validation must never write more errors than asked for; error
 * strings must be terminated; a valid event's canonical form must be
 * valid and stay put. avjson_quote must write what json-c writes for the
 * input as a string.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * 1 if s[0..len) is well-formed UTF-8 (RFC 3629 table 3-7): the oracle
 * avjson_parse is held to, written apart from it on purpose.
 */
static int
fuzz_utf8_ok(const unsigned char *s, size_t len)
{
	unsigned char	lo, hi;
	size_t		i = 0, n, k;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 3;
			lo = s[i] == 0xe0 ? 0xa0 : lo;
			hi = s[i] == 0xed ? 0x9f : hi;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 4;
			lo = s[i] == 0xf0 ? 0x90 : lo;
			hi = s[i] == 0xf4 ? 0x8f : hi;
		} else
			return 0;
		if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < n; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		}
		i += n;
	}
	return 1;
}

/* The input as a C string, quoted by us and by json-c: the same bytes. */
static void
fuzz_quote(const uint8_t *data, size_t size)
{
	struct json_object	*o, *back;
	const char		*want;
	char			*str, *buf, cut[80];
	size_t			 len, wlen, n;

	str = strndup((const char *)data, size);
	o = json_object_new_string(str);
	want = avjson_str(o, &wlen);
	len = avjson_quote(NULL, 0, str);
	buf = malloc(len + 1);
	if (len != wlen || avjson_quote(buf, len + 1, str) != len ||
	    memcmp(buf, want, wlen + 1) != 0)
		abort();
	/* A cut literal of UTF-8 text is JSON for a prefix of it. */
	n = avjson_quote_cut(cut, 3 + size % (sizeof cut - 3), str);
	if (fuzz_utf8_ok((const unsigned char *)str, strlen(str))) {
		if ((back = avjson_parse(cut, n, NULL)) == NULL ||
		    strncmp(json_object_get_string(back), str,
		    (size_t)json_object_get_string_len(back)) != 0)
			abort();
		json_object_put(back);
	}
	free(buf);
	json_object_put(o);
	free(str);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o, *o2, *ev;
	struct evt_error	 errs[4];
	struct avjson_error	 jerr;
	enum proto_cmd		 cmd;
	char			 line[512], reply[PROTO_REPLY_MAX + 1], *text;
	const char		*s;
	size_t			 len;
	int			 n, n2, i;

	if ((o = avjson_parse((const char *)data, size, &jerr)) == NULL) {
		if (jerr.offset > size || memchr(jerr.msg, '\0', sizeof jerr.msg) == NULL)
			abort();
	} else {
		s = avjson_str(o, &len);
		if (!fuzz_utf8_ok((const unsigned char *)s, len))
			abort();
		text = strndup(s, len);
		if ((o2 = avjson_parse(text, len, NULL)) == NULL)
			abort();
		if (strcmp(avjson_str(o2, NULL), text) != 0)
			abort();
		memset(errs, 0, sizeof errs);
		n = evt_validate(o, 0, errs, 2);
		n2 = evt_validate(o2, 0, NULL, 0);
		if (n != n2 || n < 0)
			abort();
		/* The third slot was not asked for and must be untouched. */
		if (errs[2].type != NULL || errs[2].field[0] != '\0')
			abort();
		for (i = 0; i < n && i < 2; i++) {
			if (errs[i].type == NULL ||
			    evt_error_str(&errs[i], line, sizeof line) == 0)
				abort();
		}
		n = evt_validate(o, EVT_ALLOW_ORIGIN, errs, 4);
		/*
		 * A valid event has a canonical form, still valid, that stays
		 * the same when made again; what has none is left as it was.
		 */
		i = evt_canonical(o, &s);
		if (i != 0 && (n == 0 || strcmp(avjson_str(o, NULL), text) != 0))
			abort();
		if (i == 0 && n == 0 &&
		    evt_validate(o, EVT_ALLOW_ORIGIN, NULL, 0) != 0)
			abort();
		if (i == 0) {
			free(text);
			text = strdup(avjson_str(o, NULL));
			if (evt_canonical(o, &s) != 0 ||
			    strcmp(avjson_str(o, NULL), text) != 0)
				abort();
		}
		json_object_put(o2);
		json_object_put(o);
		free(text);
	}
	switch (proto_parse_event((const char *)data, size, 0, &ev, &cmd, line,
	    sizeof line)) {
	case PROTO_OK:
		if ((ev == NULL) == (cmd == PROTO_CMD_NONE))
			abort();
		json_object_put(ev);
		break;
	default:
		if (ev != NULL || strlen(line) >= sizeof line)
			abort();
		/* The reply built from it is one valid JSON line. */
		len = proto_reply_err(reply, sizeof reply, PROTO_VALIDATION, line);
		if (len == 0 || reply[len - 1] != '\n' ||
		    memchr(reply, '\n', len - 1) != NULL)
			abort();
		if ((o = avjson_parse(reply, len - 1, NULL)) == NULL)
			abort();
		json_object_put(o);
		break;
	}
	fuzz_quote(data, size);
	return 0;
}
