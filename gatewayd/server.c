/*
 * server.c: the lws context (one vhost, lws's own poll loop), signals,
 * timers, SIGHUP reload and an orderly stop.
 *
 * Signal handlers only set a flag and wake the loop with
 * lws_cancel_service(); the loop acts on the flags between services.
 * The store writer thread wakes the loop the same way when it has
 * committed batches, and the loop collects them (ingest_collect).
 */
#include "config.h"

#include <sys/resource.h>

#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "daemon.h"
#include "door.h"
#include "gateway.h"
#include "log.h"
#include "proc.h"
#include "ratelimit.h"
#include "timefmt.h"
#include "writer.h"
#include "xmalloc.h"

#define SERVER_RETAIN_US	(60 * LWS_USEC_PER_SEC)
#define SERVER_DRAIN_US		(500 * 1000)
#define SERVER_RL_KEYS		65536

static volatile sig_atomic_t	 server_sig_term;
static volatile sig_atomic_t	 server_sig_hup;
static struct lws_context	*server_ctx;
static lws_sorted_usec_list_t	 server_sul_retain;
static lws_sorted_usec_list_t	 server_sul_stop;
/* lws keeps pointers to these for the context's life. */
static struct lws_protocols	 server_protocols[4];
static struct lws_http_mount	 server_m_www, server_m_api, server_m_metrics;
static lws_retry_bo_t		 server_retry;

/* MIME types lws does not know by itself. */
static const struct lws_protocol_vhost_options server_mime[] = {
	{ &server_mime[1], NULL, ".ico", "image/x-icon" },
	{ &server_mime[2], NULL, ".map", "application/json" },
	{ &server_mime[3], NULL, ".txt", "text/plain; charset=utf-8" },
	{ &server_mime[4], NULL, ".woff2", "font/woff2" },
	{ &server_mime[5], NULL, ".webmanifest", "application/manifest+json" },
	{ &server_mime[6], NULL, ".mjs", "text/javascript" },
	{ NULL, NULL, ".webp", "image/webp" },
};

/* The daemon reached from a connection. */
struct gw *
gw_from_wsi(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* Only set flags here; the loop does the work. */
static void
server_signal(int sig)
{
	if (sig == SIGHUP)
		server_sig_hup = 1;
	else
		server_sig_term = 1;
	if (server_ctx != NULL)
		lws_cancel_service(server_ctx);
}

/* The writer committed something: wake the service loop (any thread). */
static void
server_wake(void *arg)
{
	lws_cancel_service(arg);
}

/*
 * lws's log lines into ours. Its warnings are mostly what clients do to
 * it ("accept: ...", "Ran out of header data space"), so each kind goes
 * through a rate limit of its own: a kind is the line without its numbers
 * (descriptors, sizes, 0x addresses), hashed. A few kinds are followed at
 * once; a new one takes the slot of the kind seen least recently, and the
 * count held back there is lost. Only the service thread logs warnings.
 */
static void
server_lws_log(int level, const char *line)
{
	static struct {
		uint32_t		key;
		int64_t			seen;	/* 0: a free slot */
		struct log_limit	ll;
	}			 kinds[8];
	char			 buf[512];
	const char		*p;
	uint32_t		 key = 2166136261u;	/* FNV-1a */
	int64_t			 now = ts_mono_us();
	size_t			 n, i, k = 0;

	snprintf(buf, sizeof buf, "%s", line);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!(level & (LLL_ERR | LLL_WARN))) {
		log_debug("lws: %s", buf);
		return;
	}
	for (p = buf; *p != '\0'; p++) {
		if (p[0] == '0' && p[1] == 'x') {
			for (p += 2; isxdigit((unsigned char)*p); p++)
				continue;
			p--;
			continue;
		}
		if (isdigit((unsigned char)*p))
			continue;
		key = (key ^ (unsigned char)*p) * 16777619u;
	}
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (kinds[i].seen != 0 && kinds[i].key == key)
			break;
		if (kinds[i].seen < kinds[k].seen)
			k = i;
	}
	if (i == sizeof kinds / sizeof kinds[0]) {
		i = k;
		kinds[i].key = key;
		memset(&kinds[i].ll, 0, sizeof kinds[i].ll);
	}
	kinds[i].seen = now;
	log_limit_warnx(&kinds[i].ll, "lws: %s", buf);
}

