/*
 * http.h: gatewayd's HTTP answers and query arguments (http.c).
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <json-c/json.h>

struct lws;

/*
 * Write a whole answer: status, body of type ctype, an optional extra
 * header (hname with its colon, "retry-after:"). Does not complete the
 * transaction. 0 or -1.
 */
int http_reply(struct lws *wsi, int status, const char *ctype,
    const char *body, size_t len, const char *hname, const char *hval);
/* Answer the JSON object o (taken over) with status. 0 or -1. */
int http_reply_json(struct lws *wsi, int status, struct json_object *o,
    const char *hname, const char *hval);
/* Answer {"detail": msg} with status. 0 or -1. */
int http_reply_error(struct lws *wsi, int status, const char *msg);
/*
 * Refuse a WebSocket upgrade: status (in HTTP/1.1, whatever lws read of
 * the request so far), the JSON object o (taken over), an optional extra
 * header, Connection: close. 0 or -1.
 */
int http_refuse_upgrade(struct lws *wsi, int status, struct json_object *o,
    const char *hname, const char *hval);
/* {"detail":[{"loc":[where,name],"msg":msg,"type":"value_error"}]}. */
struct json_object *http_detail(const char *where, const char *name,
    const char *msg);
/* {"detail": msg}. */
struct json_object *http_detail_str(const char *msg);
/* Answer 429 with Retry-After: wait seconds. 0 or -1. */
int http_reply_rate(struct lws *wsi, int wait);
/* 422 {"detail":[{"loc":["query",name],"msg":msg,…}]}. 0 or -1. */
int http_bad_query(struct lws *wsi, const char *name, const char *msg);
/* Finish a transaction: 0 keeps the connection, -1 closes it. */
int http_done(struct lws *wsi);

/*
 * Query argument name ("since=", with the '=') into out. 1 when present,
 * 0 when absent, -1 when longer than outlen - 1.
 */
int http_arg(struct lws *wsi, const char *name, char *out, size_t outlen);
/*
 * A non-negative integer query argument into *v: 1 when present, 0 when
 * absent, -1 when not a number or out of range.
 */
int http_arg_int(struct lws *wsi, const char *name, long long *v);
/*
 * A filter argument: out when present and not empty, else NULL with *rc
 * 0 (absent or empty) or -1 (too long).
 */
const char *http_arg_str(struct lws *wsi, const char *name, char *out,
    size_t outlen, int *rc);

#endif
