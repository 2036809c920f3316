/*
 * read.h: the read endpoints (read.c). Each answers one request whose
 * token and rate routes.c has checked: 0 or -1 (close).
 */
#ifndef GW_READ_H
#define GW_READ_H

struct gw;
struct lws;
struct access_who;

int read_events(struct gw *gw, struct lws *wsi, const struct access_who *who);
int read_agents(struct gw *gw, struct lws *wsi, const struct access_who *who);
int read_stats(struct gw *gw, struct lws *wsi, const struct access_who *who);
int read_health(struct gw *gw, struct lws *wsi, const struct access_who *who);
int read_metrics(struct gw *gw, struct lws *wsi,
    const struct access_who *who);
int read_connections(struct gw *gw, struct lws *wsi,
    const struct access_who *who);
int read_stream_http(struct gw *gw, struct lws *wsi,
    const struct access_who *who);

#endif
