/*
 * door.h: gatewayd's front door (door.c). gatewayd accepts its own
 * connections and reads each request head before libwebsockets sees it,
 * so that every request that lws would drop in silence (a head over its
 * buffer, too many fields or arguments, a NUL in the target, no Host)
 * gets a status and a JSON body, and so that accepting can back off when
 * descriptors run out and be bounded per client address.
 */
#ifndef GW_DOOR_H
#define GW_DOOR_H

#include <stddef.h>

struct gw;
struct lws;
struct lws_protocols;

/* Header fields and query arguments a request may have. */
#define DOOR_MAX_FIELDS	64
#define DOOR_MAX_ARGS	24
/* Longest request line (method, target, version). */
#define DOOR_MAX_LINE	8192

/*
 * Listen on addr:port (addr "" = every address) and serve the door on the
 * context's vhost. 0, or -1 with *cause.
 */
int door_open(struct gw *gw, const char *addr, int port, char **cause);
/* Stop accepting (SIGTERM); connections already in keep going. */
void door_close(struct gw *gw);
/* Free the door once lws_context_destroy has destroyed every connection. */
void door_free(struct gw *gw);
/* The door's protocol, for the vhost's protocol list. */
void door_protocol(struct lws_protocols *p);
/*
 * A connection is being destroyed (LWS_CALLBACK_WSI_DESTROY, which lws
 * sends to the first protocol): give back its place in its address's
 * count.
 */
void door_release(struct lws *wsi);

#endif
