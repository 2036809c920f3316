/*
 * http.c: writing gatewayd's HTTP answers and reading query arguments,
 * for every endpoint (routes.c, ingest.c, read.c) and the stream's
 * refused upgrades (stream.c). Answers are JSON; errors are
 * {"detail": …}, as the read API's 422 detail list is.
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

/*
 * Write status, headers and body. Every answer of the API, and every
 * refused upgrade, comes through here: it is counted for /metrics here.
 */
int
http_reply(struct lws *wsi, int status, const char *ctype, const char *body,
    size_t len, const char *hname, const char *hval)
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
	if (lws_add_http_header_by_name(wsi,
	    (const unsigned char *)"cache-control:",
	    (const unsigned char *)"no-store", 8, &p, end) != 0)
		return -1;
	if (hname != NULL && lws_add_http_header_by_name(wsi,
	    (const unsigned char *)hname, (const unsigned char *)hval,
	    (int)strlen(hval), &p, end) != 0)
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return -1;
	if (len == 0)
		return 0;
	out = xmalloc(LWS_PRE + len);
	memcpy(out + LWS_PRE, body, len);
	n = lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(out);
	return n < 0 ? -1 : 0;
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
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(msg));
	return http_reply_json(wsi, status, o, NULL, NULL);
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

/* Answer 422 for a bad query parameter. */
int
http_bad_query(struct lws *wsi, const char *name, const char *msg)
{
	struct json_object	*o, *d, *e, *loc;

	loc = json_object_new_array();
	json_object_array_add(loc, json_object_new_string("query"));
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
	return http_reply_json(wsi, 422, o, NULL, NULL);
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
