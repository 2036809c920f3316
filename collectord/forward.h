/*
 * forward.h: batches from the spool to gatewayd over HTTP/1.1 (the
 * answers as collectord(8) documents them under "Gateway answers").
 *
 * Up to max_inflight requests in flight, each on its own keep-alive
 * connection ("lanes"). When none is in flight a new batch goes out at
 * once; while one is, events gather for the next, and a further lane
 * starts only with a full batch (a backlog). Batches are consecutive runs
 * of the spool, released strictly in order. What each answer does:
 *
 *   2xx                    release the batch from the spool
 *   408, 429, 5xx, no      retry the same batch after the backoff
 *   answer, timeout        (backoff.h), Retry-After as a floor
 *   422                    events named by detail[].loc ["events", i, …]
 *                          go to the dead-letter file, the rest is resent
 *                          at once; a 422 naming none is handled as 400
 *   400, 413               send only the first half of what was sent, until
 *                          the one refused event goes alone: it is
 *                          dead-lettered (what was taken leaves the batch)
 *   401, 403, other 4xx,   an operator's error (token, URL): the batch
 *   3xx                    stays, retried every retry_max_ms, logged loudly
 *
 * Nothing is dropped for an outage, however long.
 */
#ifndef CD_FORWARD_H
#define CD_FORWARD_H

#include <stddef.h>

struct collectord;
struct fwd;

/* Create the forwarder (no connection is made yet). NULL with *cause. */
struct fwd *fwd_new(struct collectord *cd, char **cause);
/* Cancel what is in flight and free. */
void fwd_free(struct fwd *f);
/* New records are in the spool: send now if idle. */
void fwd_kick(struct fwd *f);
/* Events in the request in flight (0 when none). */
size_t fwd_inflight(const struct fwd *f);
/* 1 while a request is in flight or a retry is scheduled. */
int fwd_busy(const struct fwd *f);
/* The gateway or token changed (SIGHUP): use a new connection. */
void fwd_reconfigure(struct fwd *f);

#endif
