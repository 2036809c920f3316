/*
 * gwconf.c: gatewayd.conf as one table of keys for lib/conf.c: the same
 * table fills the defaults, parses the file, checks it (-n) and prints
 * it (-n -v). gatewayd.conf(5) documents every key listed here.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "gateway.h"
#include "xmalloc.h"

#define C(f) offsetof(struct gw_config, f)

/* Every key of gatewayd.conf. */
const struct conf_key gw_conf_keys[] = {
	{ "listen", CONF_STR, "127.0.0.1:8000", C(listen), 0, 0, NULL,
	  "address and port to listen on (ADDR:PORT)" },
	{ "store", CONF_STR, "sqlite:" AV_DBDIR "/events.db", C(store), 0, 0,
	  NULL, "event store: sqlite:PATH or memory" },
	{ "www", CONF_STR, AV_WWWDIR, C(www), 0, 0, NULL,
	  "directory of the dashboard served at /" },
	{ "pidfile", CONF_STR, NULL, C(pidfile), 0, 0, NULL,
	  "write the pid here (with --daemonize)" },
	{ "ingest_tokens", CONF_LIST, NULL, C(ingest_tokens), 0, 0, NULL,
	  "tokens for POST /api/v1/events/ingest: collectord's proof" },
	{ "user_tokens", CONF_LIST, NULL, C(user_tokens), 0, 0, NULL,
	  "TOKEN:USER[:PROJECT] for the stream and the read API" },
	{ "admin_tokens", CONF_LIST, NULL, C(admin_tokens), 0, 0, NULL,
	  "tokens for the connection manager view and the whole read API" },
	{ "ingest_token_file", CONF_STR, NULL, C(ingest_token_file), 0, 0,
	  NULL, "file of ingest tokens, one per line" },
	{ "user_token_file", CONF_STR, NULL, C(user_token_file), 0, 0, NULL,
	  "file of user tokens, \"TOKEN USER [PROJECT]\" per line" },
	{ "max_body_bytes", CONF_SIZE, "1M", C(max_body_bytes), 64,
	  1LL << 30, NULL, "largest ingest request body" },
	{ "max_receiving", CONF_SIZE, "32M", C(max_receiving), 0,
	    LLONG_MAX, NULL, "most bytes of ingest bodies being received at once "
	    "(their Content-Length), 0 = no limit" },
	{ "max_ingest_backlog", CONF_SIZE, "16M", C(max_ingest_backlog), 0,
	  1LL << 40, NULL,
	  "ingest bytes waiting for the store before more get 503 (0 = off)" },
	{ "body_timeout", CONF_MS, "30s", C(body_timeout), 1000, 3600000, NULL,
	  "close a connection whose ingest body takes longer" },
	{ "max_response_bytes", CONF_SIZE, "1M", C(max_response_bytes), 4096,
	  1LL << 30, NULL, "a page of GET /api/v1/events ends before this" },
	{ "max_ws_message_bytes", CONF_SIZE, "4K", C(max_ws_message_bytes),
	  16, 1 << 20, NULL, "largest message a WebSocket client may send" },
	{ "max_connections", CONF_INT, "10000", C(max_connections), 1,
	  1000000, NULL, "most WebSocket clients at once" },
	{ "max_conns_per_addr", CONF_INT, "1024", C(max_conns_per_addr), 0,
	  1000000, NULL, "most connections from one client address "
	  "(0 = no limit)" },
	{ "max_head_bytes", CONF_SIZE, "16K", C(max_head_bytes), 4096,
	  48 * 1024, NULL, "largest request head (request line and header "
	  "fields)" },
	{ "head_timeout", CONF_MS, "10s", C(head_timeout), 100, 3600000,
	  NULL, "answer 408 to a new connection whose request head takes "
	  "longer" },
	{ "ws_queue_len", CONF_INT, "4096", C(ws_queue_len), 16, 1000000,
	  NULL, "messages queued per client before it is lagged" },
	{ "rate_limit", CONF_INT, "2000", C(rate_limit), 0, 100000000, NULL,
	  "requests per second per token and per address (0 = off)" },
	{ "rate_burst", CONF_INT, "4000", C(rate_burst), 1, 100000000, NULL,
	  "requests a token or address may make at once" },
	{ "ping_interval", CONF_MS, "30s", C(ping_interval), 1000, 3600000,
	  NULL, "WebSocket ping after this much silence" },
	{ "hangup_timeout", CONF_MS, "40s", C(hangup_timeout), 1000, 3600000,
	  NULL, "close a WebSocket peer silent this long" },
	{ "notify_types", CONF_LIST,
	  "operation_denied,task_failed,budget_updated", C(notify_types), 0,
	  0, NULL, "event types sent as notifications to metadata.user_id" },
	{ "allow_origins", CONF_LIST, NULL, C(allow_origins), 0, 0, NULL,
	  "browser origins allowed on the stream while auth is off" },
	{ "retain_events", CONF_INT, "0", C(retain_events), 0, 0, NULL,
	  "keep at most this many events (0 = no limit)" },
	{ "retain_days", CONF_INT, "0", C(retain_days), 0, 0, NULL,
	  "drop events older than this many days (0 = keep)" },
	{ "memory_per_type", CONF_INT, "1000", C(memory_per_type), 1,
	  100000000, NULL, "memory store: events kept per type" },
	{ "insecure", CONF_BOOL, "no", C(insecure), 0, 0, NULL,
	  "allow listening beyond loopback without tokens" },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL }
};

