/*
 * access.c: who may ask gatewayd what. The token table (from
 * gatewayd.conf and its token files), who a request speaks for, the
 * Host check that keeps web pages out of a gatewayd without tokens, and
 * the rate limits; every route (routes.c) and the stream (stream.c) ask
 * here.
 *
 * Tokens only ever come from files (never argv, never the environment of
 * a shell history); lib/token.c has their syntax and the policy for
 * their files, which collectord follows too.
 */
#include "config.h"


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "access.h"
#include "gateway.h"
#include "ratelimit.h"
#include "timefmt.h"
#include "token.h"
#include "http.h"
#include "xmalloc.h"

#define AUTH_LINE_MAX 1024

/* Append a token to the table (copies the strings). */
static void
auth_add(struct gw_auth *a, enum gw_tokkind kind, const char *tok,
    size_t toklen, const char *user, const char *project)
{
	struct gw_token	*t;

	a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
	t = &a->v[a->n++];
	t->token = xstrndup(tok, toklen);
	t->kind = kind;
	t->user = user != NULL ? xstrdup(user) : NULL;
	t->project = project != NULL ? xstrdup(project) : NULL;
	switch (kind) {
	case GW_TOK_INGEST:
		a->ningest++;
		break;
	case GW_TOK_USER:
		a->nuser++;
		break;
	case GW_TOK_ADMIN:
		a->nadmin++;
		break;
	case GW_TOK_NONE:
		break;
	}
}

/*
 * One user_tokens entry: a token line, TOKEN:USER[:PROJECT] (a
 * configuration list splits at spaces, so its fields take the ':').
 */
static int
auth_add_userspec(struct gw_auth *a, const char *spec, char **cause)
{
	char	*line, *f[3];
	int	 n;

	line = xstrdup(spec);
	if ((n = token_fields(line, f)) < 2) {
		free(line);
		*cause = xasprintf("user_tokens: bad entry (want "
		    "TOKEN:USER[:PROJECT], token %d-%d printable bytes)",
		    TOKEN_MIN, TOKEN_MAX);
		return -1;
	}
	auth_add(a, GW_TOK_USER, f[0], strlen(f[0]), f[1], n > 2 ? f[2] : NULL);
	free(line);
	return 0;
}

/*
 * A token file: one token line per token ("TOKEN" for ingest, "TOKEN
 * USER [PROJECT]" for users), blank lines and # comments allowed.
 */
static int
auth_load_file(struct gw_auth *a, const char *path, enum gw_tokkind kind,
    char **cause)
{
	FILE		*fp;
	char		 line[AUTH_LINE_MAX], *f[3];
	int		 lineno = 0, nf;

	if ((fp = token_file_open(path, cause)) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			*cause = xasprintf("%s:%d: line too long", path,
			    lineno);
			goto fail;
		}
		if ((nf = token_fields(line, f)) == 0)
			continue;
		if (nf < 0 || (kind == GW_TOK_INGEST && nf != 1) ||
		    (kind == GW_TOK_USER && nf < 2)) {
			*cause = xasprintf("%s:%d: bad token line (want %s)",
			    path, lineno, kind == GW_TOK_INGEST ? "TOKEN" :
			    "TOKEN USER [PROJECT]");
			goto fail;
		}
		auth_add(a, kind, f[0], strlen(f[0]), nf > 1 ? f[1] : NULL,
		    nf > 2 ? f[2] : NULL);
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	return -1;
}

