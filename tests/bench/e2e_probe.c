/*
 * e2e_probe.c: the receiving end of tests/bench/bench_e2e.sh, one
 * WebSocket client on gatewayd's stream (libwebsockets' client API, like
 * a browser: no subprotocol).
 *
 *   e2e_probe [-n count] [-t ms] [-i ms] [-k key] [-r readyfile] port path
 *
 * Notes the receive time (CLOCK_REALTIME, the clock the sender stamps
 * with) of every agent_event. When the event's metadata carries the
 * number KEY (default t0_us: the sender's wall clock in µs just before it
 * started hookcli), receive time minus that is one latency sample.
 * -r creates readyfile once the server's "connected" message arrived, so
 * the script starts sending only when nothing can be missed. Stops after
 * count agent_events, after -t ms, or -i ms after the last agent_event
 * (once one came), whichever is first, and prints one line of figures:
 *
 *   events N lagged L other O first_us F last_us L samples S
 *   p50_us A p90_us B p99_us C max_us D cpu_us U
 *   hook_p50_us .. hook_p99_us .. collect_p50_us .. collect_p99_us ..
 *   gw_p50_us .. gw_p99_us ..
 *
 * where cpu_us is the probe's own CPU time (user + system), so a
 * benchmark can tell what the measuring cost. The timed latency is split
 * at the event's two timestamps (millisecond resolution, so read these
 * for queues, not for sub-millisecond costs): hook, t0 to the event's
 * "timestamp" (hookcli starting and building the event); collect, that
 * to "received_at" (hookcli's send, collectord, the HTTP request); gw,
 * that to the receive time (gatewayd storing and broadcasting, and the
 * WebSocket).
 *
 * Exit 0 when count events arrived (or no count was given), 1 otherwise,
 * 2 when the connection failed.
 */
#include "config.h"

#include <sys/resource.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

static struct lws_context	*ctx;
static lws_sorted_usec_list_t	 sul_stop, sul_idle;
static long			 want_n = -1, idle_ms = -1;
static long			 got_n, lagged, other;
static int64_t			 first_us, last_us;
static const char		*key = "t0_us";
static char			 keypat[80];
static size_t			 keypatlen;
static const char		*readyfile;
static int			 done, rc = 1;
static char			*rxbuf;
static size_t			 rxlen, rxcap;
/* A growing set of samples, µs. */
struct probe_set {
	int64_t	*v;
	size_t	 n, cap;
};
static struct probe_set		 lat, seg_hook, seg_collect, seg_gw;

/* Wall clock in µs. */
static int64_t
probe_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* -t or -i elapsed: stop the service loop. */
static void
probe_stop_cb(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	done = 1;
	lws_cancel_service(ctx);
}

/* Keep one sample. */
static void
probe_sample(struct probe_set *ps, int64_t us)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 65536;
		if ((ps->v = realloc(ps->v, ps->cap * sizeof *ps->v)) == NULL)
			abort();
	}
	ps->v[ps->n++] = us;
}

/*
 * The µs since the epoch of the first "name":"YYYY-MM-DDTHH:MM:SS.mmmZ" in
 * the message, or -1.
 */
