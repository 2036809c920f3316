/*
 * gateway.h: gatewayd's shared state and the modules that work on it
 * (doc/ARCHITECTURE.md has the whole pipeline, threads and guarantees).
 *
 * gatewayd runs one libwebsockets context with lws's own poll loop on one
 * thread: the HTTP API (routes.c, the table of endpoints and what each
 * needs; ingest.c; read.c; http.c, answers and query arguments), the
 * WebSocket stream and its connection manager (stream.c), who may ask
 * what (access.c: tokens, Host, rate limits), the configuration
 * (gwconf.c) and the counters behind /metrics (metrics.c) all share the
 * one struct gw below and never need a lock.
 *
 * One other thread touches gatewayd's work, the store writer (writer.h),
 * whatever the store: ingest batches are parsed and flattened here
 * (store_batch_new), committed there (in submission order, several per
 * transaction when they queue up), and come back here to be counted,
 * broadcast in seq order and answered, so a slow commit never stalls the
 * stream. (SQLite's checkpointer is a thread of the store's own,
 * store/sqlite_ckpt.c.) The
 * store has its own lock, so queries on this thread see committed
 * batches only; some of those may not be broadcast yet. gw->bcast_seq is
 * the last seq broadcast: a new client goes live after it, and a `since`
 * replay that read further (stream.c) skips what it already sent when the
 * broadcast comes.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include <json-c/json.h>

#include "conf.h"
#include "event.h"
#include "store/store.h"

struct lws;
struct lws_context;
struct lws_vhost;
struct ratelimit;
struct door;

/* Settings of gatewayd.conf; the table in gwconf.c fills it. */
struct gw_config {
	char			*listen;	/* ADDR:PORT */
	char			*store;		/* sqlite:PATH | memory */
	char			*www;		/* dashboard directory */
	char			*pidfile;
	struct conf_list	 ingest_tokens;	/* TOKEN ... */
	struct conf_list	 user_tokens;	/* TOKEN:USER[:PROJECT] ... */
	struct conf_list	 admin_tokens;	/* TOKEN ... */
	char			*ingest_token_file;
	char			*user_token_file;
	long long		 max_body_bytes;
	long long		 max_ingest_backlog; /* bytes, 0 = none */
	long long		 max_receiving;	/* bytes of bodies coming in, 0 = none */
	long long		 body_timeout;	/* ms for a whole ingest body */
	long long		 max_response_bytes; /* a page of /api/v1/events */
	long long		 max_ws_message_bytes;
	long long		 max_connections;
	long long		 max_conns_per_addr; /* 0 = no limit */
	long long		 max_head_bytes; /* request line and fields */
	long long		 head_timeout;	/* ms for a connection's first head */
	long long		 ws_queue_len;
	long long		 rate_limit;	/* requests/s per token and address */
	long long		 rate_burst;
	long long		 ping_interval;	/* ms */
	long long		 hangup_timeout; /* ms */
	struct conf_list	 notify_types;
	struct conf_list	 allow_origins;	/* browser origins, no tokens */
	long long		 retain_events;
	long long		 retain_days;
	long long		 memory_per_type;
	int			 insecure;	/* also --insecure */
};

/* What a token is good for (GW_TOK_NONE: a route that needs none). */
enum gw_tokkind {
	GW_TOK_NONE,
	GW_TOK_INGEST,
	GW_TOK_USER,
	GW_TOK_ADMIN,
};

/* One configured token. */
struct gw_token {
	char		*token;
	enum gw_tokkind	 kind;
	char		*user;		/* GW_TOK_USER: the user it speaks for */
	char		*project;	/* GW_TOK_USER: scope, or NULL */
};

/* All configured tokens (access.c). */
struct gw_auth {
	struct gw_token	*v;
	size_t		 n;
	size_t		 ningest, nuser, nadmin;
};

/* HTTP status codes counted for /metrics (index by gw_status_slot). */
#define GW_NSTATUS 19
extern const int gw_status_codes[GW_NSTATUS];

/* Buckets of the latency histograms, in seconds. */
#define GW_NLATENCY 12
extern const double gw_latency_bounds[GW_NLATENCY];

/* A latency histogram (Prometheus buckets are cumulative when written). */
struct gw_hist {
	uint64_t	bucket[GW_NLATENCY + 1];	/* last = +Inf */
	double		sum;				/* seconds */
	uint64_t	count;
};

/* Counters behind /metrics and /api/v1/events/stats. */
struct gw_metrics {
	uint64_t	ingest_requests[GW_NSTATUS];
	uint64_t	http_responses[GW_NSTATUS];	/* every answer */
	uint64_t	ingest_events;		/* stored */
	uint64_t	ingest_duplicates;
	uint64_t	ingest_rejected;	/* events in refused batches */
	uint64_t	ingest_by_type[EVT__COUNT];
	uint64_t	ws_connections_total;
	uint64_t	ws_messages_sent;
	uint64_t	ws_queue_drops;		/* messages dropped by lagging */
	uint64_t	ws_lagged;		/* connections cut for lagging */
	uint64_t	ws_refused;
	struct gw_hist	store_latency;		/* per store transaction */
	struct gw_hist	ingest_latency;		/* body read -> answer ready */
	uint64_t	store_errors;
};

struct gw_conn;
TAILQ_HEAD(gw_connq, gw_conn);
struct ingest_wait;
TAILQ_HEAD(ingest_waitq, ingest_wait);
struct writer;

