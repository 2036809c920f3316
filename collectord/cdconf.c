/*
 * cdconf.c: collectord's table of settings and what they resolve to.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "cdconf.h"
#include "event.h"
#include "log.h"
#include "token.h"
#include "xmalloc.h"

#define O(f) offsetof(struct cd_conf, f)

static const char *const fsync_choices[] = { "never", "interval", "always",
    NULL };

/* Every key: name, type, default, where it lands, limits, help line. */
const struct conf_key cdconf_keys[] = {
	{ "socket", CONF_STR, AV_RUNDIR "/collectord.sock", O(socket), 0, 0,
	    NULL, "Unix socket the clients connect to" },
	{ "socket_group", CONF_STR, NULL, O(socket_group), 0, 0, NULL,
	    "group owning the socket and the fallback directory" },
	{ "socket_mode", CONF_STR, "0660", O(socket_mode), 0, 0, NULL,
	    "permissions of the socket (octal)" },
	{ "allow_uids", CONF_LIST, NULL, O(allow_uids), 0, 0, NULL,
	    "users (names or ids) allowed to connect; empty: anyone who can" },
	{ "allow_gids", CONF_LIST, NULL, O(allow_gids), 0, 0, NULL,
	    "groups (names or ids) allowed to connect" },
	{ "max_clients", CONF_INT, "1024", O(max_clients), 1, 65536, NULL,
	    "client connections at once" },
	{ "client_idle_ms", CONF_MS, "5s", O(client_idle_ms), 100, 300000,
	    NULL, "close a client silent this long with nothing under way" },
	{ "max_line_bytes", CONF_SIZE, "64K", O(max_line_bytes), 1024,
	    EVT_LINE_MAX, NULL, "longest request line" },
	{ "gateway", CONF_STR, "http://127.0.0.1:8000", O(gateway), 0, 0, NULL,
	    "gatewayd base URL (http only)" },
	{ "ingest_token", CONF_STR, NULL, O(ingest_token), 0, 0, NULL,
	    "bearer token for the gateway" },
	{ "ingest_token_file", CONF_STR, NULL, O(ingest_token_file), 0, 0,
	    NULL, "file holding the bearer token" },
	{ "request_timeout_ms", CONF_MS, "10s", O(request_timeout_ms), 100,
	    600000, NULL, "give up on one request after this long" },
	{ "spool_dir", CONF_STR, AV_SPOOLDIR, O(spool_dir), 0, 0, NULL,
	    "spool directory" },
	{ "fallback_dir", CONF_STR, NULL, O(fallback_dir), 0, 0, NULL,
	    "hookcli's drop directory (default <spool_dir>/incoming)" },
	{ "dead_letter", CONF_STR, NULL, O(dead_letter), 0, 0, NULL,
	    "file of refused events (default <spool_dir>/dead-letter.ndjson)" },
	{ "fsync", CONF_ENUM, "interval", O(fsync), 0, 0, fsync_choices,
	    "never, interval or always" },
	{ "fsync_interval_ms", CONF_MS, "100ms", O(fsync_interval_ms), 1,
	    60000, NULL, "group commit interval for fsync=interval" },
	{ "spool_max_bytes", CONF_SIZE, "2G", O(spool_max_bytes), 1048576,
	    1LL << 50, NULL, "undelivered bytes kept before answering busy" },
	{ "segment_bytes", CONF_SIZE, "64M", O(segment_bytes), 65536,
	    1LL << 32, NULL, "size of one spool segment file" },
	{ "fallback_scan_ms", CONF_MS, "1s", O(fallback_scan_ms), 10, 3600000,
	    NULL, "how often the fallback directory is scanned" },
	{ "batch_max_events", CONF_INT, "500", O(batch_max_events), 1, 100000,
	    NULL, "events in one request" },
	{ "batch_max_bytes", CONF_SIZE, "512K", O(batch_max_bytes), 4096,
	    1LL << 30, NULL, "body bytes of one request" },
	{ "max_inflight", CONF_INT, "4", O(max_inflight), 1, 16, NULL,
	    "requests in flight at once, each on its own connection" },
	{ "flush_interval_ms", CONF_MS, "100ms", O(flush_interval_ms), 1,
	    60000, NULL, "backstop timer for sending pending events" },
	{ "retry_base_ms", CONF_MS, "1s", O(retry_base_ms), 1, 3600000, NULL,
	    "first retry delay, doubled each retry" },
	{ "retry_max_ms", CONF_MS, "30s", O(retry_max_ms), 1, 86400000, NULL,
	    "longest retry delay" },
	{ "max_retries", CONF_INT, "3", O(max_retries), 0, 1000, NULL,
	    "doubling retries before retrying at retry_max_ms" },
	{ "probe_interval_ms", CONF_MS, "500ms", O(probe_interval_ms), 0,
	    60000, NULL, "health check of a down gateway while waiting (0: off)" },
	{ "shutdown_timeout_ms", CONF_MS, "5s", O(shutdown_timeout_ms), 0,
	    600000, NULL, "how long SIGTERM waits for delivery" },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL }
};

