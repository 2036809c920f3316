/*
 * ingest.h: the body of POST /api/v1/events/ingest, parsed and validated.
 *
 * Pure functions (no lws, no store) so the unit tests and the fuzzer can
 * drive them: a body either becomes a batch of valid events, or an HTTP
 * status with the JSON answer that explains it (400 with the byte offset
 * of malformed JSON, 422 with FastAPI-style detail naming every bad field
 * of every bad event). A batch is all or nothing.
 */
#ifndef GW_INGEST_H
#define GW_INGEST_H

#include <stddef.h>
#include <json-c/json.h>

#include "event.h"

/* Most detail entries in one 422 answer (the rest are summarised). */
#define INGEST_MAX_DETAIL	100
/* Most errors reported per event. */
#define INGEST_MAX_ERRS		8

/* A parsed, valid batch. The events are borrowed from root. */
struct ingest_batch {
	struct json_object	 *root;
	struct json_object	**evs;
	size_t			  n;
	char			 *batch_id;	/* from the body, or made up */
	int			  single;	/* body was one event */
};

/*
 * Parse and validate body[0..len). count is X-Event-Count (-1 when the
 * header was absent). Returns 0 with b filled (free it with
 * ingest_batch_free), or the HTTP status (400, 422) with *reply set to
 * the answer's JSON object (caller puts it).
 */
int ingest_parse(const char *body, size_t len, long long count,
    struct ingest_batch *b, struct json_object **reply);
/* Free what ingest_parse put in b. */
void ingest_batch_free(struct ingest_batch *b);

/*
 * Append to detail (a JSON array) one entry per error of event index
 * (loc ["events", index, field path...]; index < 0 = a single-event body:
 * loc ["body", field path...]). Returns entries appended.
 */
int ingest_detail_add(struct json_object *detail, int index,
    const struct evt_error *errs, int nerr);

/* {"detail": msg} */
struct json_object *ingest_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
