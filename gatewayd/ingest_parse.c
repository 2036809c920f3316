/*
 * ingest_parse.c: from request body to a batch of valid events, or to the
 * answer that says precisely why not (400 malformed / count mismatch,
 * 422 with FastAPI-style detail). Validation is lib's evt_validate; this
 * file only maps its errors to `loc` paths and decides the batch shape.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "ingest.h"
#include "uuidstr.h"
#include "xmalloc.h"

/* {"detail": formatted message} */
struct json_object *
ingest_error(const char *fmt, ...)
{
	struct json_object	*o;
	va_list			 ap;
	char			 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(buf));
	return o;
}

/* One detail entry {"loc":[...],"msg":…,"type":…}; loc is taken over. */
static struct json_object *
ingest_entry(struct json_object *loc, const char *msg, const char *type)
{
	struct json_object	*e;

	e = json_object_new_object();
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(type));
	return e;
}

/* Append the dotted field path to loc, one element per component. */
static void
ingest_loc_path(struct json_object *loc, const char *field)
{
	const char	*p, *dot;

	for (p = field; *p != '\0'; p = dot + 1) {
		dot = strchr(p, '.');
		if (dot == NULL) {
			json_object_array_add(loc, json_object_new_string(p));
			break;
		}
		if (dot > p)
			json_object_array_add(loc,
			    json_object_new_string_len(p, (int)(dot - p)));
	}
}

/* Append one detail entry per validation error of one event. */
int
ingest_detail_add(struct json_object *detail, int index,
    const struct evt_error *errs, int nerr)
{
	struct json_object	*loc;
	int			 i;

	for (i = 0; i < nerr; i++) {
		loc = json_object_new_array();
		if (index >= 0) {
			json_object_array_add(loc,
			    json_object_new_string("events"));
			json_object_array_add(loc, json_object_new_int(index));
		} else
			json_object_array_add(loc,
			    json_object_new_string("body"));
		ingest_loc_path(loc, errs[i].field);
		json_object_array_add(detail, ingest_entry(loc, errs[i].msg,
		    errs[i].type != NULL ? errs[i].type : "value_error"));
	}
	return nerr;
}

/* A 422 answer with one batch-level entry at loc [where]. */
static struct json_object *
ingest_shape_error(const char *where, const char *msg, const char *type)
{
	struct json_object	*o, *detail, *loc;

	loc = json_object_new_array();
	json_object_array_add(loc, json_object_new_string("body"));
	if (where != NULL)
		json_object_array_add(loc, json_object_new_string(where));
	detail = json_object_new_array();
	json_object_array_add(detail, ingest_entry(loc, msg, type));
	o = json_object_new_object();
	json_object_object_add(o, "detail", detail);
	return o;
}

/*
 * Record in errs[0] that ev carries metadata.origin, if it does. collectord
 * stamps origin from the peer credentials of its socket, so it is worth
 * something only from a collectord that proved itself; from anyone else
 * it would be a forged statement about some other process.
 */
static int
ingest_forged_origin(struct json_object *ev, struct evt_error *errs)
{
	struct json_object	*meta;

	if (!json_object_is_type(ev, json_type_object) ||
	    !json_object_object_get_ex(ev, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object) ||
	    !json_object_object_get_ex(meta, "origin", NULL))
		return 0;
	snprintf(errs[0].field, sizeof errs[0].field, "metadata.origin");
	snprintf(errs[0].msg, sizeof errs[0].msg, "origin may only be set by "
	    "an authenticated collectord (one that sends an ingest token)");
	errs[0].type = "extra_forbidden";
	return 1;
}

/*
 * Validate every event (all of them, so the client learns every problem
 * at once, up to INGEST_MAX_DETAIL entries). 0 if all valid, else 422
 * with *reply.
 */
static int
ingest_validate(struct ingest_batch *b, int collectord,
    struct json_object **reply)
{
	struct evt_error	 errs[INGEST_MAX_ERRS];
	struct json_object	*detail = NULL, *o;
	size_t			 i, bad = 0;
	int			 nerr, shown = 0, left;