/* Retention, every minute. */
static void
server_retain(lws_sorted_usec_list_t *sul)
{
	struct gw	*gw = lws_context_user(server_ctx);
	char		*cause = NULL;
	long long	 n;

	if (gw->conf.retain_events > 0 || gw->conf.retain_days > 0) {
		n = store_retain(gw->store, &cause);
		if (n < 0) {
			log_warnx("retention: %s", cause);
			free(cause);
		} else if (n > 0)
			log_debug("retention: %lld events removed", n);
	}
	lws_sul_schedule(server_ctx, 0, sul, server_retain, SERVER_RETAIN_US);
}

/* The clients had their chance to get 1001: leave the loop. */
static void
server_stop(lws_sorted_usec_list_t *sul)
{
	struct gw	*gw = lws_context_user(server_ctx);

	gw->stop = 1;
	lws_cancel_service(server_ctx);
}

/* Store options from the configuration. */
static void
server_store_opts(const struct gw_config *c, struct store_opts *o)
{
	memset(o, 0, sizeof *o);
	o->retain_events = c->retain_events;
	o->retain_days = c->retain_days;
	o->memory_per_type = c->memory_per_type;
}

/*
 * Derive what the configuration implies: the token table, whether reads
 * need tokens, the notify mask, the loopback rule. 0 or -1 with *cause.
 */
static int
server_check(struct gw_config *c, struct gw_auth *a, int *auth_on,
    int *loopback, unsigned *mask, char **cause)
{
	char	addr[256];
	int	port;

	if (gwconf_listen(c->listen, addr, sizeof addr, &port, cause) != 0)
		return -1;
	if (gwconf_typemask(&c->notify_types, mask, cause) != 0)
		return -1;
	if (auth_load(a, c, cause) != 0)
		return -1;
	*loopback = gwconf_is_loopback(addr);
	*auth_on = auth_reads_need_token(a, *loopback);
	if (!*loopback && !*auth_on && !c->insecure) {
		auth_free(a);
		*cause = xasprintf("listening on %s beyond loopback without "
		    "tokens: configure ingest_tokens/user_tokens or use "
		    "--insecure", c->listen);
		return -1;
	}
	return 0;
}

/* Check the configuration into gw (for -n and before starting). */
int
server_prepare(struct gw *gw, char **cause)
{
	return server_check(&gw->conf, &gw->auth, &gw->auth_on, &gw->loopback,
	    &gw->notify_mask, cause);
}

