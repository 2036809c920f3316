/*
 * proto.c: reply lines and request parsing of the local protocol
 * (agentvis-events(7), LOCAL WIRE PROTOCOL), shared by collectord
 * (server) and hookcli (client).
 *
 * Reply lines are written by hand into a caller's buffer: collectord
 * answers every request line and building a json-c object for each
 * "{"ok":true,…}" would cost more than the rest of the ack. Every string
 * in them goes through avjson_quote or avjson_quote_cut, so the text is
 * json-c's; the detail of an error is cut at a character boundary so that
 * a reply line is always valid JSON and never longer than PROTO_REPLY_MAX.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "avjson.h"
#include "proto.h"

static const char *const proto_err_names[] = {
	[PROTO_OK] = "ok",
	[PROTO_VALIDATION] = "validation",
	[PROTO_TOO_LARGE] = "too_large",
	[PROTO_BUSY] = "busy",
	[PROTO_INTERNAL] = "internal",
};
#define PROTO_NERR ((int)(sizeof proto_err_names / sizeof proto_err_names[0]))

/* Wire name of an error code. */
const char *
proto_err_name(enum proto_err e)
{
	if ((int)e < 0 || (int)e >= PROTO_NERR)
		return "internal";
	return proto_err_names[e];
}

/* Error code of a wire name, or -1. */
int
proto_err_lookup(const char *name)
{
	int	i;

	for (i = 1; i < PROTO_NERR; i++) {
		if (strcmp(proto_err_names[i], name) == 0)
			return i;
	}
	return -1;
}

/* {"ok":true,"event_id":"…"}\n */
size_t
proto_reply_ok(char *buf, size_t cap, const char *event_id)
{
	static const char	 head[] = "{\"ok\":true,\"event_id\":";
	size_t			 n = sizeof head - 1, q;

	if (cap < n + 6) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	memcpy(buf, head, n);
	/* Ids are ours (UUIDs), so cutting never happens in practice. */
	q = avjson_quote_cut(buf + n, cap - n - 2, event_id);
	n += q;
	buf[n++] = '}';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* {"ok":false,"error":"…","detail":"…"}\n, detail cut to fit. */
size_t
proto_reply_err(char *buf, size_t cap, enum proto_err e, const char *detail)
{
	static const char	 head[] = "{\"ok\":false,\"error\":";
	static const char	 mid[] = ",\"detail\":";
	const char		*name = proto_err_name(e);
	size_t			 n = sizeof head - 1, q;

	if (cap > PROTO_REPLY_MAX + 1)
		cap = PROTO_REPLY_MAX + 1;
	q = avjson_quote(NULL, 0, name);
	/* Room for the shortest detail "" and "}\n" plus the NUL. */
	if (n + q + sizeof mid - 1 + 5 > cap) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	memcpy(buf, head, n);
	n += avjson_quote(buf + n, q + 1, name);
	memcpy(buf + n, mid, sizeof mid - 1);
	n += sizeof mid - 1;
	n += avjson_quote_cut(buf + n, cap - n - 2, detail != NULL ? detail : "");
	buf[n++] = '}';
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* Copy a string member of obj into dst (cut to fit); 1 if it was there. */
static int
proto_copy_str(struct json_object *obj, const char *key, char *dst, size_t cap)
{
	struct json_object	*f;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &f) ||
	    !json_object_is_type(f, json_type_string))
		return 0;
	snprintf(dst, cap, "%s", json_object_get_string(f));
	return 1;
}

/* Parse one reply line; 0, or -1 when it is not a reply object. */
int
proto_reply_parse(const char *line, size_t len, struct proto_reply *r)
{
	struct json_object	*obj, *ok;
	char			 name[32];
	int			 e;

	memset(r, 0, sizeof *r);
	if ((obj = avjson_parse(line, len, NULL)) == NULL)
		return -1;
	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		json_object_put(obj);
		return -1;
	}
	r->body = obj;
	r->ok = json_object_get_boolean(ok);
	if (r->ok) {
		r->err = PROTO_OK;
		proto_copy_str(obj, "event_id", r->event_id, sizeof r->event_id);
		return 0;
	}
	/* An error we do not know (a newer collectord) still is an error. */
	proto_copy_str(obj, "error", name, sizeof name);
	e = proto_err_lookup(name);
	r->err = e == -1 ? PROTO_INTERNAL : (enum proto_err)e;
	proto_copy_str(obj, "detail", r->detail, sizeof r->detail);
	return 0;
}

/* Which control line obj is, if any. */
enum proto_cmd
proto_cmd_of(struct json_object *obj)
{
	struct json_object	*cmd;
	const char		*s;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "cmd", &cmd))
		return PROTO_CMD_NONE;
	if (!json_object_is_type(cmd, json_type_string))
		return PROTO_CMD_UNKNOWN;
	s = json_object_get_string(cmd);
	if (strcmp(s, "stats") == 0)
		return PROTO_CMD_STATS;
	if (strcmp(s, "ping") == 0)
		return PROTO_CMD_PING;
	return PROTO_CMD_UNKNOWN;
}

/* Parse and validate one request line. */
enum proto_err
proto_parse_event(const char *line, size_t len, unsigned flags,
    struct json_object **ev, enum proto_cmd *cmd, char *detail, size_t dlen)
{
	struct json_object	*obj;
	struct avjson_error	 jerr;
	struct evt_error	 errs[1];
	size_t			 n;
	int			 count;

	*ev = NULL;
	*cmd = PROTO_CMD_NONE;
	if (dlen > 0)
		detail[0] = '\0';
	/* The line reader drops these already; this keeps the limit true alone. */
	if (len > EVT_LINE_MAX) {
		snprintf(detail, dlen, "line longer than %d bytes", EVT_LINE_MAX);
		return PROTO_TOO_LARGE;
	}
	if ((obj = avjson_parse(line, len, &jerr)) == NULL) {
		snprintf(detail, dlen, "invalid JSON at offset %zu: %s",
		    jerr.offset, jerr.msg);
		return PROTO_VALIDATION;
	}
	if ((*cmd = proto_cmd_of(obj)) != PROTO_CMD_NONE) {
		json_object_put(obj);
		if (*cmd == PROTO_CMD_UNKNOWN) {
			snprintf(detail, dlen, "cmd: unknown command");
			return PROTO_VALIDATION;
		}
		return PROTO_OK;
	}
	if ((count = evt_validate(obj, flags, errs, 1)) > 0) {
		json_object_put(obj);
		n = evt_error_str(&errs[0], detail, dlen);
		if (count > 1 && n < dlen)
			snprintf(detail + n, dlen - n, " (and %d more)", count - 1);
		return PROTO_VALIDATION;
	}
	*ev = obj;
	return PROTO_OK;
}
