/*
 * uuidstr.c: event and batch ids as text. libuuid does the work; this file
 * only fixes the text form (lower case) and the validity test.
 */
#include "config.h"

#include <uuid/uuid.h>

#include "uuidstr.h"

/* Write a new random (v4) UUID in lower case. */
char *
uuidstr_v4(char buf[UUIDSTR_LEN])
{
	uuid_t	u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
	return buf;
}

/*
 * 1 if s is a well-formed UUID in either case: the 8-4-4-4-12 hex shape
 * that uuid_parse(3) accepts. Checked by hand because uuid_parse runs
 * strtoul on every group, which was a quarter of the validator's time;
 * the tests compare the two on valid and broken ids.
 */
int
uuidstr_valid(const char *s)
{
	int	i;

	for (i = 0; i < UUIDSTR_LEN - 1; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return s[i] == '\0';
}