/* Defaults into c. */
void
cdconf_defaults(struct cd_conf *c)
{
	char	*cause = NULL;

	memset(c, 0, sizeof *c);
	if (conf_defaults(cdconf_keys, c, &cause) == -1)
		fatalx("config table: %s", cause);
}

/* Load path into c. */
int
cdconf_load(struct cd_conf *c, const char *path, int must_exist, char **cause)
{
	cdconf_defaults(c);
	if (path == NULL)
		return 0;
	if (!must_exist && access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	return conf_load(path, cdconf_keys, c, cause);
}

/* A user name or number. */
static int
cdconf_uid(const char *s, uid_t *uid)
{
	struct passwd	*pw;
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0 && v < (uid_t)-1) {
		*uid = v;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

/* A group name or number. */
static int
cdconf_gid(const char *s, gid_t *gid)
{
	struct group	*gr;
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0 && v < (gid_t)-1) {
		*gid = v;
		return 0;
	}
	if ((gr = getgrnam(s)) == NULL)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

/*
 * Read the token file: a token line holding one token ("TOKEN", blank
 * lines and # comments around it), refused when others may read the
 * file; the syntax and the policy are gatewayd's too (lib/token.c).
 */
static int
cdconf_token_file(const char *path, char **token, char **cause)
{
	FILE	*fp;
	char	 line[1024], *f[3], *why;
	int	 n = 0;

	if ((fp = token_file_open(path, &why)) == NULL) {
		*cause = xasprintf("ingest_token_file %s", why);
		free(why);
		return -1;
	}
	while (fgets(line, sizeof line, fp) != NULL &&
	    (n = token_fields(line, f)) == 0)
		;
	fclose(fp);
	if (n != 1) {
		explicit_bzero(line, sizeof line);
		*cause = xasprintf("ingest_token_file %s: %s", path, n == 0 ?
		    "empty: no token in it" : "not one token on a line of its "
		    "own (8-256 printable bytes, none longer than that, no "
		    "spaces, ':' or ',')");
		return -1;
	}
	*token = xstrdup(f[0]);
	explicit_bzero(line, sizeof line);
	return 0;
}

/* Treat an empty string setting as not set. */
static void
cdconf_unset_empty(char **v)
{
	if (*v != NULL && **v == '\0') {
		free(*v);
		*v = NULL;
	}
}

/* Work out what the gateway URL means. */
static int
cdconf_gateway(const char *url, struct cd_settings *s, char **cause)
{
	struct evhttp_uri	*u;
	const char		*scheme, *host, *path;
	size_t			 plen;
	int			 port;

	if ((u = evhttp_uri_parse(url)) == NULL) {
		*cause = xasprintf("gateway: not a URL: %s", url);
		return -1;
	}
	scheme = evhttp_uri_get_scheme(u);
	host = evhttp_uri_get_host(u);
	port = evhttp_uri_get_port(u);
	path = evhttp_uri_get_path(u);
	if (scheme == NULL || strcasecmp(scheme, "http") != 0) {
		*cause = xasprintf("gateway: only http:// URLs are supported "
		    "(put TLS in front with a local proxy): %s", url);
		evhttp_uri_free(u);
		return -1;
	}
	if (host == NULL || *host == '\0') {
		*cause = xasprintf("gateway: no host in %s", url);
		evhttp_uri_free(u);
		return -1;
	}
	if (port == -1)
		port = 80;
	if (path == NULL)
		path = "";
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	s->gw_host = xstrdup(host);
	s->gw_port = port;
	s->gw_path = xasprintf("%.*s/api/v1/events/ingest", (int)plen, path);
	s->gw_health = xasprintf("%.*s/api/v1/health", (int)plen, path);
	s->gw_hostheader = port == 80 ? xstrdup(host) :
	    xasprintf("%s:%d", host, port);
	evhttp_uri_free(u);
	return 0;
}

/* Check c and work out what it means. */
int
cdconf_resolve(struct cd_conf *c, struct cd_settings *s, char **cause)
{
	const char	*env;
	char		*end;
	unsigned long	 mode;
	size_t		 i;

	memset(s, 0, sizeof *s);
	s->socket_gid = (gid_t)-1;

	/* "key =" with nothing after it means the default. */
	cdconf_unset_empty(&c->socket_group);
	cdconf_unset_empty(&c->fallback_dir);
	cdconf_unset_empty(&c->dead_letter);
	cdconf_unset_empty(&c->ingest_token);
	cdconf_unset_empty(&c->ingest_token_file);

	errno = 0;
	mode = strtoul(c->socket_mode, &end, 8);
	if (*c->socket_mode == '\0' || *end != '\0' || errno != 0 ||
	    mode > 0777) {
		*cause = xasprintf("socket_mode: not an octal mode: %s",
		    c->socket_mode);
		goto fail;
	}
	s->socket_mode = mode;
	if (c->socket_group != NULL &&
	    cdconf_gid(c->socket_group, &s->socket_gid) == -1) {
		*cause = xasprintf("socket_group: no such group: %s",
		    c->socket_group);
		goto fail;
	}
	s->uids = xcalloc(c->allow_uids.n + 1, sizeof *s->uids);
	for (i = 0; i < c->allow_uids.n; i++) {
		if (cdconf_uid(c->allow_uids.v[i], &s->uids[i]) == -1) {
			*cause = xasprintf("allow_uids: no such user: %s",
			    c->allow_uids.v[i]);
			goto fail;
		}
	}
	s->nuids = c->allow_uids.n;
	s->gids = xcalloc(c->allow_gids.n + 1, sizeof *s->gids);
	for (i = 0; i < c->allow_gids.n; i++) {
		if (cdconf_gid(c->allow_gids.v[i], &s->gids[i]) == -1) {
			*cause = xasprintf("allow_gids: no such group: %s",
			    c->allow_gids.v[i]);
			goto fail;
		}
	}
	s->ngids = c->allow_gids.n;

	if (strlen(c->socket) == 0 || c->socket[0] != '/') {
		*cause = xasprintf("socket: must be an absolute path: %s",
		    c->socket);
		goto fail;
	}
	if (c->spool_dir[0] != '/') {
		*cause = xasprintf("spool_dir: must be an absolute path: %s",
		    c->spool_dir);
		goto fail;
	}
	if (c->fallback_dir == NULL)
		c->fallback_dir = xasprintf("%s/incoming", c->spool_dir);
	if (c->dead_letter == NULL)
		c->dead_letter = xasprintf("%s/dead-letter.ndjson",
		    c->spool_dir);
	if (c->retry_max_ms < c->retry_base_ms) {
		*cause = xasprintf("retry_max_ms (%lld) is below retry_base_ms "
		    "(%lld)", c->retry_max_ms, c->retry_base_ms);
		goto fail;
	}
	if (c->segment_bytes > c->spool_max_bytes)
		c->segment_bytes = c->spool_max_bytes;

	if (cdconf_gateway(c->gateway, s, cause) == -1)
		goto fail;

	if (c->ingest_token_file != NULL) {
		if (cdconf_token_file(c->ingest_token_file, &s->token,
		    cause) == -1)
			goto fail;
	} else if (c->ingest_token != NULL && *c->ingest_token != '\0')
		s->token = xstrdup(c->ingest_token);
	else if ((env = getenv("AGENTVIS_INGEST_TOKEN")) != NULL &&
	    *env != '\0')
		s->token = xstrdup(env);
	if (s->token != NULL && !token_ok(s->token, strlen(s->token))) {
		*cause = xstrdup("ingest token: want 8-256 printable bytes, no "
		    "spaces, ':' or ','");
		goto fail;
	}
	return 0;

fail:
	cdconf_settings_free(s);
	return -1;
}

/* Free c's strings. */
void
cdconf_free(struct cd_conf *c)
{
	conf_free(cdconf_keys, c);
}

/* Free s. */
void
cdconf_settings_free(struct cd_settings *s)
{
	free(s->uids);
	free(s->gids);
	if (s->token != NULL)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s->gw_host);
	free(s->gw_path);
	free(s->gw_health);
	free(s->gw_hostheader);
	memset(s, 0, sizeof *s);
}
