/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of every spool record.
 *
 * Hand-written (a table of 256 words) rather than pulled from zlib: zlib's
 * crc32 is the IEEE polynomial and would add a dependency for one function.
 */
#ifndef CD_CRC32C_H
#define CD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over len bytes of data; start with crc = 0. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
