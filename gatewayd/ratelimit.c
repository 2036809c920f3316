/*
 * ratelimit.c: token buckets in a chained hash table. Time only moves
 * through the now_us argument, so tests can drive it.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define RL_BUCKETS 1024

struct rl_entry {
	struct rl_entry	*next;
	double		 level;		/* requests available */
	int64_t		 last_us;	/* when level was computed */
	char		 key[];
};

struct ratelimit {
	double		 rate;
	double		 burst;
	size_t		 maxkeys;
	size_t		 nkeys;
	struct rl_entry	*tab[RL_BUCKETS];
};

/* FNV-1a: short keys, no adversary gains much by colliding them. */
static unsigned
rl_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % RL_BUCKETS;
}

/* New table. */
struct ratelimit *
ratelimit_new(double rate, double burst, size_t maxkeys)
{
	struct ratelimit	*rl;

	rl = xcalloc(1, sizeof *rl);
	rl->maxkeys = maxkeys ? maxkeys : 65536;
	ratelimit_set(rl, rate, burst);
	return rl;
}

/* Change rate and burst. */
void
ratelimit_set(struct ratelimit *rl, double rate, double burst)
{
	rl->rate = rate;
	rl->burst = burst >= 1 ? burst : 1;
}

/* Bring e's level up to now. */
static void
rl_refill(struct ratelimit *rl, struct rl_entry *e, int64_t now_us)
{
	if (now_us > e->last_us) {
		e->level += (double)(now_us - e->last_us) / 1e6 * rl->rate;
		if (e->level > rl->burst)
			e->level = rl->burst;
	}
	e->last_us = now_us;
}

/* Forget every bucket that is full again (its client went quiet). */
static void
rl_sweep(struct ratelimit *rl, int64_t now_us)
{
	struct rl_entry	**pp, *e;
	size_t		  i;

	for (i = 0; i < RL_BUCKETS; i++) {
		for (pp = &rl->tab[i]; (e = *pp) != NULL;) {
			rl_refill(rl, e, now_us);
			if (e->level >= rl->burst) {
				*pp = e->next;
				free(e);
				rl->nkeys--;
			} else
				pp = &e->next;
		}
	}
}

/* Spend one request of key; 0 or seconds to wait. */
int
ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_us)
{
	struct rl_entry	*e;
	unsigned	 h;
	size_t		 len;
	double		 wait;

	if (rl->rate <= 0)
		return 0;
	h = rl_hash(key);
	for (e = rl->tab[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL) {
		if (rl->nkeys >= rl->maxkeys)
			rl_sweep(rl, now_us);
		if (rl->nkeys >= rl->maxkeys)
			return 1;	/* every tracked client is busy */
		len = strlen(key);
		e = xmalloc(sizeof *e + len + 1);
		memcpy(e->key, key, len + 1);
		e->level = rl->burst;
		e->last_us = now_us;
		e->next = rl->tab[h];
		rl->tab[h] = e;
		rl->nkeys++;
	}
	rl_refill(rl, e, now_us);
	if (e->level >= 1) {
		e->level -= 1;
		return 0;
	}
	wait = (1 - e->level) / rl->rate;
	return wait < 1 ? 1 : (int)ceil(wait);
}

/* Keys tracked. */
size_t
ratelimit_count(const struct ratelimit *rl)
{
	return rl->nkeys;
}

/* Free the table. */
void
ratelimit_free(struct ratelimit *rl)
{
	struct rl_entry	*e, *next;
	size_t		 i;

	if (rl == NULL)
		return;
	for (i = 0; i < RL_BUCKETS; i++)
		for (e = rl->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(rl);
}