/* The daemon. One per process; everything hangs off it. */
struct gw {
	struct gw_config	 conf;
	const char		*conf_path;	/* NULL = built-in defaults */
	struct gw_auth		 auth;
	int			 auth_on;	/* reads need tokens (access.c) */
	int			 loopback;	/* listening on loopback only */
	unsigned		 notify_mask;	/* 1 << evt_type */
	struct store		*store;
	struct writer		*writer;	/* store_insert's thread */
	int64_t			 bcast_seq;	/* highest seq broadcast */
	struct ingest_waitq	 waits;		/* ingest requests awaiting commit */
	size_t			 backlog;	/* body bytes with the writer */
	size_t			 receiving;	/* bytes promised by bodies coming in */
	uint64_t		 busy;		/* 503s since the backlog was 0 */
	uint64_t		 next_wait;	/* id of the next one */
	struct ratelimit	*rl;
	struct lws_context	*ctx;
	struct lws_vhost	*vhost;
	struct door		*door;		/* accepts, checks first heads */
	unsigned		 fd_limit;	/* descriptors lws may use */
	struct gw_connq		 conns;
	size_t			 nconns;
	uint64_t		 next_conn;
	struct gw_metrics	 m;
	int64_t			 started_ms;
	/* Why the last commit failed ("" once one succeeds): health says it. */
	char			 store_error[256];
	int			 draining;	/* SIGTERM: closing clients */
	int			 stop;		/* leave the service loop */
};

/* The one instance (lws callbacks reach it through the context user). */
struct gw *gw_from_wsi(struct lws *wsi);

/* gwconf.c: the configuration table and loading. */
extern const struct conf_key gw_conf_keys[];
/* Defaults, then the file (if any). 0 or -1 with *cause. */
int gwconf_load(struct gw_config *c, const char *path, char **cause);
/* Free what the config holds. */
void gwconf_free(struct gw_config *c);
/* Split "ADDR:PORT" ("[v6]:port" too). 0 or -1 with *cause. */
int gwconf_listen(const char *spec, char *addr, size_t alen, int *port,
    char **cause);
/* 1 if addr names the loopback interface. */
int gwconf_is_loopback(const char *addr);
/* The name of "name[:port]" or "[v6]:port" into name. 0, or -1 if none fits. */
int gwconf_hostname(const char *hostport, char *name, size_t len);
/* 1 if "name[:port]" names a loopback host. */
int gwconf_is_loopback_host(const char *hostport);
/* The "name[:port]" of an http or https origin, or NULL. */
const char *gwconf_origin_hostport(const char *origin);
/* 1 if origin ("http[s]://name[:port]") has the host name of hostport. */
int gwconf_origin_host_is(const char *origin, const char *hostport);
/* Bit mask of event types from a list of names. 0 or -1 with *cause. */
int gwconf_typemask(const struct conf_list *l, unsigned *mask, char **cause);

/* access.c: tokens (the rest of access.c is in access.h). */
/* Build the token table from the config and its token files. */
int auth_load(struct gw_auth *a, const struct gw_config *c, char **cause);
/* 1 if the stream and the read API need tokens (see access.c). */
int auth_reads_need_token(const struct gw_auth *a, int loopback);
/* Free the table. */
void auth_free(struct gw_auth *a);
/* The token matching tok (constant time per entry), or NULL. */
const struct gw_token *auth_find(const struct gw_auth *a, const char *tok);

/* metrics.c */
/* Slot of an HTTP status in ingest_requests. */
int gw_status_slot(int status);
/* Count one observation of us microseconds in h. */
void metrics_observe(struct gw_hist *h, int64_t us);
/* Prometheus text of everything; caller frees. */
char *metrics_text(struct gw *gw, size_t *len);
/* The /api/v1/events/stats object; caller puts it. */
struct json_object *metrics_stats(struct gw *gw);

/* stream.c: the WebSocket protocol and the connection manager. */
/* The lws protocol callback of the stream (protocols[0]). */
int stream_callback(struct lws *wsi, int reason, void *user, void *in,
    size_t len);
/* Size of the stream's per-session data. */
size_t stream_pss_size(void);
/*
 * Send the events of store batch b that were stored (seq != 0) to every
 * matching client; evs are the objects b was made from.
 */
void stream_broadcast(struct gw *gw, struct json_object **evs, size_t n,
    struct store_batch *b);
/* JSON array describing every connection (connection manager view). */
struct json_object *stream_connections(struct gw *gw);
/* Begin shutdown: every client gets close 1001. */
void stream_drain(struct gw *gw);

/* routes.c: the HTTP API protocol callback and its per-session size. */
int routes_callback(struct lws *wsi, int reason, void *user, void *in,
    size_t len);
size_t routes_pss_size(void);

/* ingest.c (the rest is in ingest.h) */
/* Count, broadcast and answer every batch the writer has committed. */
void ingest_collect(struct gw *gw);
/* Forget ingest requests still waiting (at exit). */
void ingest_forget(struct gw *gw);

/* server.c */
/* Check the configuration (tokens, listen rule) into gw. 0 or -1. */
int server_prepare(struct gw *gw, char **cause);
/* Open the store and listen. 0 or -1 (logged). */
int server_start(struct gw *gw);
/* Close and open the store again (in the child of --daemonize). 0 or -1. */
int server_reopen_store(struct gw *gw);
/* Serve until SIGTERM/SIGINT, then close everything. The exit code. */
int server_loop(struct gw *gw);

#endif
