/*
 * access.h: who may ask gatewayd what (access.c): tokens, who a request
 * speaks for, the Host check, rate limits.
 */
#ifndef GW_ACCESS_H
#define GW_ACCESS_H

#include "event.h"
#include "gateway.h"

struct lws;

/* Who a request speaks for, once its token (or the query) decided. */
struct access_who {
	char	user[EVT_SHORT_MAX + 1];
	char	project[EVT_SHORT_MAX + 1];	/* "" = every project */
	char	ratekey[64];			/* token's rate-limit key */
	int	admin;
	int	collectord;	/* ingest token shown: may vouch for origin */
};

/*
 * Decide who is asking for something that needs a token of kind need
 * (GW_TOK_USER: stream and read API, also satisfied by an admin token;
 * GW_TOK_ADMIN; GW_TOK_INGEST). The token comes from "Authorization:
 * Bearer" or, except for ingest, from token= in the query. Ingest needs
 * one once any token is configured, and only a caller that showed an
 * ingest token is taken for collectord (who->collectord); the rest need
 * one once a user or admin token is (gw->auth_on). Returns 0, or
 * 400 (a user_id too long), 401 (no or unknown token) or 403 (token of
 * another kind, or a query user_id that is not the token's user) with
 * *msg.
 */
int access_who(struct gw *gw, struct lws *wsi, enum gw_tokkind need,
    struct access_who *who, const char **msg);

/* Why access_host_ok refused. */
#define ACCESS_HOST_REFUSED "Host is not a loopback name: without tokens, " \
	"gatewayd answers only to loopback names and allow_origins hosts " \
	"(DNS rebinding)"

/*
 * 0 if a browser could have been pointed at us by DNS rebinding: no
 * user or admin tokens, on loopback, and a Host header that is neither a
 * loopback name nor the host of one of allow_origins. Else 1.
 */
int access_host_ok(struct gw *gw, struct lws *wsi);

/*
 * Spend one request from the client's address and, when who has one,
 * from its token. 0, or the seconds to wait (answer 429).
 */
int access_rate(struct gw *gw, struct lws *wsi, const struct access_who *who);

#endif
