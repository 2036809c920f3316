/*
 * fuzz_event.c: the JSON codec and the validator under hostile input,
 * and the request path of collectord (proto_parse_event) with them.
 *
 * Whatever parses must serialise and parse back to the same text and
 * validate the same way; validation must never write more errors than
 * asked for; error strings must be terminated.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
	return 0;
}