/* SIGHUP: new tokens and limits; listen, store and www need a restart. */
static void
server_reload(struct gw *gw)
{
	struct gw_config	 c;
	struct gw_auth		 a;
	struct store_opts	 so;
	char			*cause = NULL, *tmp;
	int			 auth_on, loopback;
	unsigned		 mask;

	if (gw->conf_path == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if (gwconf_load(&c, gw->conf_path, &cause) != 0)
		goto fail;
	/* Keep what cannot change while running. */
#define KEEP(f) do { tmp = c.f; c.f = gw->conf.f; gw->conf.f = tmp; } while (0)
	KEEP(listen);
	KEEP(store);
	KEEP(www);
	KEEP(pidfile);
#undef KEEP
	c.insecure = c.insecure || gw->conf.insecure;
	if (server_check(&c, &a, &auth_on, &loopback, &mask, &cause) != 0) {
		/* Put the kept strings back before freeing c. */
#define BACK(f) do { tmp = c.f; c.f = gw->conf.f; gw->conf.f = tmp; } while (0)
		BACK(listen);
		BACK(store);
		BACK(www);
		BACK(pidfile);
#undef BACK
		gwconf_free(&c);
		goto fail;
	}
	auth_free(&gw->auth);
	gwconf_free(&gw->conf);
	gw->conf = c;
	gw->auth = a;
	gw->auth_on = auth_on;
	gw->notify_mask = mask;
	ratelimit_set(gw->rl, (double)c.rate_limit, (double)c.rate_burst);
	server_store_opts(&c, &so);
	store_set_opts(gw->store, &so);
	log_info("SIGHUP: reloaded %s (%zu tokens)", gw->conf_path, a.n);
	return;
fail:
	log_warnx("SIGHUP: %s; keeping the old configuration", cause);
	free(cause);
}

/* Raise the soft fd limit to what max_connections needs. */
static unsigned
server_fd_limit(const struct gw_config *c)
{
	struct rlimit	rl;
	rlim_t		want = (rlim_t)c->max_connections + 128;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur < want ? (unsigned)rl.rlim_cur : (unsigned)want;
}

/* Open the store of the configuration into gw->store. 0 or -1 (logged). */
static int
server_open_store(struct gw *gw)
{
	struct store_opts	 so;
	char			*cause = NULL;

	server_store_opts(&gw->conf, &so);
	gw->store = store_open(gw->conf.store, &so, &cause);
	if (gw->store == NULL) {
		log_warnx("store %s: %s", gw->conf.store, cause);
		free(cause);
		return -1;
	}
	gw->bcast_seq = store_last_seq(gw->store);
	return 0;
}

/*
 * After --daemonize's fork, open the store again in the process that
 * runs. A database connection must not cross a fork: the parent's exit
 * drops the POSIX locks SQLite believes the connection still holds, and
 * another process that then opens and closes the file (the sqlite3 shell,
 * a backup) would checkpoint and delete the WAL under us, with every
 * commit since. The path must be absolute by now (main makes it so).
 */
int
server_reopen_store(struct gw *gw)
{
	store_close(gw->store);
	return server_open_store(gw);
}

/*
 * Open the store and listen. Separate from server_loop so that main can
 * detach only once this worked: an operator starting a daemon sees a busy
 * port or an unwritable store in the exit status, not in syslog later.
 */
int
server_start(struct gw *gw)
{
	struct lws_context_creation_info	 info;
	char					 addr[256], *cause = NULL;
	int					 port;

	TAILQ_INIT(&gw->conns);
	TAILQ_INIT(&gw->waits);
	gw->started_ms = ts_now_ms();
	if (gwconf_listen(gw->conf.listen, addr, sizeof addr, &port,
	    &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return -1;
	}
	if (server_open_store(gw) != 0)
		return -1;
	gw->rl = ratelimit_new((double)gw->conf.rate_limit,
	    (double)gw->conf.rate_burst, SERVER_RL_KEYS);

	memset(server_protocols, 0, sizeof server_protocols);
	/* The stream first: browsers send no subprotocol and get [0]. */
	server_protocols[0].name = "agentvis-stream";
	server_protocols[0].callback = (lws_callback_function *)stream_callback;
	server_protocols[0].per_session_data_size = stream_pss_size();
	server_protocols[0].rx_buffer_size = 1024;
	server_protocols[0].tx_packet_size = 65536;
	server_protocols[1].name = "agentvis-api";
	server_protocols[1].callback = (lws_callback_function *)routes_callback;
	server_protocols[1].per_session_data_size = routes_pss_size();
	server_protocols[1].tx_packet_size = 65536;
	door_protocol(&server_protocols[2]);

	memset(&server_m_metrics, 0, sizeof server_m_metrics);
	server_m_metrics.mountpoint = "/metrics";
	server_m_metrics.mountpoint_len = 8;
	server_m_metrics.origin_protocol = LWSMPRO_CALLBACK;
	server_m_metrics.protocol = "agentvis-api";
	server_m_metrics.origin = "agentvis-api";
	memset(&server_m_api, 0, sizeof server_m_api);
	server_m_api.mount_next = &server_m_metrics;
	server_m_api.mountpoint = "/api/v1";
	server_m_api.mountpoint_len = 7;
	server_m_api.origin_protocol = LWSMPRO_CALLBACK;
	server_m_api.protocol = "agentvis-api";
	server_m_api.origin = "agentvis-api";
	memset(&server_m_www, 0, sizeof server_m_www);
	server_m_www.mount_next = &server_m_api;
	server_m_www.mountpoint = "/";
	server_m_www.mountpoint_len = 1;
	server_m_www.origin = gw->conf.www;
	server_m_www.def = "index.html";
	server_m_www.origin_protocol = LWSMPRO_FILE;
	server_m_www.extra_mimetypes = server_mime;

	memset(&server_retry, 0, sizeof server_retry);
	server_retry.secs_since_valid_ping =
	    (uint16_t)(gw->conf.ping_interval / 1000);
	server_retry.secs_since_valid_hangup =
	    (uint16_t)(gw->conf.hangup_timeout / 1000);

	memset(&info, 0, sizeof info);
	/* The door (door.c) listens and hands connections to lws. */
	info.port = CONTEXT_PORT_NO_LISTEN;
	/*
	 * No LWS_SERVER_OPTION_VALIDATE_UTF8: lws drops a close frame with
	 * a reason that is not UTF-8 without a close frame of its own;
	 * stream.c checks text and close reasons itself and closes 1007.
	 */
	/*
	 * A head the door passed must fit lws's header buffer: lws keeps
	 * every field value, plus 8 bytes and the name of each field it does
	 * not know.
	 */
	info.max_http_header_data = (unsigned short)(gw->conf.max_head_bytes +
	    8 * DOOR_MAX_FIELDS + 1024);
	info.protocols = server_protocols;
	info.mounts = &server_m_www;
	info.retry_and_idle_policy = &server_retry;
	gw->fd_limit = server_fd_limit(&gw->conf);
	info.fd_limit_per_thread = gw->fd_limit;
	info.pt_serv_buf_size = 65536;
	info.user = gw;
	info.server_string = "gatewayd/" PACKAGE_VERSION;
	info.vhost_name = "gatewayd";

	lws_set_log_level(log_getverbose() > 1 ? LLL_ERR | LLL_WARN |
	    LLL_NOTICE | LLL_INFO : LLL_ERR | LLL_WARN, server_lws_log);
	gw->ctx = lws_create_context(&info);
	if (gw->ctx == NULL) {
		log_warnx("cannot listen on %s", gw->conf.listen);
		ratelimit_free(gw->rl);
		gw->rl = NULL;
		store_close(gw->store);
		gw->store = NULL;
		return -1;
	}
	server_ctx = gw->ctx;
	gw->vhost = lws_get_vhost_by_name(gw->ctx, "gatewayd");
	if (strcmp(addr, "*") == 0)
		addr[0] = '\0';
	if (gw->vhost == NULL || door_open(gw, addr, port, &cause) != 0) {
		log_warnx("%s", cause != NULL ? cause : "no vhost");
		free(cause);
		lws_context_destroy(gw->ctx);
		gw->ctx = server_ctx = NULL;
		ratelimit_free(gw->rl);
		gw->rl = NULL;
		store_close(gw->store);
		gw->store = NULL;
		return -1;
	}
	return 0;
}

/* Serve until SIGTERM/SIGINT; then close everything. Returns the exit code. */
int
server_loop(struct gw *gw)
{
	struct sigaction	 sa;
	char			*cause = NULL;
	int			 draining = 0, rc = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = server_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	proc_ignore_signals();

	/*
	 * Here, not in server_start: a thread does not survive daemon's
	 * fork. Every store writes on the writer thread, so that a slow
	 * commit (a disk, a PostgreSQL server) never stalls the stream.
	 */
	if ((gw->writer = writer_start(gw->store, server_wake, gw->ctx,
	    &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		gw->stop = 1;
		rc = 1;
	}
	lws_sul_schedule(gw->ctx, 0, &server_sul_retain, server_retain,
	    SERVER_RETAIN_US);
	if (access(gw->conf.www, R_OK | X_OK) != 0)
		log_warn("www %s: the dashboard is not served", gw->conf.www);
	if (rc == 0) {
		log_info("listening on %s (store %s, auth %s, www %s)",
		    gw->conf.listen, store_kind(gw->store),
		    gw->auth_on ? "on" : "off", gw->conf.www);
		sdnotify("READY=1");
	}

	while (!gw->stop) {
		if (lws_service(gw->ctx, 0) < 0)
			break;
		ingest_collect(gw);
		if (server_sig_hup) {
			server_sig_hup = 0;
			server_reload(gw);
		}
		if (server_sig_term && !draining) {
			draining = 1;
			sdnotify("STOPPING=1");
			/* Commit and broadcast what is in hand before 1001. */
			writer_flush(gw->writer);
			ingest_collect(gw);
			log_info("stopping: closing %zu clients", gw->nconns);
			door_close(gw);
			stream_drain(gw);
			/* The drain also lets waiting ingest answers go out. */
			lws_sul_schedule(gw->ctx, 0, &server_sul_stop,
			    server_stop, gw->nconns || !TAILQ_EMPTY(&gw->waits) ?
			    SERVER_DRAIN_US : 1);
		}
	}

	lws_sul_cancel(&server_sul_retain);
	lws_sul_cancel(&server_sul_stop);
	/* Batches still queued are committed; their answers cannot go out. */
	if (gw->writer != NULL)	/* NULL: it did not start */
		writer_stop(gw->writer);
	ingest_collect(gw);
	lws_context_destroy(gw->ctx);
	server_ctx = NULL;
	gw->ctx = NULL;
	door_free(gw);
	ingest_forget(gw);
	writer_free(gw->writer);
	gw->writer = NULL;
	ratelimit_free(gw->rl);
	gw->rl = NULL;
	store_close(gw->store);
	gw->store = NULL;
	log_info("stopped");
	return rc;
}
