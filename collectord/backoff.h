/*
 * backoff.h: when to try the gateway again.
 *
 * Attempt k (k = 1 for the first retry) waits retry_base_ms * 2^(k-1),
 * capped at retry_max_ms, with jitter: the wait is drawn uniformly from
 * [80 %, 100 %] of that figure so that many collectords restarted together
 * do not retry in lock step. After max_retries retries every further one
 * waits the cap (again with jitter): the batch stays spooled and delivery
 * goes on for as long as the outage lasts. A Retry-After from the gateway
 * is a floor: the wait is the larger of it and the backoff, and never more
 * than retry_max_ms, so a gateway cannot park us for hours.
 */
#ifndef CD_BACKOFF_H
#define CD_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t	base_ms;
	int64_t	max_ms;
	int64_t	max_retries;
};

/*
 * Wait in ms before retry number attempt (1-based). rnd is a uniform
 * random number in [0, 1); retry_after_ms < 0 when the answer had none.
 */
int64_t backoff_delay(const struct backoff *b, int64_t attempt, double rnd,
    int64_t retry_after_ms);
/*
 * Parse a Retry-After value (delta seconds, or an HTTP date relative to
 * now_ms). Returns ms (>= 0), or -1 when it is not understood.
 */
int64_t backoff_retry_after(const char *value, int64_t now_ms);

#endif
