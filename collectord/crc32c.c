/*
 * crc32c.c: CRC-32C, reflected polynomial 0x82F63B78, table driven.
 *
 * Four bytes a step (slicing by 4) keeps it well above the rate at which
 * events arrive; the spool checksums every record once on write and once
 * on every read.
 */
#include "config.h"

#include <pthread.h>

#include "crc32c.h"

static uint32_t		crc32c_table[4][256];
static pthread_once_t	crc32c_once = PTHREAD_ONCE_INIT;

/* Build the four lookup tables once. */
static void
crc32c_init(void)
{
	uint32_t	c;
	int		i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = crc32c_table[0][i];
		for (k = 1; k < 4; k++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[k][i] = c;
		}
	}
}

/* Continue crc over len bytes of data. */
uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint32_t		 c;

	pthread_once(&crc32c_once, crc32c_init);
	c = ~crc;
	while (len >= 4) {
		c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		c = crc32c_table[3][c & 0xff] ^
		    crc32c_table[2][(c >> 8) & 0xff] ^
		    crc32c_table[1][(c >> 16) & 0xff] ^
		    crc32c_table[0][c >> 24];
		p += 4;
		len -= 4;
	}
	while (len-- > 0)
		c = crc32c_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}