	for (i = 0; i < b->n; i++) {
		/* Refused with gatewayd's reason, not the validator's. */
		nerr = collectord ? 0 : ingest_forged_origin(b->evs[i], errs);
		nerr += evt_validate(b->evs[i], EVT_ALLOW_ORIGIN, errs + nerr,
		    INGEST_MAX_ERRS - nerr);
		if (nerr == 0)
			continue;
		bad++;
		if (detail == NULL)
			detail = json_object_new_array();
		if (nerr > INGEST_MAX_ERRS)
			nerr = INGEST_MAX_ERRS;
		left = INGEST_MAX_DETAIL - shown;
		if (left <= 0)
			continue;
		if (nerr > left)
			nerr = left;
		shown += ingest_detail_add(detail, b->single ? -1 : (int)i,
		    errs, nerr);
	}
	if (detail == NULL)
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "detail", detail);
	json_object_object_add(o, "rejected", json_object_new_int64(
	    (int64_t)b->n));
	json_object_object_add(o, "invalid", json_object_new_int64(
	    (int64_t)bad));
	*reply = o;
	return 422;
}

/* Parse and validate a request body into b, or say why not. */
int
ingest_parse(const char *body, size_t len, long long count, int collectord,
    struct ingest_batch *b, struct json_object **reply)
{
	struct avjson_error	 jerr;
	struct json_object	*root, *events, *id = NULL;
	char			 uuid[UUIDSTR_LEN];
	size_t			 i;

	memset(b, 0, sizeof *b);
	*reply = NULL;

	root = avjson_parse(body, len, &jerr);
	if (root == NULL) {
		*reply = ingest_error("malformed JSON at byte %zu: %s",
		    jerr.offset, jerr.msg);
		json_object_object_add(*reply, "position",
		    json_object_new_int64((int64_t)jerr.offset));
		return 400;
	}
	b->root = root;
	if (!json_object_is_type(root, json_type_object)) {
		*reply = ingest_shape_error(NULL,
		    "Input should be an object (a batch or one event)",
		    "object_type");
		goto fail422;
	}

	if (json_object_object_get_ex(root, "events", &events)) {
		/* collectord's batch: {events:[…], batch_id, timestamp}. */
		if (!json_object_is_type(events, json_type_array)) {
			*reply = ingest_shape_error("events",
			    "Input should be a valid list", "list_type");
			goto fail422;
		}
		if (json_object_object_get_ex(root, "batch_id", &id) &&
		    !json_object_is_type(id, json_type_string)) {
			*reply = ingest_shape_error("batch_id",
			    "Input should be a valid string", "string_type");
			goto fail422;
		}
		/* "\u0000" would cut the batch_id echoed in the answer. */
		if (id != NULL && strlen(json_object_get_string(id)) !=
		    (size_t)json_object_get_string_len(id)) {
			*reply = ingest_shape_error("batch_id",
			    "String should not contain NUL", "string_type");
			goto fail422;
		}
		b->n = json_object_array_length(events);
		b->evs = xcalloc(b->n ? b->n : 1, sizeof *b->evs);
		for (i = 0; i < b->n; i++)
			b->evs[i] = json_object_array_get_idx(events, i);
		if (id != NULL && json_object_is_type(id, json_type_string))
			b->batch_id = xstrdup(json_object_get_string(id));
	} else {
		/* One event object on its own. */
		b->single = 1;
		b->n = 1;
		b->evs = xcalloc(1, sizeof *b->evs);
		b->evs[0] = root;
	}
	if (b->batch_id == NULL)
		b->batch_id = xstrdup(uuidstr_v4(uuid));

	if (count >= 0 && (size_t)count != b->n) {
		*reply = ingest_error("X-Event-Count is %lld but the body "
		    "holds %zu events", count, b->n);
		ingest_batch_free(b);
		return 400;
	}
	if (ingest_validate(b, collectord, reply) != 0) {
		ingest_batch_free(b);
		return 422;
	}
	return 0;

fail422:
	ingest_batch_free(b);
	return 422;
}

/* Free what ingest_parse put in b. */
void
ingest_batch_free(struct ingest_batch *b)
{
	if (b->root != NULL)
		json_object_put(b->root);
	free(b->evs);
	free(b->batch_id);
	memset(b, 0, sizeof *b);
}
