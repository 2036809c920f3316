/*
 * wsclient.c: a small WebSocket client for the gatewayd tests, on
 * libwebsockets' client API. It behaves like a browser: no subprotocol.
 * Every message received is printed as one line on stdout (flushed), so
 * scripts can count and grep them.
 *
 *   wsclient [-q] [-n count] [-t ms] [-s text] [-w ms] [-H header]
 *            port path
 *
 * -n stop after count messages; -t stop after ms; -s send text once
 * connected; -w do not read for ms after connecting (a slow client);
 * -H add a request header ("Authorization: Bearer T"); -q no messages
 * on stdout (count only, printed at exit as "received N").
 * Exit: 0 when stopped by -n/-t or a server close, 2 when the connection
 * was refused (the HTTP status is printed on stderr), 1 on other errors.
 * The close code the server sent is printed on stderr as "close CODE".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

static struct lws_context	*ctx;
static long			 want_n = -1, got_n;
static long			 stop_ms = -1, pause_ms;
static const char		*send_text, *header;
static int			 quiet, done, rc;
static char			*rxbuf;
static size_t			 rxlen, rxcap;
static lws_sorted_usec_list_t	 sul_stop, sul_resume;
static struct lws		*client;

/* -t elapsed. */
static void
stop_cb(lws_sorted_usec_list_t *sul)
{
	done = 1;
	lws_cancel_service(ctx);
}

/* -w elapsed: start reading. */
static void
resume_cb(lws_sorted_usec_list_t *sul)
{
	if (client != NULL)
		lws_rx_flow_control(client, 1);
}

/* One message complete. */
static void
message(void)
{
	got_n++;
	if (!quiet) {
		fwrite(rxbuf, 1, rxlen, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	rxlen = 0;
	if (want_n >= 0 && got_n >= want_n)
		done = 1;
}

/* The client's lws callback: headers, messages, close codes. */
static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	unsigned char	 **p, *end;
	size_t		 n;
	int		 m;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (header != NULL) {
			const char *colon = strchr(header, ':');
			char	 name[128];

			if (colon == NULL || (size_t)(colon - header) + 2 >
			    sizeof name)
				return -1;
			memcpy(name, header, (size_t)(colon - header) + 1);
			name[colon - header + 1] = '\0';
			colon++;
			while (*colon == ' ')
				colon++;
			p = (unsigned char **)in;
			end = *p + len;
			if (lws_add_http_header_by_name(wsi,
			    (unsigned char *)name, (const unsigned char *)colon,
			    (int)strlen(colon), p, end))
				return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "wsclient: refused: %s\n",
		    in ? (char *)in : "(no reason)");
		rc = 2;
		done = 1;
		client = NULL;
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (pause_ms > 0) {
			lws_rx_flow_control(wsi, 0);
			lws_sul_schedule(ctx, 0, &sul_resume, resume_cb,
			    pause_ms * 1000);
		}
		if (send_text != NULL)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (send_text != NULL) {
			unsigned char	*sb;

			n = strlen(send_text);
			if ((sb = malloc(LWS_PRE + n)) == NULL)
				abort();
			memcpy(sb + LWS_PRE, send_text, n);
			send_text = NULL;
			m = lws_write(wsi, sb + LWS_PRE, n, LWS_WRITE_TEXT);
			free(sb);
			if (m < (int)n)
				return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (rxlen + len + 1 > rxcap) {
			rxcap = (rxlen + len + 1) * 2;
			rxbuf = realloc(rxbuf, rxcap);
			if (rxbuf == NULL)
				abort();
		}
		memcpy(rxbuf + rxlen, in, len);
		rxlen += len;
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0)
			message();
		if (done)
			return -1;
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			fprintf(stderr, "wsclient: close %d %.*s\n",
			    ((unsigned char *)in)[0] << 8 |
			    ((unsigned char *)in)[1], (int)len - 2,
			    (char *)in + 2);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		done = 1;
		client = NULL;
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "wsclient", callback, 0, 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Say how to call us and exit 1. */
static void
usage(void)
{
	fprintf(stderr, "usage: wsclient [-q] [-n count] [-t ms] [-s text] "
	    "[-w ms] [-H header] port path\n");
	exit(1);
}

/* Connect, print what comes, stop on -n, -t or the server's close. */
int
main(int argc, char **argv)
{
	struct lws_context_creation_info	info;
	struct lws_client_connect_info		ci;
	char					host[64];
	int					ch;

	while ((ch = getopt(argc, argv, "H:n:qs:t:w:")) != -1) {
		switch (ch) {
		case 'H':
			header = optarg;
			break;
		case 'n':
			want_n = atol(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 's':
			send_text = optarg;
			break;
		case 't':
			stop_ms = atol(optarg);
			break;
		case 'w':
			pause_ms = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.fd_limit_per_thread = 64;
	if ((ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "wsclient: no lws context\n");
		return 1;
	}
	memset(&ci, 0, sizeof ci);
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = atoi(argv[optind]);
	ci.path = argv[optind + 1];
	snprintf(host, sizeof host, "127.0.0.1:%d", ci.port);
	ci.host = host;		/* as a browser sends it */
	ci.origin = NULL;	/* not a browser: no Origin unless -H */
	ci.protocol = NULL;	/* like a browser's new WebSocket(url) */
	ci.local_protocol_name = "wsclient";
	ci.pwsi = &client;
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "wsclient: cannot connect\n");
		lws_context_destroy(ctx);
		return 1;
	}
	if (stop_ms >= 0)
		lws_sul_schedule(ctx, 0, &sul_stop, stop_cb,
		    stop_ms * 1000);
	while (!done)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_sul_cancel(&sul_stop);
	lws_sul_cancel(&sul_resume);
	lws_context_destroy(ctx);
	if (quiet)
		printf("received %ld\n", got_n);
	free(rxbuf);
	return rc;
}