/* Build the token table. */
int
auth_load(struct gw_auth *a, const struct gw_config *c, char **cause)
{
	size_t	i;

	memset(a, 0, sizeof *a);
	for (i = 0; i < c->ingest_tokens.n; i++) {
		if (!token_ok(c->ingest_tokens.v[i],
		    strlen(c->ingest_tokens.v[i]))) {
			*cause = xstrdup("ingest_tokens: a token must be 8-256 "
			    "printable bytes without ':' or ','");
			goto fail;
		}
		auth_add(a, GW_TOK_INGEST, c->ingest_tokens.v[i],
		    strlen(c->ingest_tokens.v[i]), NULL, NULL);
	}
	for (i = 0; i < c->admin_tokens.n; i++) {
		if (!token_ok(c->admin_tokens.v[i],
		    strlen(c->admin_tokens.v[i]))) {
			*cause = xstrdup("admin_tokens: a token must be 8-256 "
			    "printable bytes without ':' or ','");
			goto fail;
		}
		auth_add(a, GW_TOK_ADMIN, c->admin_tokens.v[i],
		    strlen(c->admin_tokens.v[i]), NULL, NULL);
	}
	for (i = 0; i < c->user_tokens.n; i++)
		if (auth_add_userspec(a, c->user_tokens.v[i], cause) != 0)
			goto fail;
	if (c->ingest_token_file != NULL && auth_load_file(a,
	    c->ingest_token_file, GW_TOK_INGEST, cause) != 0)
		goto fail;
	if (c->user_token_file != NULL && auth_load_file(a,
	    c->user_token_file, GW_TOK_USER, cause) != 0)
		goto fail;
	return 0;
fail:
	auth_free(a);
	return -1;
}

/*
 * Do the stream and the read API want tokens? Once a user or admin token
 * is configured, yes. On loopback, ingest tokens alone leave them as they
 * are without tokens, open to this machine's users (the dashboard works
 * as before): an ingest token is collectord's, for sending and for
 * vouching for metadata.origin, and says nothing about who reads. Beyond
 * loopback any token turns them on: there is no "this machine" to trust.
 */
int
auth_reads_need_token(const struct gw_auth *a, int loopback)
{
	return a->nuser + a->nadmin > 0 || (!loopback && a->n > 0);
}

/* Free the table. */
void
auth_free(struct gw_auth *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		explicit_bzero(a->v[i].token, strlen(a->v[i].token));
		free(a->v[i].token);
		free(a->v[i].user);
		free(a->v[i].project);
	}
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* Compare without leaking where the first difference is. */
static int
auth_equal(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i < lb ? i : 0];
	return d == 0;
}

/* The token matching tok, or NULL. */
const struct gw_token *
auth_find(const struct gw_auth *a, const char *tok)
{
	const struct gw_token	*hit = NULL;
	size_t			 i;

	if (tok == NULL || *tok == '\0')
		return NULL;
	for (i = 0; i < a->n; i++)
		if (auth_equal(a->v[i].token, tok) && hit == NULL)
			hit = &a->v[i];
	return hit;
}

