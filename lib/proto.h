/*
 * proto.h: the local protocol between hookcli and collectord
 * (agentvis-events(7), LOCAL WIRE PROTOCOL).
 *
 * Requests are NDJSON lines: an event, or a control line {"cmd":"stats"} /
 * {"cmd":"ping"}. Every request line gets exactly one reply line, in order:
 *   {"ok":true,"event_id":"…"}
 *   {"ok":false,"error":"validation","detail":"agent_id: missing"}
 *   {"ok":true,"pong":true}                     (ping)
 *   {"ok":true,"stats":{…}}                     (stats)
 */
#ifndef AV_PROTO_H
#define AV_PROTO_H

#include <stddef.h>
#include <json-c/json.h>
#include "event.h"

enum proto_err {
	PROTO_OK = 0,
	PROTO_VALIDATION,
	PROTO_TOO_LARGE,
	PROTO_BUSY,
	PROTO_INTERNAL,
};

enum proto_cmd {
	PROTO_CMD_NONE = 0,	/* not a control line: an event */
	PROTO_CMD_STATS,
	PROTO_CMD_PING,
	PROTO_CMD_UNKNOWN,	/* has "cmd" but not one we know */
};

/* Longest reply line we produce for errors (detail is cut to fit). */
#define PROTO_REPLY_MAX 512

/* "validation", "too_large", "busy", "internal". */
const char *proto_err_name(enum proto_err e);
/* Inverse of proto_err_name; -1 if unknown. */
int proto_err_lookup(const char *name);

/* Write {"ok":true,"event_id":"…"}\n into buf; returns length (< cap). */
size_t proto_reply_ok(char *buf, size_t cap, const char *event_id);
/* Write {"ok":false,"error":"…","detail":"…"}\n into buf; returns length. */
size_t proto_reply_err(char *buf, size_t cap, enum proto_err e, const char *detail);

/* A parsed reply line (hookcli side). */
struct proto_reply {
	int		 ok;
	enum proto_err	 err;		/* when !ok */
	char		 detail[256];	/* when !ok */
	char		 event_id[40];	/* when ok and present */
	struct json_object *body;	/* the whole reply object; caller puts it */
};

/* Parse one reply line; 0 or -1 when it is not a reply object. */
int proto_reply_parse(const char *line, size_t len, struct proto_reply *r);

/* Is obj a control line? Which one. */
enum proto_cmd proto_cmd_of(struct json_object *obj);

/*
 * Turn one request line into a validated event: parse JSON, refuse
 * control lines (returns PROTO_OK with *cmd set and *ev NULL), validate
 * with flags. On error returns the code and writes a one-line detail
 * ("agent_id: missing"; "invalid JSON at offset 12: …"). On success *ev
 * is a new reference. A line with an unknown "cmd" is PROTO_VALIDATION
 * with *cmd = PROTO_CMD_UNKNOWN.
 */
enum proto_err proto_parse_event(const char *line, size_t len, unsigned flags,
    struct json_object **ev, enum proto_cmd *cmd, char *detail, size_t dlen);

#endif
