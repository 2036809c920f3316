/*
 * spool.h: collectord's durable queue of accepted events.
 *
 * The spool is a directory of append-only segment files
 * ("<16 hex digits>.seg"), each a run of records:
 *
 *	magic "AVR1" (4) | payload length (4, LE) | CRC-32C of both (4) | payload
 *
 * The payload is one event as compact JSON, origin already stamped.
 * Appends are buffered (spool_append) and written together (spool_commit)
 * so that one write, and with fsync=always one fdatasync, covers every
 * event that arrived in one turn of the event loop: a client is acked only
 * after the commit that holds its event returned.
 *
 * Delivery is strictly in order: the forwarder reads records from the
 * release point onwards (spool_read, streaming from the files, never
 * holding the spool in memory) and releases a prefix once the gateway
 * answered 2xx (spool_release). The release point is kept in the file
 * "ack", replaced atomically (temp file + rename) at most every
 * fsync_interval_ms; a crash between a release and its "ack" write only
 * resends events the gateway already has, which it deduplicates. Fully
 * released segments are deleted.
 *
 * spool_open recovers: it drops released segments, checks every record,
 * counts and skips corrupt ones, truncates a torn last record, and starts
 * a new segment for writing. A damaged spool never stops collectord.
 */
#ifndef CD_SPOOL_H
#define CD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of record header in front of each payload. */
#define SPOOL_HDR 12
/* Largest payload the spool accepts (a 64 KiB line grows by the origin). */
#define SPOOL_REC_MAX (1024 * 1024)

enum spool_fsync {
	SPOOL_FSYNC_NEVER,	/* the kernel writes back when it likes */
	SPOOL_FSYNC_INTERVAL,	/* spool_sync from a timer */
	SPOOL_FSYNC_ALWAYS,	/* fdatasync in every commit, before the acks */
};

/* Where a record starts (or the spool position just after one). */
struct spool_pos {
	uint64_t	seg;	/* segment id */
	uint64_t	off;	/* byte offset in it */
};

struct spool_opts {
	const char	*dir;		/* created 0700 if missing */
	uint64_t	 segment_bytes;	/* start a new segment past this size */
	uint64_t	 max_bytes;	/* unreleased bytes allowed (0 = no limit) */
	enum spool_fsync fsync;
};

struct spool_stats {
	uint64_t	events;		/* committed, not yet released */
	uint64_t	bytes;		/* bytes of those, with headers */
	uint64_t	corrupt;	/* records skipped as corrupt at open */
	uint64_t	recovered;	/* records found at open */
	uint64_t	segments;	/* segment files */
};

struct spool;

/* Open (and recover) the spool; NULL with *cause. */
struct spool *spool_open(const struct spool_opts *opts, char **cause);
/* Write the release point, sync, close and free. */
void spool_close(struct spool *s);
/* Change the limits and fsync policy (SIGHUP). */
void spool_set_limits(struct spool *s, uint64_t max_bytes,
    uint64_t segment_bytes, enum spool_fsync fsync);

/*
 * Buffer one record for the next commit. 0, 1 when the spool is full
 * (the caller answers busy), -1 when the record is too large.
 */
int spool_append(struct spool *s, const void *data, size_t len);
/* Records buffered and not yet committed. */
size_t spool_pending(const struct spool *s);
/*
 * Write the buffered records (and fdatasync for fsync=always). Returns
 * the number of records made durable by this call, or -1 with *cause, in
 * which case none of them is in the spool (the segment is cut back).
 */
long spool_commit(struct spool *s, char **cause);
/* fdatasync the segment being written if anything changed. 0 or -1. */
int spool_sync(struct spool *s);

/* The release point: where the first undelivered record is. */
struct spool_pos spool_head(const struct spool *s);
/*
 * Read the first record at or after *at. Returns 1 with *data, *len (valid
 * until the next spool call) and *next (just after it), 0 when there is
 * none yet, -1 on a read error (with *cause).
 */
int spool_read(struct spool *s, const struct spool_pos *at, const char **data,
    size_t *len, struct spool_pos *next, char **cause);
/*
 * Release everything before upto: n records were delivered (or dead
 * lettered). Deletes segments left empty.
 */
void spool_release(struct spool *s, const struct spool_pos *upto, uint64_t n);
/* Persist the release point if it moved (temp file + rename). 0 or -1. */
int spool_flush_ack(struct spool *s);

/* Counters. */
void spool_stats(const struct spool *s, struct spool_stats *st);

#endif
