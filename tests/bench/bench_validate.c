/*
 * bench_validate.c: how many typical events per second one core parses
 * and validates, against parsing alone as the baseline (figures are
 * printed, never asserted), and evt_validate alone on an
 * already parsed event. The target is >= 500,000 events/s for a typical
 * ~400-byte event. Parsing is json-c's and dominates the sum. A second
 * event of the same shape with non-ASCII text is parsed too: checking
 * UTF-8 costs most there.
 *
 * usage: bench_validate [seconds-per-run]   (default 1)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avjson.h"
#include "event.h"
#include "timefmt.h"

/* A typical event as hookcli sends it for a tool call: about 400 bytes. */
static const char bench_event[] =
    "{\"event_type\":\"operation_allowed\","
    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\","
    "\"agent_id\":\"claude-code-7f3a9c\",\"agent_name\":\"coder\","
    "\"agent_role\":\"worker\",\"operation\":\"write_file\","
    "\"status\":\"success\",\"metadata\":{"
    "\"session_id\":\"9c0e7a52-1d3b-4f6e-8a2c-5b7d9e1f3a4c\","
    "\"project\":\"agentvis\",\"trace_id\":\"trace-0001\","
    "\"user_id\":\"alice\",\"tool_name\":\"Write\","
    "\"tool_use_id\":\"toolu_01ABCDEF\","
    "\"attempt\":1}}";

/* The same with French, Japanese and emoji text: 510 bytes, 70 of them non-ASCII. */
static const char bench_event_utf8[] =
    "{\"event_type\":\"operation_allowed\","
    "\"timestamp\":\"2026-11-26T16:35:09.123Z\","
    "\"event_id\":\"3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70\","
    "\"agent_id\":\"claude-code-7f3a9c\",\"agent_name\":\"r\xc3\xa9" "dacteur\","
    "\"agent_role\":\"\xe4\xbd\x9c\xe6\xa5\xad\xe8\x80\x85\",\"operation\":\"write_file\","
    "\"status\":\"success\",\"metadata\":{"
    "\"session_id\":\"9c0e7a52-1d3b-4f6e-8a2c-5b7d9e1f3a4c\","
    "\"project\":\"\xe3\x82\xa8\xe3\x83\xbc\xe3\x82\xb8\xe3\x82\xa7\xe3\x83\xb3\xe3\x83\x88\","
    "\"trace_id\":\"trace-0001\",\"user_id\":\"z\xc3\xb6" "e\","
    "\"tool_name\":\"Write\",\"tool_use_id\":\"toolu_01ABCDEF\","
    "\"prompt\":\"\xc2\xab r\xc3\xa9sum\xc3\xa9 \xc2\xbb \xe2\x80\x94 "
    "\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab\xe3\x82\x92\xe6\x9b\xb8\xe3\x81\x8f "
    "\xf0\x9f\x93\x9d\xe2\x9c\x85\","
    "\"attempt\":1}}";

/* Events per second of parse of text (and validate, when asked) over secs seconds. */
static double
bench_run(const char *text, int validate, double secs, long *count)
{
	struct json_object	*ev;
	struct evt_error	 errs[4];
	size_t			 len = strlen(text);
	int64_t			 start, now;
	long			 n = 0, i;

	start = ts_mono_us();
	do {
		/* Check the clock every 1000 events: it costs as much as a parse. */
		for (i = 0; i < 1000; i++) {
			if ((ev = avjson_parse(text, len, NULL)) == NULL) {
				fprintf(stderr, "bench event does not parse\n");
				exit(1);
			}
			if (validate && evt_validate(ev, 0, errs, 4) != 0) {
				fprintf(stderr, "bench event invalid: %s: %s\n",
				    errs[0].field, errs[0].msg);
				exit(1);
			}
			json_object_put(ev);
		}
		n += i;
		now = ts_mono_us();
	} while (now - start < (int64_t)(secs * 1e6));
	*count = n;
	return n / ((now - start) / 1e6);
}

/*
 * Events per second of json-c by itself (a reused tokener, no limits, no
 * pre-pass): the floor under anything built on json-c.
 */
static double
bench_jsonc_raw(double secs, long *count)
{
	struct json_tokener	*tok = json_tokener_new();
	struct json_object	*ev;
	int64_t			 start, now;
	long			 n = 0, i;

	if (tok == NULL)
		exit(1);
	start = ts_mono_us();
	do {
		for (i = 0; i < 1000; i++) {
			json_tokener_reset(tok);
			ev = json_tokener_parse_ex(tok, bench_event,
			    (int)sizeof bench_event - 1);
			if (ev == NULL)
				exit(1);
			json_object_put(ev);
		}
		n += i;
		now = ts_mono_us();
	} while (now - start < (int64_t)(secs * 1e6));
	json_tokener_free(tok);
	*count = n;
	return n / ((now - start) / 1e6);
}

/* Events per second of evt_validate alone on one parsed event. */
static double
bench_validate_only(double secs, long *count)
{
	struct json_object	*ev;
	struct evt_error	 errs[4];
	int64_t			 start, now;
	long			 n = 0, i;
	int			 bad = 0;

	ev = avjson_parse(bench_event, sizeof bench_event - 1, NULL);
	start = ts_mono_us();
	do {
		for (i = 0; i < 1000; i++)
			bad += evt_validate(ev, 0, errs, 4);
		n += i;
		now = ts_mono_us();
	} while (now - start < (int64_t)(secs * 1e6));
	json_object_put(ev);
	if (bad != 0)
		exit(1);
	*count = n;
	return n / ((now - start) / 1e6);
}

/* Run parse alone, then parse + validate; print the rates and the ratio. */
int
main(int argc, char **argv)
{
	double	secs = argc > 1 ? atof(argv[1]) : 1.0, parse, both, val, raw, utf8;
	long	np, nb, nv, nr, nu;

	if (secs <= 0)
		secs = 1.0;
	printf("event: %zu bytes; non-ASCII event: %zu bytes\n",
	    sizeof bench_event - 1, sizeof bench_event_utf8 - 1);
	bench_run(bench_event, 1, 0.1, &np);	/* warm up caches and the tokener */
	raw = bench_jsonc_raw(secs, &nr);
	parse = bench_run(bench_event, 0, secs, &np);
	both = bench_run(bench_event, 1, secs, &nb);
	val = bench_validate_only(secs, &nv);
	utf8 = bench_run(bench_event_utf8, 1, secs, &nu);
	printf("json-c alone (floor):  %10.0f events/s (%ld events, %.0f ns/event)\n",
	    raw, nr, 1e9 / raw);
	printf("parse only (baseline): %10.0f events/s (%ld events, %.0f ns/event)\n",
	    parse, np, 1e9 / parse);
	printf("parse + validate:      %10.0f events/s (%ld events, %.0f ns/event)\n",
	    both, nb, 1e9 / both);
	printf("validate only:         %10.0f events/s (%ld events, %.0f ns/event)\n",
	    val, nv, 1e9 / val);
	printf("non-ASCII, parse+val.: %10.0f events/s (%ld events, %.0f ns/event)\n",
	    utf8, nu, 1e9 / utf8);
	printf("parse+validate takes %.2fx the time of parse alone\n",
	    parse / both);
	printf("target >= 500000 events/s: parse+validate %s, validate only %s\n",
	    both >= 500000 ? "met" : "NOT met", val >= 500000 ? "met" : "NOT met");
	return 0;
}
