/*
 * api.h: helpers of the HTTP API that the stream shares: who is asking
 * (auth), and JSON answers.
 */
#ifndef GW_API_H
#define GW_API_H

#include <stddef.h>

#include "gateway.h"
#include "event.h"

struct lws;

/* Who a request speaks for, once its token (or the query) decided. */
struct api_who {
	char	user[EVT_SHORT_MAX + 1];
	char	project[EVT_SHORT_MAX + 1];	/* "" = every project */
	char	ratekey[64];			/* token's rate-limit key */
	int	admin;
};

/*
 * Decide who is asking for something that needs a token of kind need
 * (GW_TOK_USER: stream and read API, also satisfied by an admin token;
 * GW_TOK_ADMIN; GW_TOK_INGEST). The token comes from "Authorization:
 * Bearer" or, except for ingest, from token= in the query. Returns 0, or
 * 401 (no or unknown token) / 403 (token of another kind, or a query
 * user_id that is not the token's user) with *msg.
 */
int api_who(struct gw *gw, struct lws *wsi, enum gw_tokkind need,
    struct api_who *who, const char **msg);

/*
 * Query argument name ("since=", with the '=') into out. 1 when present,
 * 0 when absent, -1 when longer than outlen - 1.
 */
int api_arg(struct lws *wsi, const char *name, char *out, size_t outlen);

/*
 * Write a whole answer: status, JSON body, optional extra header. Does
 * not complete the transaction. 0 or -1.
 */
int api_reply(struct lws *wsi, int status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hval);
/* Answer {"detail": msg} with status. 0 or -1. */
int api_reply_error(struct lws *wsi, int status, const char *msg);

#endif
