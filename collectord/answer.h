/*
 * answer.h: reading what the gateway said about a refused batch.
 *
 * A 422 body is FastAPI's {"detail":[{"loc":["events",i,…],"msg":…},…]}
 * (gatewayd(8), POST /api/v1/events/ingest); it comes from the network,
 * so anything may be in it:
 * entries without loc, indexes out of range or not integers, messages
 * that are not strings. Only entries naming an event we sent count.
 */
#ifndef CD_ANSWER_H
#define CD_ANSWER_H

#include <stddef.h>

/*
 * Parse a 422 body for a batch of nsent events. Returns an array of nsent
 * reasons (NULL where the answer names nothing for that event; free with
 * answer_free), or NULL when the body is not such an answer. *named is
 * the number of events named.
 */
char **answer_422(const char *body, size_t len, size_t nsent, size_t *named);
/* Free what answer_422 returned. */
void answer_free(char **reasons, size_t nsent);

#endif
