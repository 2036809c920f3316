/*
 * metrics.c: the counters of struct gw_metrics as Prometheus text
 * (/metrics) and as the JSON of /api/v1/events/stats.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "buf.h"
#include "gateway.h"
#include "log.h"
#include "xmalloc.h"

/* Statuses the ingest endpoint answers; the last slot counts the rest. */
const int gw_status_codes[GW_NSTATUS] = {
	200, 400, 401, 403, 404, 405, 408, 411, 413, 414, 415, 422, 426, 429,
	431, 500, 503, 505, 0
};

/* Upper bounds of the store latency buckets, seconds. */
const double gw_latency_bounds[GW_NLATENCY] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 1.0
};

/* Slot of status in ingest_requests. */
int
gw_status_slot(int status)
{
	int	i;

	for (i = 0; i < GW_NSTATUS - 1; i++)
		if (gw_status_codes[i] == status)
			return i;
	return GW_NSTATUS - 1;
}

/* Count one observation. */
void
metrics_observe(struct gw_hist *h, int64_t us)
{
	double	s = (double)us / 1e6;
	int	i;

	for (i = 0; i < GW_NLATENCY; i++)
		if (s <= gw_latency_bounds[i])
			break;
	h->bucket[i]++;
	h->sum += s;
	h->count++;
}

/* Write histogram h as metric name, with its help text. */
static void
metrics_hist(struct gwbuf *b, const char *name, const char *help,
    const struct gw_hist *h)
{
	uint64_t	cum = 0;
	int		i;

	gwbuf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help,
	    name);
	for (i = 0; i < GW_NLATENCY; i++) {
		cum += h->bucket[i];
		gwbuf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    gw_latency_bounds[i], (unsigned long long)cum);
	}
	cum += h->bucket[GW_NLATENCY];
	gwbuf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", name, (unsigned long long)cum, name, h->sum,
	    name, (unsigned long long)h->count);
}

/* A counter by HTTP status; the last slot counts the codes not listed. */
static void
by_status(struct gwbuf *b, const char *name, const char *help,
    const uint64_t counts[GW_NSTATUS])
{
	int	i;

	gwbuf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help,
	    name);
	for (i = 0; i < GW_NSTATUS; i++) {
		if (gw_status_codes[i] == 0)
			gwbuf_printf(b, "%s{status=\"other\"} %llu\n", name,
			    (unsigned long long)counts[i]);
		else
			gwbuf_printf(b, "%s{status=\"%d\"} %llu\n", name,
			    gw_status_codes[i], (unsigned long long)counts[i]);
	}
}

