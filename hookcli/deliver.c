/*
 * deliver.c: hand event lines to collectord and account for every one.
 *
 * Each line ends in exactly one state. Acked means collectord has it in its
 * spool. A validation or too_large answer is final: collectord refused
 * that event, and sending it again cannot help.
 *
 * Everything else is parked in the fallback dir: collectord unreachable,
 * no answer before the deadline, connection lost, an internal error, a
 * reply we cannot read, and busy. busy refuses the moment, not the event
 * (too many clients, a full spool, a collectord shutting down), and
 * collectord takes the fallback dir in as soon as it can: at its next
 * scan past max_clients, when its spool has room again, at its next
 * start. Nothing else keeps a copy of the event, so not parking it would
 * lose it.
 *
 * Where collectord may already have spooled the event (no reply in time,
 * the connection lost), parking it may deliver it twice; that is safe
 * because the copy keeps its event_id and timestamp, and gatewayd stores
 * and broadcasts an event with both once. Losing an event is not safe, so
 * we prefer the copy.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fallback.h"
#include "hookcli.h"
#include "proto.h"
#include "xmalloc.h"

/* Empty batch. */
void
hk_batch_init(struct hk_batch *b)
{
	memset(b, 0, sizeof *b);
}

/* Free what the batch holds. */
void
hk_batch_clear(struct hk_batch *b)
{
	free(b->buf);
	free(b->items);
	hk_batch_init(b);
}

/* Append one line (without newline; one is added). */
void
hk_batch_add(struct hk_batch *b, const char *line, size_t len, size_t lineno)
{
	struct hk_item	*it;

	while (b->len + len + 1 > b->cap) {
		b->cap = b->cap == 0 ? 4096 : b->cap * 2;
		b->buf = xreallocarray(b->buf, b->cap, 1);
	}
	if (b->n == b->nalloc) {
		b->nalloc = b->nalloc == 0 ? 8 : b->nalloc * 2;
		b->items = xreallocarray(b->items, b->nalloc, sizeof *b->items);
	}
	it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	it->off = b->len;
	it->len = len + 1;
	it->lineno = lineno;
	it->state = HK_ST_PENDING;
	memcpy(b->buf + b->len, line, len);
	b->buf[b->len + len] = '\n';
	b->len += len + 1;
}

/* Sort one reply line onto its item. */
static void
deliver_reply(void *arg, size_t idx, const char *line, size_t len)
{
	struct hk_batch		*b = arg;
	struct hk_item		*it = &b->items[idx];
	struct proto_reply	 r;

	memset(&r, 0, sizeof r);
	if (line == NULL) {
		snprintf(it->detail, sizeof it->detail,
		    "reply from collectord too long");
		return;
	}
	if (proto_reply_parse(line, len, &r) == -1) {
		snprintf(it->detail, sizeof it->detail,
		    "unreadable reply from collectord");
		goto out;
	}
	if (r.ok) {
		it->state = HK_ST_ACKED;
		goto out;
	}
	switch (r.err) {
	case PROTO_VALIDATION:
	case PROTO_TOO_LARGE:
		it->state = HK_ST_REJECTED;
		snprintf(it->detail, sizeof it->detail, "%s: %s",
		    proto_err_name(r.err), r.detail);
		break;
	case PROTO_BUSY:
		/* Not a refusal of the event: it stays pending, to be parked. */
		it->busy = 1;
		snprintf(it->detail, sizeof it->detail, "collectord busy: %s",
		    r.detail);
		break;
	default:
		/* internal: collectord could not spool it; park it. */
		snprintf(it->detail, sizeof it->detail,
		    "collectord error: %s: %s", proto_err_name(r.err),
		    r.detail);
		break;
	}
out:
	if (r.body != NULL)
		json_object_put(r.body);
}

/* Park every pending item in one fallback file. */
static void
deliver_park(const struct hk_opts *o, struct hk_batch *b)
{
	char	*data, *cause = NULL;
	size_t	 i, len = 0;

	for (i = 0; i < b->n; i++)
		if (b->items[i].state == HK_ST_PENDING)
			len += b->items[i].len;
	if (len == 0)
		return;
	data = xmalloc(len);
	len = 0;
	for (i = 0; i < b->n; i++) {
		if (b->items[i].state != HK_ST_PENDING)
			continue;
		memcpy(data + len, b->buf + b->items[i].off, b->items[i].len);
		len += b->items[i].len;
	}
	if (fallback_write(o->fallback_dir, data, len, &cause) == 0) {
		for (i = 0; i < b->n; i++)
			if (b->items[i].state == HK_ST_PENDING)
				b->items[i].state = HK_ST_PARKED;
	} else {
		for (i = 0; i < b->n; i++) {
			if (b->items[i].state != HK_ST_PENDING)
				continue;
			b->items[i].state = HK_ST_FAILED;
			snprintf(b->items[i].detail, sizeof b->items[i].detail,
			    "fallback %s: %s", o->fallback_dir,
			    cause != NULL ? cause : "failed");
		}
		snprintf(b->why + strlen(b->why), sizeof b->why -
		    strlen(b->why), "; fallback %s: %s", o->fallback_dir,
		    cause != NULL ? cause : "failed");
	}
	free(cause);
	free(data);
}

/* Deliver every item; fill states and counts. */
void
hk_deliver(const struct hk_opts *o, struct hk_batch *b)
{
	struct hk_xresult	 x;
	size_t			 i;

	memset(b->count, 0, sizeof b->count);
	b->nbusy = 0;
	b->why[0] = '\0';
	if (b->n == 0)
		return;
	hk_exchange(o->socket, b->buf, b->len, b->n, o->deadline_us,
	    deliver_reply, b, &x);
	for (i = 0; i < b->n; i++)
		b->nbusy += b->items[i].busy;
	if (b->nbusy > 0) {
		/* The cause, even when collectord then closed the connection. */
		for (i = 0; !b->items[i].busy; i++)
			continue;
		snprintf(b->why, sizeof b->why, "%s", b->items[i].detail);
	} else if (x.status != HK_X_DONE) {
		snprintf(b->why, sizeof b->why, "%s%s", x.status ==
		    HK_X_NOCONNECT ? "collectord unreachable: " : "", x.why);
	} else {
		/* Every line answered; a pending one had an odd answer. */
		for (i = 0; i < b->n; i++) {
			if (b->items[i].state == HK_ST_PENDING) {
				snprintf(b->why, sizeof b->why, "%s",
				    b->items[i].detail);
				break;
			}
		}
	}
	deliver_park(o, b);
	for (i = 0; i < b->n; i++)
		b->count[b->items[i].state]++;
}
