/*
 * ingest.h: POST /api/v1/events/ingest.
 *
 * ingest_parse.c reads the body: pure functions (no lws, no store) so the
 * unit tests and the fuzzer can drive them. A body either becomes a batch
 * of valid events, or an HTTP status with the JSON answer that explains
 * it (400 with the byte offset of malformed JSON, 422 with FastAPI-style
 * detail naming every bad field of every bad event). A batch is all or
 * nothing.
 *
 * ingest.c is the request's state machine, called by routes.c: headers,
 * body, the hand-over to the writer, the answer once committed.
 */
#ifndef GW_INGEST_H
#define GW_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "event.h"

struct gw;
struct lws;
struct ingest_wait;

/* An ingest request's state, in its connection's per-transaction data. */
struct ingest_req {
	char		*body;
	size_t		 len, cap;
	long long	 count;		/* X-Event-Count, -1 = absent */
	int		 ingest;	/* collecting an ingest body */
	struct ingest_wait *wait;	/* waiting for the writer */
	size_t		 want;		/* Content-Length */
	int64_t		 deadline;	/* the whole body by then (ts_mono_us) */
	size_t		 promised;	/* counted in gw->receiving */
	int		 collectord;	/* showed an ingest token */
};

/*
 * The steps of one request (ingest.c); each returns 0 to go on or -1 to
 * close the connection. start: its headers are in and its token and rate
 * passed; body: a piece of the body; finish: the body is complete;
 * reply: the connection is writable.
 */
int ingest_start(struct gw *gw, struct lws *wsi, struct ingest_req *r);
int ingest_body(struct gw *gw, struct lws *wsi, struct ingest_req *r,
    const void *in, size_t len);
int ingest_finish(struct gw *gw, struct lws *wsi, struct ingest_req *r);
int ingest_reply(struct gw *gw, struct lws *wsi, struct ingest_req *r);
/* Is r's answer ready to write? */
int ingest_answer_ready(const struct ingest_req *r);
/* The connection closed (closed) or moved on: forget r's request. */
void ingest_wait_drop(struct gw *gw, struct lws *wsi, struct ingest_req *r,
    int closed);
/* 1 if a request came pipelined behind an unanswered ingest: close. */
int ingest_pipelined(struct gw *gw, struct lws *wsi);
/* The body is done with, read or not: free it and what it promised. */
void ingest_body_done(struct gw *gw, struct ingest_req *r);
/* Count an answer the route gave an ingest request (401, 429, …). */
void ingest_count(struct gw *gw, int status);

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
 * header was absent). collectord says the sender proved it is one: only
 * then may an event carry metadata.origin. Returns 0 with b filled (free
 * it with ingest_batch_free), or the HTTP status (400, 422) with *reply
 * set to the answer's JSON object (caller puts it).
 */
int ingest_parse(const char *body, size_t len, long long count,
    int collectord, struct ingest_batch *b, struct json_object **reply);
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
