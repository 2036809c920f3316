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

/* Why api_host_ok refused. */
#define API_HOST_REFUSED "Host is not a loopback name: without tokens, " \
	"gatewayd answers only to loopback names and allow_origins hosts " \
	"(DNS rebinding)"

/*
 * 0 if a browser could have been pointed at us by DNS rebinding: no
 * tokens, on loopback, and a Host header that is neither a loopback name
 * nor the host of one of allow_origins. Else 1.
 */
int api_host_ok(struct gw *gw, struct lws *wsi);

/*
 * Spend one request from the client's address and, when who has one,
 * from its token. 0, or the seconds to wait (answer 429).
 */
int api_rate(struct gw *gw, struct lws *wsi, const struct api_who *who);

/*
 * Query argument name ("since=", with the '=') into out. 1 when present,
 * 0 when absent, -1 when longer than outlen - 1.
 */
int api_arg(struct lws *wsi, const char *name, char *out, size_t outlen);

/*
 * A non-negative integer query argument into *v: 1 when present, 0 when
 * absent, -1 when not a number or out of range.
 */
int api_arg_int(struct lws *wsi, const char *name, long long *v);

/*
 * Write a whole answer: status, JSON body, optional extra header. Does
 * not complete the transaction. 0 or -1.
 */
int api_reply(struct lws *wsi, int status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hval);
/* Answer {"detail": msg} with status. 0 or -1. */
int api_reply_error(struct lws *wsi, int status, const char *msg);
/* Answer 429 with Retry-After: wait (api_rate's seconds). 0 or -1. */
int api_reply_rate(struct lws *wsi, int wait);

#endif
