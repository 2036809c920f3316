/*
 * ratelimit.h: token buckets keyed by string (a token, an address).
 *
 * Each key may spend `burst` requests at once and earns `rate` per second
 * back. The table is bounded: when it fills, buckets that have refilled
 * completely (idle clients) are forgotten, which loses nothing since a
 * full bucket is what a new key starts with.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* New table; rate 0 = unlimited. */
struct ratelimit *ratelimit_new(double rate, double burst, size_t maxkeys);
/* Change rate and burst (SIGHUP); existing buckets keep their level. */
void ratelimit_set(struct ratelimit *rl, double rate, double burst);
/*
 * Spend one request of key at time now_us (monotonic). Returns 0 when
 * allowed, else the whole seconds until one is available (>= 1), for
 * Retry-After.
 */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_us);
/* Keys currently tracked. */
size_t ratelimit_count(const struct ratelimit *rl);
/* Free the table. */
void ratelimit_free(struct ratelimit *rl);

#endif