/* Defaults, then the file; on failure c holds nothing. */
int
gwconf_load(struct gw_config *c, const char *path, char **cause)
{
	memset(c, 0, sizeof *c);
	if (conf_defaults(gw_conf_keys, c, cause) != 0 ||
	    (path != NULL && conf_load(path, gw_conf_keys, c, cause) != 0)) {
		gwconf_free(c);
		return -1;
	}
	return 0;
}

/* Free the configuration's strings and lists. */
void
gwconf_free(struct gw_config *c)
{
	conf_free(gw_conf_keys, c);
	memset(c, 0, sizeof *c);
}

/* Split "ADDR:PORT" or "[V6]:PORT". */
int
gwconf_listen(const char *spec, char *addr, size_t alen, int *port,
    char **cause)
{
	const char	*colon, *a = spec, *end;
	char		*ep;
	long		 p;
	size_t		 n;

	if (*spec == '[') {
		a = spec + 1;
		end = strchr(a, ']');
		if (end == NULL || end[1] != ':')
			goto bad;
		colon = end + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			goto bad;
		end = colon;
	}
	n = (size_t)(end - a);
	if (n >= alen)
		goto bad;
	memcpy(addr, a, n);
	addr[n] = '\0';
	p = strtol(colon + 1, &ep, 10);
	if (colon[1] == '\0' || *ep != '\0' || p < 1 || p > 65535)
		goto bad;
	*port = (int)p;
	return 0;
bad:
	*cause = xasprintf("bad listen address '%s' (want ADDR:PORT)", spec);
	return -1;
}

/* Loopback: an IPv4 address in 127/8, ::1 (or v4-mapped), localhost. */
int
gwconf_is_loopback(const char *addr)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (strcasecmp(addr, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    a6.s6_addr[12] == 127);
	return 0;
}

/*
 * "[::1]:3000" -> "::1", "localhost:3000" -> "localhost", and
 * "localhost.:3000" -> "localhost".
 */
int
gwconf_hostname(const char *hostport, char *name, size_t len)
{
	const char	*o = hostport, *end;
	size_t		 n;

	if (*o == '[') {
		o++;
		if ((end = strchr(o, ']')) == NULL)
			return -1;
	} else
		end = strchr(o, ':');
	n = end != NULL ? (size_t)(end - o) : strlen(o);
	/* "localhost." is the same name, written fully qualified. */
	if (n > 1 && o[n - 1] == '.' && *hostport != '[')
		n--;
	if (n == 0 || n >= len)
		return -1;
	memcpy(name, o, n);
	name[n] = '\0';
	return 0;
}

/* Does "name[:port]" name a loopback host? */
int
gwconf_is_loopback_host(const char *hostport)
{
	char	name[256];

	return gwconf_hostname(hostport, name, sizeof name) == 0 &&
	    gwconf_is_loopback(name);
}

/* "http://name:port" -> "name:port"; NULL unless http or https. */
const char *
gwconf_origin_hostport(const char *origin)
{
	if (strncasecmp(origin, "http://", 7) == 0)
		return origin + 7;
	if (strncasecmp(origin, "https://", 8) == 0)
		return origin + 8;
	return NULL;
}

/* Do origin and hostport name the same host (ports aside)? */
int
gwconf_origin_host_is(const char *origin, const char *hostport)
{
	char	a[256], b[256];

	if ((origin = gwconf_origin_hostport(origin)) == NULL)
		return 0;
	return gwconf_hostname(origin, a, sizeof a) == 0 &&
	    gwconf_hostname(hostport, b, sizeof b) == 0 &&
	    strcasecmp(a, b) == 0;
}

/* Mask of event types named in l. */
int
gwconf_typemask(const struct conf_list *l, unsigned *mask, char **cause)
{
	size_t	i;
	int	t;

	*mask = 0;
	for (i = 0; i < l->n; i++) {
		t = evt_type_lookup(l->v[i]);
		if (t < 0) {
			*cause = xasprintf("unknown event type '%s'", l->v[i]);
			return -1;
		}
		*mask |= 1u << t;
	}
	return 0;
}