/* The bearer token of the request, or of token= when allowed. */
static int
access_token(struct lws *wsi, int query_ok, char *buf, size_t len)
{
	char	hdr[512];

	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
		/* Present: a header too long to copy is a bad one. */
		if (lws_hdr_copy(wsi, hdr, sizeof hdr,
		    WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
			return -1;
		if (strncasecmp(hdr, "Bearer ", 7) != 0)
			return -1;
		if (strlen(hdr + 7) >= len)
			return -1;
		strcpy(buf, hdr + 7);
		return 0;
	}
	if (query_ok && http_arg(wsi, "token=", buf, len) != 1)
		buf[0] = '\0';
	return 0;
}

/* Decide who is asking. */
int
access_who(struct gw *gw, struct lws *wsi, enum gw_tokkind need,
    struct access_who *who, const char **msg)
{
	const struct gw_token	*t;
	char			 tok[300], quser[EVT_SHORT_MAX + 1];
	int			 has_quser;

	memset(who, 0, sizeof *who);
	switch (http_arg(wsi, "user_id=", quser, sizeof quser)) {
	case -1:
		*msg = "user_id: longer than 256 bytes";
		return 400;
	case 1:
		has_quser = quser[0] != '\0';
		break;
	default:
		has_quser = 0;
		break;
	}
	if (need == GW_TOK_NONE) {
		strcpy(who->user, "anonymous");
		return 0;
	}
	if (need == GW_TOK_INGEST && gw->auth.n == 0) {
		/* No token at all: anyone may send, nobody is collectord. */
		strcpy(who->user, "anonymous");
		return 0;
	}
	if (need != GW_TOK_INGEST && !gw->auth_on) {
		/* Loopback, no user tokens: every local caller is trusted. */
		who->admin = 1;
		strcpy(who->user, has_quser ? quser : "anonymous");
		return 0;
	}
	if (access_token(wsi, need != GW_TOK_INGEST, tok, sizeof tok) != 0) {
		*msg = "Authorization: want Bearer TOKEN";
		return 401;
	}
	if (tok[0] == '\0') {
		*msg = "missing token";
		return 401;
	}
	if ((t = auth_find(&gw->auth, tok)) == NULL) {
		*msg = "unknown token";
		return 401;
	}
	snprintf(who->ratekey, sizeof who->ratekey, "t:%zu",
	    (size_t)(t - gw->auth.v));
	switch (need) {
	case GW_TOK_NONE:		/* answered above */
		return 0;
	case GW_TOK_INGEST:
		if (t->kind != GW_TOK_INGEST) {
			*msg = "not an ingest token";
			return 403;
		}
		strcpy(who->user, "ingest");
		who->collectord = 1;
		return 0;
	case GW_TOK_ADMIN:
		if (t->kind != GW_TOK_ADMIN) {
			*msg = "not an admin token";
			return 403;
		}
		who->admin = 1;
		strcpy(who->user, has_quser ? quser : "admin");
		return 0;
	case GW_TOK_USER:
		if (t->kind == GW_TOK_ADMIN) {
			who->admin = 1;
			strcpy(who->user, has_quser ? quser : "admin");
			return 0;
		}
		if (t->kind != GW_TOK_USER) {
			*msg = "not a user token";
			return 403;
		}
		if (has_quser && strcmp(quser, t->user) != 0) {
			*msg = "user_id is not the token's user";
			return 403;
		}
		snprintf(who->user, sizeof who->user, "%s", t->user);
		if (t->project != NULL)
			snprintf(who->project, sizeof who->project, "%s",
			    t->project);
		return 0;
	}
	*msg = "forbidden";
	return 403;
}

/*
 * DNS rebinding: without user tokens, on loopback, a web page from a name made
 * to resolve to 127.0.0.1 would be same-origin with gatewayd in the
 * browser of anyone on this machine, and could read everything. Every
 * browser sends Host, so it must name a loopback host or the host of one
 * of allow_origins. With user or admin tokens, or beyond loopback, any
 * Host is served.
 */
int
access_host_ok(struct gw *gw, struct lws *wsi)
{
	char	host[256];
	size_t	i;

	if (gw->auth_on || !gw->loopback)
		return 1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) <= 0)
		return 1;	/* HTTP/1.0 and scripts: not a browser */
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		return 0;
	if (gwconf_is_loopback_host(host))
		return 1;
	for (i = 0; i < gw->conf.allow_origins.n; i++)
		if (gwconf_origin_host_is(gw->conf.allow_origins.v[i], host))
			return 1;
	return 0;
}

/* Spend one request of the address and of the token; 0 or seconds to wait. */
int
access_rate(struct gw *gw, struct lws *wsi, const struct access_who *who)
{
	char	addr[64], key[80];
	int	wait;

	lws_get_peer_simple(wsi, addr, sizeof addr);
	snprintf(key, sizeof key, "a:%s", addr);
	wait = ratelimit_take(gw->rl, key, ts_mono_us());
	if (wait == 0 && who->ratekey[0] != '\0')
		wait = ratelimit_take(gw->rl, who->ratekey, ts_mono_us());
	return wait;
}
