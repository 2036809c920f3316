/*
 * http.c: writing gatewayd's HTTP answers and reading query arguments,
 * for every endpoint (routes.c, ingest.c, read.c) and the stream's
 * refused upgrades (stream.c). Answers are JSON; errors are
 * {"detail": msg}, and a bad argument or header is the 422 (or 400)
 * detail list of http_detail. HEAD gets every answer without its body.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "avjson.h"
#include "gateway.h"
#include "http.h"
#include "ingest.h"
#include "xmalloc.h"

/* The reason phrase of the statuses a refused upgrade can have. */
static const char *
http_reason(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	}
	return "";
}

/*
 * An upgrade is refused before lws has read the request's version, so
 * lws's status line says HTTP/1.0, which WebSocket clients refuse to
 * read (RFC 6455 wants HTTP/1.1): write the status line again.
 */
static int
http_status_line_11(int status, unsigned char *start, unsigned char **p,
    unsigned char *end)
{
	unsigned char	*eol;
	char		 line[64];
	size_t		 old, n;

	if ((eol = memchr(start, '\n', (size_t)(*p - start))) == NULL)
		return -1;
	old = (size_t)(eol + 1 - start);
	n = (size_t)snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status,
	    http_reason(status));
	if (*p - old + n >= end)
		return -1;
	memmove(start + n, eol + 1, (size_t)(*p - (eol + 1)));
	memcpy(start, line, n);
	*p = *p - old + n;
	return 0;
}

/*
 * Write status, headers and body; upgrade when refusing a WebSocket
 * upgrade (then the connection closes after). A HEAD request gets the
 * headers of the answer, Content-Length included, and no body. Every
 * answer of the API, and every refused upgrade, comes through here: it
 * is counted for /metrics here.
 */
static int
http_answer(struct lws *wsi, int status, const char *ctype, const char *body,
    size_t len, const char *hname, const char *hval, int upgrade)
{
	unsigned char	 hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE;
	unsigned char	*p = start, *end = hdr + sizeof hdr - 1;
	unsigned char	*out;
	struct gw	*gw;
	int		 n;

	if ((gw = gw_from_wsi(wsi)) != NULL)
		gw->m.http_responses[gw_status_slot(status)]++;

	if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
	    (lws_filepos_t)len, &p, end) != 0)
		return -1;
	if (upgrade && http_status_line_11(status, start, &p, end) != 0)
		return -1;
	if (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"cache-control:",
	    (const unsigned char *)"no-store", 8, &p, end) != 0)
		return -1;
	if (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hval,
	    (int)strlen(hval), &p, end) != 0)
		return -1;
	if (upgrade && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"connection:",
	    (const unsigned char *)"close", 5, &p, end) != 0)
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return -1;
	if (len == 0 || lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
		return 0;
	out = xmalloc(LWS_PRE + len);
	memcpy(out + LWS_PRE, body, len);
	n = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return n < 0 ? -1 : 0;
}

/* Write status, headers and body of an HTTP answer. */
int
http_reply(struct lws *wsi, int status, const char *ctype, const char *body,
    size_t len, const char *hname, const char *hval)
{
	return http_answer(wsi, status, ctype, body, len, hname, hval, 0);
}

/* Refuse a WebSocket upgrade with the JSON object o (taken over). */
int
http_refuse_upgrade(struct lws *wsi, int status, struct json_object *o,
    const char *hname, const char *hval)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	s = avjson_str(o, &len);
	rc = http_answer(wsi, status, "application/json", s, len, hname, hval,
	    1);
	json_object_put(o);
	return rc;
}

/* Answer a JSON object and put it. */
int
http_reply_json(struct lws *wsi, int status, struct json_object *o,
    const char *hname, const char *hval)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	s = avjson_str(o, &len);
	rc = http_reply(wsi, status, "application/json", s, len, hname, hval);
	json_object_put(o);
	return rc;
}

/* {"detail": msg} */
int
http_reply_error(struct lws *wsi, int status, const char *msg)
{
	return http_reply_json(wsi, status, http_detail_str(msg), NULL, NULL);
}

/*
 * A query argument's value (lws copies "name=value" whole). The buffer
 * holds any fragment lws can have (its headers, URI included, fit in
 * 4096 bytes): lws_get_urlarg_by_name gives up at the first fragment
 * that does not fit, and so a long dummy argument would hide the ones
 * after it.
 */
int
http_arg(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	char	 frag[4096 + 1];
	const char *v;

	v = lws_get_urlarg_by_name(wsi, name, frag, sizeof frag);
	if (v == NULL)
		return 0;
	if (strlen(v) >= outlen)
		return -1;
	strcpy(out, v);
	return 1;
}

/* Answer 429: wait seconds before trying again. 0 or -1. */
int
http_reply_rate(struct lws *wsi, int wait)
{
	char	num[16];

	snprintf(num, sizeof num, "%d", wait);
	return http_reply_json(wsi, 429, ingest_error("rate limit: retry in "
	    "%d s", wait), "retry-after:", num);
}

/* Finish a transaction: 0 keeps the connection, -1 closes it. */
int
http_done(struct lws *wsi)
{
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * {"detail":[{"loc":[where,name],"msg":msg,"type":"value_error"}]}, the
 * form of every 422 of the read API (where is "query") and of a
 * malformed upgrade ("header").
 */
struct json_object *
http_detail(const char *where, const char *name, const char *msg)
{
	struct json_object	*o, *d, *e, *loc;

	loc = json_object_new_array();
	json_object_array_add(loc, json_object_new_string(where));
	json_object_array_add(loc, json_object_new_string(name));
	e = json_object_new_object();
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(
	    "value_error"));
	d = json_object_new_array();
	json_object_array_add(d, e);
	o = json_object_new_object();
	json_object_object_add(o, "detail", d);
	return o;
}

/* {"detail": msg} */
struct json_object *
http_detail_str(const char *msg)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(msg));
	return o;
}

/* Answer 422 for a bad query parameter. */
int
http_bad_query(struct lws *wsi, const char *name, const char *msg)
{
	return http_reply_json(wsi, 422, http_detail("query", name, msg), NULL,
	    NULL);
}

/* Read a non-negative integer query argument; 0 absent, 1 set, -1 bad. */
int
http_arg_int(struct lws *wsi, const char *name, long long *v)
{
	char	buf[32], *ep;

	switch (http_arg(wsi, name, buf, sizeof buf)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	errno = 0;
	*v = strtoll(buf, &ep, 10);
	if (buf[0] == '\0' || *ep != '\0' || *v < 0 || errno != 0)
		return -1;
	return 1;
}

/*
 * A filter argument: out when present and not empty, else NULL with *rc
 * 0 (absent or empty) or -1 (too long: the caller answers 422, for a
 * filter dropped in silence would answer with every event).
 */
const char *
http_arg_str(struct lws *wsi, const char *name, char *out, size_t outlen,
    int *rc)
{
	*rc = http_arg(wsi, name, out, outlen);
	if (*rc == 1 && out[0] != '\0')
		return out;
	if (*rc == 1)
		*rc = 0;
	return NULL;
}
