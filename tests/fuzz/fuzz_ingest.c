/*
 * fuzz_ingest.c: gatewayd's ingest body parser (ingest_parse) under
 * hostile input: the original batch body, a single event, and anything
 * else.
 *
 * Whatever it accepts must be a batch (an empty one is a valid no-op) of
 * events that pass the validator again; whatever it refuses must come with a 400 or 422 answer
 * object; and nothing may leak or crash. The first input byte picks the
 * X-Event-Count the "client" claims (-1 = header absent) and whether it
 * is an authenticated collectord (0x40), which may send metadata.origin.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_batch	 b;
	struct json_object	*reply = NULL;
	struct evt_error	 errs[2];
	long long		 count;
	size_t			 i;
	int			 st;

	if (size == 0)
		return 0;
	count = data[0] == 0xff ? -1 : (long long)(data[0] % 8);
	memset(&b, 0, sizeof b);
	st = ingest_parse((const char *)data + 1, size - 1, count,
	    (data[0] & 0x40) != 0, &b, &reply);
	if (st == 0) {
		if ((b.single && b.n != 1) || b.evs == NULL || reply != NULL)
			abort();
		if (count >= 0 && !b.single && (long long)b.n != count)
			abort();
		for (i = 0; i < b.n; i++) {
			if (evt_validate(b.evs[i], EVT_ALLOW_ORIGIN, errs, 2) != 0)
				abort();
		}
		ingest_batch_free(&b);
	} else {
		if ((st != 400 && st != 422) || reply == NULL)
			abort();
		json_object_put(reply);
	}
	return 0;
}