/* Prometheus text exposition (format 0.0.4). */
char *
metrics_text(struct gw *gw, size_t *len)
{
	struct gw_metrics	*m = &gw->m;
	struct gwbuf		 b;
	int64_t			 counts[EVT__COUNT], total = 0;
	struct store_wal	 wal;
	char			*cause = NULL, *out;
	int			 i;

	gwbuf_init(&b, 0);
	by_status(&b, "agentvis_ingest_requests_total",
	    "Ingest requests by HTTP status.", m->ingest_requests);
	by_status(&b, "agentvis_http_responses_total",
	    "Every HTTP answer, by status (refusals of the router and of the "
	    "stream's upgrades included).", m->http_responses);
	gwbuf_printf(&b, "# HELP agentvis_ingest_events_total Events "
	    "stored by ingest.\n# TYPE agentvis_ingest_events_total counter\n"
	    "agentvis_ingest_events_total %llu\n"
	    "# HELP agentvis_ingest_duplicates_total Events already stored "
	    "(same event_id).\n"
	    "# TYPE agentvis_ingest_duplicates_total counter\n"
	    "agentvis_ingest_duplicates_total %llu\n"
	    "# HELP agentvis_ingest_rejected_events_total Events of refused "
	    "batches.\n# TYPE agentvis_ingest_rejected_events_total counter\n"
	    "agentvis_ingest_rejected_events_total %llu\n",
	    (unsigned long long)m->ingest_events,
	    (unsigned long long)m->ingest_duplicates,
	    (unsigned long long)m->ingest_rejected);

	gwbuf_puts(&b, "# HELP agentvis_ingested_events_by_type_total Events "
	    "stored since start, by type.\n"
	    "# TYPE agentvis_ingested_events_by_type_total counter\n");
	for (i = 0; i < EVT__COUNT; i++)
		gwbuf_printf(&b, "agentvis_ingested_events_by_type_total"
		    "{type=\"%s\"} %llu\n", evt_types[i].name,
		    (unsigned long long)m->ingest_by_type[i]);

	if (store_counts(gw->store, counts, &total, &cause) == 0) {
		gwbuf_puts(&b, "# HELP agentvis_stored_events Events in the "
		    "store, by type.\n# TYPE agentvis_stored_events gauge\n");
		for (i = 0; i < EVT__COUNT; i++)
			gwbuf_printf(&b, "agentvis_stored_events{type=\"%s\"} "
			    "%lld\n", evt_types[i].name, (long long)counts[i]);
	} else {
		log_warnx_limited("metrics: %s", cause);
		free(cause);
	}
	if (store_wal(gw->store, &wal) == 0)
		gwbuf_printf(&b, "# HELP agentvis_store_wal_pages Pages in "
		    "SQLite's write-ahead log after the last commit.\n"
		    "# TYPE agentvis_store_wal_pages gauge\n"
		    "agentvis_store_wal_pages %lld\n"
		    "# HELP agentvis_store_wal_pinned 1 while another "
		    "program's read keeps the log from being checkpointed.\n"
		    "# TYPE agentvis_store_wal_pinned gauge\n"
		    "agentvis_store_wal_pinned %d\n", (long long)wal.pages,
		    wal.pinned);
	gwbuf_printf(&b, "# HELP agentvis_ingest_backlog_bytes Bytes of "
	    "ingest bodies waiting for the store writer.\n"
	    "# TYPE agentvis_ingest_backlog_bytes gauge\n"
	    "agentvis_ingest_backlog_bytes %zu\n", gw->backlog);
	gwbuf_printf(&b, "# HELP agentvis_last_seq Highest seq assigned.\n"
	    "# TYPE agentvis_last_seq gauge\nagentvis_last_seq %lld\n",
	    (long long)store_last_seq(gw->store));

	gwbuf_printf(&b,
	    "# HELP agentvis_ws_connections WebSocket clients connected.\n"
	    "# TYPE agentvis_ws_connections gauge\n"
	    "agentvis_ws_connections %zu\n"
	    "# HELP agentvis_ws_connections_total WebSocket clients accepted."
	    "\n# TYPE agentvis_ws_connections_total counter\n"
	    "agentvis_ws_connections_total %llu\n"
	    "# HELP agentvis_ws_refused_total WebSocket upgrades refused.\n"
	    "# TYPE agentvis_ws_refused_total counter\n"
	    "agentvis_ws_refused_total %llu\n"
	    "# HELP agentvis_ws_messages_sent_total Messages written to "
	    "WebSocket clients.\n"
	    "# TYPE agentvis_ws_messages_sent_total counter\n"
	    "agentvis_ws_messages_sent_total %llu\n"
	    "# HELP agentvis_ws_queue_drops_total Messages dropped from the "
	    "queues of lagging clients.\n"
	    "# TYPE agentvis_ws_queue_drops_total counter\n"
	    "agentvis_ws_queue_drops_total %llu\n"
	    "# HELP agentvis_ws_lagged_total Clients disconnected for "
	    "falling behind.\n# TYPE agentvis_ws_lagged_total counter\n"
	    "agentvis_ws_lagged_total %llu\n",
	    gw->nconns, (unsigned long long)m->ws_connections_total,
	    (unsigned long long)m->ws_refused,
	    (unsigned long long)m->ws_messages_sent,
	    (unsigned long long)m->ws_queue_drops,
	    (unsigned long long)m->ws_lagged);

	metrics_hist(&b, "agentvis_store_insert_seconds", "Time of each store "
	    "transaction; with SQLite, ingest batches waiting together share "
	    "one.", &m->store_latency);
	metrics_hist(&b, "agentvis_ingest_seconds", "Time from a whole ingest "
	    "body to its answer: parse, wait, store and broadcast.",
	    &m->ingest_latency);
	gwbuf_printf(&b, "# HELP agentvis_store_errors_total Store calls that "
	    "failed.\n# TYPE agentvis_store_errors_total counter\n"
	    "agentvis_store_errors_total %llu\n",
	    (unsigned long long)m->store_errors);

	out = xstrdup(gwbuf_data(&b));
	*len = b.len;
	gwbuf_free(&b);
	return out;
}

/* {"total":N,"by_type":{…},"ingest":{…},"connections":N,…} */
struct json_object *
metrics_stats(struct gw *gw)
{
	struct gw_metrics	*m = &gw->m;
	struct json_object	*o, *bt, *in, *ws;
	int64_t			 counts[EVT__COUNT], total = 0;
	char			*cause = NULL;
	int			 i;

	o = json_object_new_object();
	if (store_counts(gw->store, counts, &total, &cause) != 0) {
		log_warnx_limited("stats: %s", cause);
		free(cause);
		memset(counts, 0, sizeof counts);
	}
	bt = json_object_new_object();
	for (i = 0; i < EVT__COUNT; i++)
		json_object_object_add(bt, evt_types[i].name,
		    json_object_new_int64(counts[i]));
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "by_type", bt);
	json_object_object_add(o, "last_seq",
	    json_object_new_int64(store_last_seq(gw->store)));

	in = json_object_new_object();
	json_object_object_add(in, "requests", json_object_new_int64(
	    (int64_t)m->ingest_requests[gw_status_slot(200)]));
	json_object_object_add(in, "accepted",
	    json_object_new_int64((int64_t)m->ingest_events));
	json_object_object_add(in, "duplicates",
	    json_object_new_int64((int64_t)m->ingest_duplicates));
	json_object_object_add(in, "rejected",
	    json_object_new_int64((int64_t)m->ingest_rejected));
	json_object_object_add(o, "ingest", in);

	json_object_object_add(o, "connections",
	    json_object_new_int64((int64_t)gw->nconns));
	ws = json_object_new_object();
	json_object_object_add(ws, "messages_sent",
	    json_object_new_int64((int64_t)m->ws_messages_sent));
	json_object_object_add(ws, "queue_drops",
	    json_object_new_int64((int64_t)m->ws_queue_drops));
	json_object_object_add(ws, "lagged",
	    json_object_new_int64((int64_t)m->ws_lagged));
	json_object_object_add(o, "stream", ws);
	json_object_object_add(o, "store",
	    json_object_new_string(store_kind(gw->store)));
	return o;
}
