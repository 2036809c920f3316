/*
 * uuidstr.c: event and batch ids as text. libuuid does the work; this file
 * only fixes the text form (lower case) and the validity test.
 */
#include "config.h"

#include <string.h>
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

/* 1 if s is a well-formed UUID in either case. */
int
uuidstr_valid(const char *s)
{
	uuid_t	u;

	/* uuid_parse checks the 8-4-4-4-12 shape; the length check keeps it exact. */
	if (strnlen(s, UUIDSTR_LEN) != UUIDSTR_LEN - 1)
		return 0;
	return uuid_parse(s, u) == 0;
}