static int64_t
probe_stamp(const char *name)
{
	char		 pat[32];
	const char	*p;
	struct tm	 tm;
	int		 ms, len;

	len = snprintf(pat, sizeof pat, "\"%s\":\"", name);
	if ((p = memmem(rxbuf, rxlen, pat, (size_t)len)) == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (sscanf(p + len, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (int64_t)timegm(&tm) * 1000000 + ms * 1000;
}

/* Account for one complete message in rxbuf. */
static void
probe_message(void)
{
	static const char	 ev[] = "{\"type\":\"agent_event\"";
	static const char	 lg[] = "{\"type\":\"lagged\"";
	static const char	 cn[] = "{\"type\":\"connected\"";
	const char		*p;
	int64_t			 now = probe_now_us(), t0, ts, rx;
	int			 fd;

	rxbuf[rxlen] = '\0';
	if (rxlen >= sizeof ev - 1 && memcmp(rxbuf, ev, sizeof ev - 1) == 0) {
		if (got_n++ == 0)
			first_us = now;
		last_us = now;
		p = memmem(rxbuf, rxlen, keypat, keypatlen);
		if (p != NULL) {
			t0 = strtoll(p + keypatlen, NULL, 10);
			probe_sample(&lat, now - t0);
			/* The event's own timestamp comes first in the text. */
			ts = probe_stamp("timestamp");
			rx = probe_stamp("received_at");
			if (ts != -1 && rx != -1) {
				probe_sample(&seg_hook, ts - t0);
				probe_sample(&seg_collect, rx - ts);
				probe_sample(&seg_gw, now - rx);
			}
		}
		if (want_n >= 0 && got_n >= want_n)
			done = 1;
		else if (idle_ms >= 0)
			lws_sul_schedule(ctx, 0, &sul_idle, probe_stop_cb,
			    idle_ms * 1000);
	} else if (rxlen >= sizeof lg - 1 &&
	    memcmp(rxbuf, lg, sizeof lg - 1) == 0)
		lagged++;
	else if (rxlen >= sizeof cn - 1 &&
	    memcmp(rxbuf, cn, sizeof cn - 1) == 0) {
		/* Atomically visible: the script polls for the name. */
		if (readyfile != NULL && (fd = open(readyfile,
		    O_WRONLY|O_CREAT|O_TRUNC, 0600)) != -1)
			close(fd);
	} else
		other++;
	rxlen = 0;
}

/* The libwebsockets client callback. */
static int
probe_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "e2e_probe: refused: %s\n",
		    in ? (char *)in : "(no reason)");
		rc = 2;
		done = 1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (rxlen + len + 1 > rxcap) {
			rxcap = (rxlen + len + 1) * 2;
			if ((rxbuf = realloc(rxbuf, rxcap)) == NULL)
				abort();
		}
		memcpy(rxbuf + rxlen, in, len);
		rxlen += len;
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0)
			probe_message();
		if (done)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		done = 1;
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols probe_protocols[] = {
	{ "e2e-probe", probe_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* qsort order of latency samples. */
static int
probe_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of a set, sorting it. */
static long long
probe_quantile(struct probe_set *ps, double q)
{
	size_t	i;

	if (ps->n == 0)
		return 0;
	qsort(ps->v, ps->n, sizeof *ps->v, probe_cmp);
	i = (size_t)(q * (double)ps->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > ps->n)
		i = ps->n;
	return (long long)ps->v[i - 1];
}

/* Print usage and exit. */
static void
probe_usage(void)
{
	fprintf(stderr, "usage: e2e_probe [-n count] [-t ms] [-i ms] "
	    "[-k key] [-r readyfile] port path\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info	 info;
	struct lws_client_connect_info		 ci;
	struct rusage				 ru;
	char					 host[64];
	long					 stop_ms = -1;
	int					 ch;

	while ((ch = getopt(argc, argv, "i:k:n:r:t:")) != -1) {
		switch (ch) {
		case 'i':
			idle_ms = atol(optarg);
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			want_n = atol(optarg);
			break;
		case 'r':
			readyfile = optarg;
			break;
		case 't':
			stop_ms = atol(optarg);
			break;
		default:
			probe_usage();
		}
	}
	if (argc - optind != 2 || strlen(key) > 64)
		probe_usage();
	keypatlen = (size_t)snprintf(keypat, sizeof keypat, "\"%s\":", key);

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = probe_protocols;
	info.fd_limit_per_thread = 16;
	if ((ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "e2e_probe: no lws context\n");
		return 2;
	}
	memset(&ci, 0, sizeof ci);
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = atoi(argv[optind]);
	ci.path = argv[optind + 1];
	snprintf(host, sizeof host, "127.0.0.1:%d", ci.port);
	ci.host = host;
	ci.protocol = NULL;
	ci.local_protocol_name = "e2e-probe";
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "e2e_probe: cannot connect\n");
		lws_context_destroy(ctx);
		return 2;
	}
	if (stop_ms >= 0)
		lws_sul_schedule(ctx, 0, &sul_stop, probe_stop_cb,
		    stop_ms * 1000);
	while (!done)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_sul_cancel(&sul_stop);
	lws_sul_cancel(&sul_idle);
	lws_context_destroy(ctx);

	if (rc != 2)
		rc = (want_n < 0 || got_n >= want_n) ? 0 : 1;
	getrusage(RUSAGE_SELF, &ru);
	printf("events %ld lagged %ld other %ld first_us %lld last_us %lld "
	    "samples %zu p50_us %lld p90_us %lld p99_us %lld max_us %lld "
	    "cpu_us %lld",
	    got_n, lagged, other, (long long)first_us, (long long)last_us,
	    lat.n, probe_quantile(&lat, 0.50), probe_quantile(&lat, 0.90),
	    probe_quantile(&lat, 0.99), probe_quantile(&lat, 1.0),
	    (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	printf(" hook_p50_us %lld hook_p99_us %lld collect_p50_us %lld "
	    "collect_p99_us %lld gw_p50_us %lld gw_p99_us %lld\n",
	    probe_quantile(&seg_hook, 0.50), probe_quantile(&seg_hook, 0.99),
	    probe_quantile(&seg_collect, 0.50),
	    probe_quantile(&seg_collect, 0.99),
	    probe_quantile(&seg_gw, 0.50), probe_quantile(&seg_gw, 0.99));
	free(lat.v);
	free(seg_hook.v);
	free(seg_collect.v);
	free(seg_gw.v);
	free(rxbuf);
	return rc;
}
