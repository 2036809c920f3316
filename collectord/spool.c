/*
 * spool.c: segment files, group commit, streaming reads, crash-safe
 * release and recovery; see spool.h for the on-disk format and the rules.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

#define SPOOL_MAGIC	"AVR1"
#define ACK_MAGIC	0x314b4341U	/* "ACK1" */
#define WINDOW_MIN	(256 * 1024)
/* An emptied segment this big is replaced (see spool_release). */
#define SPOOL_ROTATE_EMPTY (1024 * 1024)

struct seg {
	uint64_t	id;
	uint64_t	size;		/* committed bytes */
};

struct spool {
	char		*dir;
	int		 dirfd;
	int		 lockfd;
	uint64_t	 max_bytes;
	uint64_t	 segment_bytes;
	enum spool_fsync fsync;

	struct seg	*segs;		/* ascending; the last one is written */
	size_t		 nsegs, capsegs;
	uint64_t	 disk;		/* sum of the segments' sizes */
	int		 wfd;
	int		 wdirty;	/* written since the last fdatasync */

	unsigned char	*pend;		/* records awaiting spool_commit */
	size_t		 pendlen, pendcap, pendn;

	struct spool_pos ack;		/* release point */
	int		 ackdirty;
	uint64_t	 events;	/* committed and unreleased */
	uint64_t	 corrupt, recovered;

	/* Read window: bytes [woff, woff + wlen) of segment wseg. */
	int		 rfd;
	uint64_t	 rseg;
	unsigned char	*win;
	size_t		 wcap, wlen;
	uint64_t	 woff;
	int		 wvalid;
};

/* Store a 32-bit little-endian value. */
static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Load a 32-bit little-endian value. */
static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The checksum of a record: its length field and its payload. */
static uint32_t
rec_crc(const unsigned char *lenfield, const void *data, size_t len)
{
	return crc32c(crc32c(0, lenfield, 4), data, len);
}

/* Segment file name of id. */
static void
seg_name(char *buf, size_t len, uint64_t id)
{
	snprintf(buf, len, "%016" PRIx64 ".seg", id);
}

/* Index of segment id in the list, or -1. */
static ssize_t
seg_find(const struct spool *s, uint64_t id)
{
	size_t	i;

	for (i = 0; i < s->nsegs; i++) {
		if (s->segs[i].id == id)
			return i;
	}
	return -1;
}

/* Forget the read window and its file (its segment may be going away). */
static void
win_drop(struct spool *s)
{
	if (s->rfd != -1)
		close(s->rfd);
	s->rfd = -1;
	s->wvalid = 0;
}

/* Unlink segment at index i and remove it from the list. */
static void
seg_delete(struct spool *s, size_t i)
{
	char	name[64];

	if (s->rfd != -1 && s->rseg == s->segs[i].id)
		win_drop(s);
	seg_name(name, sizeof name, s->segs[i].id);
	if (unlinkat(s->dirfd, name, 0) == -1 && errno != ENOENT)
		log_warn_limited("spool: unlink %s/%s", s->dir, name);
	s->disk -= s->segs[i].size;
	memmove(&s->segs[i], &s->segs[i + 1],
	    (s->nsegs - i - 1) * sizeof *s->segs);
	s->nsegs--;
}

/* Append a segment to the list. */
static void
seg_add(struct spool *s, uint64_t id, uint64_t size)
{
	if (s->nsegs == s->capsegs) {
		s->capsegs = s->capsegs ? s->capsegs * 2 : 16;
		s->segs = xreallocarray(s->segs, s->capsegs, sizeof *s->segs);
	}
	s->segs[s->nsegs].id = id;
	s->segs[s->nsegs].size = size;
	s->nsegs++;
	s->disk += size;
}

/*
 * Make the window hold [off, off + need) of segment id (size bytes long),
 * or as much of it as the segment has. Returns the bytes available from
 * off, or -1 on a read error.
 */
static ssize_t
win_fill(struct spool *s, uint64_t id, uint64_t size, uint64_t off,
    size_t need, char **cause)
{
	char	name[64];
	size_t	want;
	ssize_t	n;

	if (off >= size)
		return 0;
	if (need > size - off)
		need = size - off;
	if (s->wvalid && s->rseg == id && off >= s->woff &&
	    off + need <= s->woff + s->wlen)
		return s->woff + s->wlen - off;

	if (s->rfd == -1 || s->rseg != id) {
		win_drop(s);
		seg_name(name, sizeof name, id);
		s->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (s->rfd == -1) {
			*cause = xasprintf("open %s/%s: %s", s->dir, name,
			    strerror(errno));
			return -1;
		}
		s->rseg = id;
	}
	if (need > s->wcap) {
		s->wcap = need;
		free(s->win);
		s->win = xmalloc(s->wcap);
	}
	want = s->wcap;
	if (want > size - off)
		want = size - off;
	s->wvalid = 0;
	s->wlen = 0;
	while (s->wlen < want) {
		n = pread(s->rfd, s->win + s->wlen, want - s->wlen,
		    off + s->wlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("read %s: %s", s->dir,
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;		/* file shorter than we thought */
		s->wlen += n;
	}
	s->woff = off;
	s->wvalid = 1;
	return s->wlen;
}

/*
 * Find the first intact record at or after off in segment id. Returns 1
 * with *roff (where it starts), *data and *len; 0 if there is none before
 * size; -1 on error. *skipped counts the stretches of damage passed over.
 */
static int
seg_scan(struct spool *s, uint64_t id, uint64_t size, uint64_t off,
    uint64_t *roff, const unsigned char **data, size_t *len,
    uint64_t *skipped, char **cause)
{
	const unsigned char	*p, *hit;
	ssize_t			 avail;
	uint32_t		 plen;
	int			 damaged = 0;

	while (off < size) {
		avail = win_fill(s, id, size, off, SPOOL_HDR, cause);
		if (avail == -1)
			return -1;
		p = s->win + (off - s->woff);
		if (avail >= SPOOL_HDR && memcmp(p, SPOOL_MAGIC, 4) == 0) {
			plen = get32(p + 4);
			if (plen <= SPOOL_REC_MAX &&
			    off + SPOOL_HDR + plen <= size) {
				avail = win_fill(s, id, size, off,
				    SPOOL_HDR + plen, cause);
				if (avail == -1)
					return -1;
				p = s->win + (off - s->woff);
				if ((size_t)avail >= SPOOL_HDR + plen &&
				    rec_crc(p + 4, p + SPOOL_HDR, plen) ==
				    get32(p + 8)) {
					*roff = off;
					*data = p + SPOOL_HDR;
					*len = plen;
					return 1;
				}
			}
		}
		/* Damage: look for the next magic and try again from there. */
		if (!damaged && skipped != NULL)
			(*skipped)++;
		damaged = 1;
		avail = win_fill(s, id, size, off + 1, 4, cause);
		if (avail == -1)
			return -1;
		if (avail < 4)
			return 0;
		p = s->win + (off + 1 - s->woff);
		hit = memmem(p, avail, SPOOL_MAGIC, 4);
		if (hit != NULL)
			off = off + 1 + (hit - p);
		else
			off = off + 1 + avail - 3;
	}
	return 0;
}

/* Read the release point from "ack"; (0, 0) when absent or damaged. */
static struct spool_pos
ack_load(struct spool *s)
{
	struct spool_pos	 pos = { 0, 0 };
	unsigned char		 b[24];
	ssize_t			 n;
	int			 fd;

	if ((fd = openat(s->dirfd, "ack", O_RDONLY | O_CLOEXEC)) == -1)
		return pos;
	n = read(fd, b, sizeof b);
	close(fd);
	if (n != sizeof b || get32(b) != ACK_MAGIC ||
	    crc32c(0, b, 20) != get32(b + 20)) {
		log_warnx("spool: %s/ack is damaged, resending from the oldest "
		    "segment", s->dir);
		return pos;
	}
	pos.seg = (uint64_t)get32(b + 4) | (uint64_t)get32(b + 8) << 32;
	pos.off = (uint64_t)get32(b + 12) | (uint64_t)get32(b + 16) << 32;
	return pos;
}

/* Persist the release point if it moved. */
int
spool_flush_ack(struct spool *s)
{
	unsigned char	b[24];
	int		fd;

	if (!s->ackdirty)
		return 0;
	put32(b, ACK_MAGIC);
	put32(b + 4, s->ack.seg);
	put32(b + 8, s->ack.seg >> 32);
	put32(b + 12, s->ack.off);
	put32(b + 16, s->ack.off >> 32);
	put32(b + 20, crc32c(0, b, 20));
	fd = openat(s->dirfd, "ack.tmp", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn_limited("spool: %s/ack.tmp", s->dir);
		return -1;
	}
	if (write(fd, b, sizeof b) != sizeof b ||
	    (s->fsync != SPOOL_FSYNC_NEVER && fdatasync(fd) == -1)) {
		log_warn_limited("spool: write %s/ack.tmp", s->dir);
		close(fd);
		return -1;
	}
	close(fd);
	if (renameat(s->dirfd, "ack.tmp", s->dirfd, "ack") == -1) {
		log_warn_limited("spool: rename %s/ack", s->dir);
		return -1;
	}
	s->ackdirty = 0;
	return 0;
}

/* Create the next segment and make it the one written. */
static int
seg_start(struct spool *s, char **cause)
{
	char		name[64];
	uint64_t	id = 1;

	if (s->nsegs > 0)
		id = s->segs[s->nsegs - 1].id + 1;
	if (id <= s->ack.seg)
		id = s->ack.seg + 1;
	seg_name(name, sizeof name, id);
	s->wfd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_APPEND | O_CLOEXEC, 0600);
	if (s->wfd == -1) {
		*cause = xasprintf("create %s/%s: %s", s->dir, name,
		    strerror(errno));
		return -1;
	}
	/* The new name must survive a power loss before records rely on it. */
	if (s->fsync != SPOOL_FSYNC_NEVER)
		fsync(s->dirfd);
	seg_add(s, id, 0);
	s->wdirty = 0;
	return 0;
}

/* qsort comparison of segment ids. */
static int
seg_cmp(const void *a, const void *b)
{
	const struct seg	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* List the segment files of the directory into s->segs, sorted. */
static int
seg_list(struct spool *s, char **cause)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		*end;
	uint64_t	 id;
	int		 fd;

	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		*cause = xasprintf("opendir %s: %s", s->dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 20 ||
		    strcmp(de->d_name + 16, ".seg") != 0)
			continue;
		errno = 0;
		id = strtoull(de->d_name, &end, 16);
		if (errno != 0 || end != de->d_name + 16 || id == 0)
			continue;
		if (fstatat(s->dirfd, de->d_name, &st, 0) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		seg_add(s, id, st.st_size);
	}
	closedir(d);
	if (s->nsegs > 1)	/* qsort(NULL, 0, …) is undefined */
		qsort(s->segs, s->nsegs, sizeof *s->segs, seg_cmp);
	return 0;
}

/*
 * Check every record of segment i from off on: count the intact ones,
 * count and skip damage, cut a damaged tail off. Returns the number of
 * intact records, or -1.
 */
static long
seg_recover(struct spool *s, size_t i, uint64_t off, char **cause)
{
	const unsigned char	*data;
	struct seg		*sg = &s->segs[i];
	uint64_t		 roff, skipped = 0, vend = off;
	size_t			 len;
	long			 n = 0;
	int			 r, fd;
	char			 name[64];

	for (;;) {
		r = seg_scan(s, sg->id, sg->size, off, &roff, &data, &len,
		    &skipped, cause);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		n++;
		off = roff + SPOOL_HDR + len;
		vend = off;
	}
	s->corrupt += skipped;
	if (vend < sg->size) {
		/* A torn or damaged tail: nothing will ever be appended here. */
		log_warnx("spool: segment %016" PRIx64 " has %" PRIu64
		    " damaged bytes at its end, cut off", sg->id,
		    sg->size - vend);
		win_drop(s);
		seg_name(name, sizeof name, sg->id);
		fd = openat(s->dirfd, name, O_WRONLY | O_CLOEXEC);
		if (fd == -1 || ftruncate(fd, vend) == -1)
			log_warn("spool: truncate %s/%s", s->dir, name);
		if (fd != -1)
			close(fd);
		s->disk -= sg->size - vend;
		sg->size = vend;
	}
	if (skipped > 0)
		log_warnx("spool: segment %016" PRIx64 ": %" PRIu64
		    " damaged records skipped", sg->id, skipped);
	return n;
}

/* Open (and recover) the spool. */
struct spool *
spool_open(const struct spool_opts *opts, char **cause)
{
	struct spool	*s;
	size_t		 i;
	long		 n;
	uint64_t	 from;

	s = xcalloc(1, sizeof *s);
	s->dir = xstrdup(opts->dir);
	s->dirfd = s->lockfd = s->wfd = s->rfd = -1;
	s->max_bytes = opts->max_bytes;
	s->segment_bytes = opts->segment_bytes ? opts->segment_bytes :
	    64 * 1024 * 1024;
	s->fsync = opts->fsync;
	s->wcap = WINDOW_MIN;
	s->win = xmalloc(s->wcap);

	if (mkdir(s->dir, 0700) == -1 && errno != EEXIST) {
		*cause = xasprintf("mkdir %s: %s", s->dir, strerror(errno));
		goto fail;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd == -1) {
		*cause = xasprintf("open %s: %s", s->dir, strerror(errno));
		goto fail;
	}
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (s->lockfd == -1) {
		*cause = xasprintf("open %s/lock: %s", s->dir, strerror(errno));
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == -1) {
		*cause = xasprintf("spool %s is in use by another collectord",
		    s->dir);
		goto fail;
	}

	s->ack = ack_load(s);
	if (seg_list(s, cause) == -1)
		goto fail;
	for (i = 0; i < s->nsegs; /* nothing */) {
		if (s->segs[i].id < s->ack.seg) {
			seg_delete(s, i);	/* released before the crash */
			continue;
		}
		from = s->segs[i].id == s->ack.seg ? s->ack.off : 0;
		if (from > s->segs[i].size)
			from = s->segs[i].size;
		if ((n = seg_recover(s, i, from, cause)) == -1)
			goto fail;
		if (n == 0) {
			/* Nothing undelivered left in it. */
			seg_delete(s, i);
			continue;
		}
		s->events += n;
		s->recovered += n;
		i++;
	}
	if (s->nsegs > 0 && (s->ack.seg < s->segs[0].id ||
	    s->ack.off > s->segs[0].size)) {
		s->ack.seg = s->segs[0].id;
		s->ack.off = 0;
		s->ackdirty = 1;
	}
	if (seg_start(s, cause) == -1)
		goto fail;
	if (s->nsegs == 1) {
		s->ack.seg = s->segs[0].id;
		s->ack.off = 0;
		s->ackdirty = 1;
	}
	spool_flush_ack(s);
	if (s->recovered > 0 || s->corrupt > 0)
		log_info("spool %s: %" PRIu64 " undelivered events recovered, "
		    "%" PRIu64 " damaged records skipped", s->dir,
		    s->recovered, s->corrupt);
	return s;

fail:
	if (s->wfd != -1)
		close(s->wfd);
	win_drop(s);
	if (s->lockfd != -1)
		close(s->lockfd);
	if (s->dirfd != -1)
		close(s->dirfd);
	free(s->segs);
	free(s->win);
	free(s->dir);
	free(s);
	return NULL;
}

/* Write the release point, sync, close and free. */
void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->wfd != -1) {
		if (s->fsync != SPOOL_FSYNC_NEVER)
			fdatasync(s->wfd);
		close(s->wfd);
	}
	spool_flush_ack(s);
	/* An empty segment we started and never used need not stay. */
	if (s->nsegs > 0 && s->segs[s->nsegs - 1].size == 0 &&
	    s->ack.seg == s->segs[s->nsegs - 1].id && s->nsegs == 1)
		seg_delete(s, s->nsegs - 1);
	win_drop(s);
	close(s->lockfd);
	close(s->dirfd);
	free(s->segs);
	free(s->pend);
	free(s->win);
	free(s->dir);
	free(s);
}

/* Change the limits and fsync policy. */
void
spool_set_limits(struct spool *s, uint64_t max_bytes, uint64_t segment_bytes,
    enum spool_fsync fsync)
{
	s->max_bytes = max_bytes;
	if (segment_bytes > 0)
		s->segment_bytes = segment_bytes;
	s->fsync = fsync;
}

/* Unreleased committed bytes (kept as a sum: this runs for every event). */
static uint64_t
spool_bytes(const struct spool *s)
{
	uint64_t	b = s->disk;

	if (s->nsegs > 0 && s->segs[0].id == s->ack.seg)
		b -= s->ack.off <= s->segs[0].size ? s->ack.off : 0;
	return b;
}

/* Buffer one record for the next commit. */
int
spool_append(struct spool *s, const void *data, size_t len)
{
	unsigned char	*p;
	size_t		 total = SPOOL_HDR + len;

	if (len > SPOOL_REC_MAX)
		return -1;
	if (s->max_bytes != 0 &&
	    spool_bytes(s) + s->pendlen + total > s->max_bytes)
		return 1;
	if (s->pendlen + total > s->pendcap) {
		s->pendcap = s->pendcap ? s->pendcap : 64 * 1024;
		while (s->pendlen + total > s->pendcap)
			s->pendcap *= 2;
		s->pend = xreallocarray(s->pend, s->pendcap, 1);
	}
	p = s->pend + s->pendlen;
	memcpy(p, SPOOL_MAGIC, 4);
	put32(p + 4, len);
	put32(p + 8, rec_crc(p + 4, data, len));
	memcpy(p + SPOOL_HDR, data, len);
	s->pendlen += total;
	s->pendn++;
	return 0;
}

/* Records buffered and not yet committed. */
size_t
spool_pending(const struct spool *s)
{
	return s->pendn;
}

/* Write the buffered records; see spool.h. */
long
spool_commit(struct spool *s, char **cause)
{
	struct seg	*w;
	size_t		 done = 0;
	ssize_t		 n = 0;
	long		 count = s->pendn;
	int		 saved;

	if (s->pendlen == 0)
		return 0;
	/* A segment that could not be started last time: try again now. */
	if (s->wfd == -1 && seg_start(s, cause) == -1) {
		s->pendlen = s->pendn = 0;
		return -1;
	}
	w = &s->segs[s->nsegs - 1];
	while (done < s->pendlen) {
		n = write(s->wfd, s->pend + done, s->pendlen - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += n;
	}
	if (s->fsync == SPOOL_FSYNC_ALWAYS && fdatasync(s->wfd) == -1)
		goto fail;
	w->size += s->pendlen;
	s->disk += s->pendlen;
	s->events += s->pendn;
	s->wdirty = s->fsync != SPOOL_FSYNC_ALWAYS;
	s->pendlen = s->pendn = 0;

	if (w->size >= s->segment_bytes) {
		/* The full segment is final: make it durable, then move on. */
		if (s->fsync != SPOOL_FSYNC_NEVER && s->wdirty)
			fdatasync(s->wfd);
		close(s->wfd);
		s->wfd = -1;
		if (seg_start(s, cause) == -1) {
			/* Nothing lost; appending is impossible until fixed. */
			log_warnx_limited("spool: %s", *cause);
			free(*cause);
			*cause = NULL;
			return count;
		}
	}
	return count;

fail:
	saved = errno;
	/* Cut back whatever part made it, so no ack-less record remains. */
	if (ftruncate(s->wfd, w->size) == -1)
		log_warn_limited("spool: truncate after failed write");
	*cause = xasprintf("write to spool %s: %s", s->dir,
	    n == 0 ? "short write" : strerror(saved));
	s->pendlen = s->pendn = 0;
	return -1;
}

/* fdatasync the segment being written if anything changed. */
int
spool_sync(struct spool *s)
{
	if (!s->wdirty || s->wfd == -1 || s->fsync == SPOOL_FSYNC_NEVER)
		return 0;
	s->wdirty = 0;
	if (fdatasync(s->wfd) == -1) {
		log_warn_limited("spool: fdatasync");
		return -1;
	}
	return 0;
}

/* The release point. */
struct spool_pos
spool_head(const struct spool *s)
{
	return s->ack;
}

/* Read the first record at or after *at; see spool.h. */
int
spool_read(struct spool *s, const struct spool_pos *at, const char **data,
    size_t *len, struct spool_pos *next, char **cause)
{
	const unsigned char	*p;
	struct spool_pos	 pos = *at;
	uint64_t		 roff;
	ssize_t			 i;
	int			 r;

	if (pos.seg < s->ack.seg ||
	    (pos.seg == s->ack.seg && pos.off < s->ack.off))
		pos = s->ack;
	for (;;) {
		if ((i = seg_find(s, pos.seg)) == -1) {
			/* Deleted or never seen: go to the next one after it. */
			for (i = 0; i < (ssize_t)s->nsegs; i++) {
				if (s->segs[i].id > pos.seg)
					break;
			}
			if (i == (ssize_t)s->nsegs) {
				*next = pos;
				return 0;
			}
			pos.seg = s->segs[i].id;
			pos.off = 0;
		}
		r = seg_scan(s, pos.seg, s->segs[i].size, pos.off, &roff, &p,
		    len, NULL, cause);
		if (r == -1)
			return -1;
		if (r == 1) {
			*data = (const char *)p;
			next->seg = pos.seg;
			next->off = roff + SPOOL_HDR + *len;
			return 1;
		}
		if (i == (ssize_t)s->nsegs - 1) {
			*next = pos;
			return 0;
		}
		pos.seg = s->segs[i + 1].id;
		pos.off = 0;
	}
}

/* Everything is delivered: replace the written segment by a new one. */
static void
spool_rotate_empty(struct spool *s)
{
	char	*cause = NULL;

	if (s->fsync != SPOOL_FSYNC_NEVER && s->wdirty)
		fdatasync(s->wfd);
	close(s->wfd);
	s->wfd = -1;
	if (seg_start(s, &cause) == -1) {
		/* spool_commit tries again; nothing is lost either way. */
		log_warnx_limited("spool: %s", cause);
		free(cause);
		return;
	}
	seg_delete(s, 0);
	s->ack.seg = s->segs[0].id;
	s->ack.off = 0;
	s->ackdirty = 1;
}

/* Release everything before upto. */
void
spool_release(struct spool *s, const struct spool_pos *upto, uint64_t n)
{
	s->ack = *upto;
	s->events = s->events > n ? s->events - n : 0;
	s->ackdirty = 1;
	/* Drop segments wholly before the release point (never the written one). */
	while (s->nsegs > 1 && (s->segs[0].id < s->ack.seg ||
	    (s->segs[0].id == s->ack.seg && s->ack.off >= s->segs[0].size))) {
		seg_delete(s, 0);
		if (s->ack.seg < s->segs[0].id) {
			s->ack.seg = s->segs[0].id;
			s->ack.off = 0;
		}
	}
	if (s->events == 0 && s->nsegs == 1 && s->pendn == 0) {
		/* Everything delivered: the release point is the write end. */
		s->ack.seg = s->segs[0].id;
		s->ack.off = s->segs[0].size;
		/*
		 * The segment being written is never deleted, so a spool that
		 * filled the disk during an outage would keep it full after
		 * delivering everything: start afresh once it is big enough
		 * for the churn not to matter.
		 */
		if (s->segs[0].size >= SPOOL_ROTATE_EMPTY || (s->segs[0].size >=
		    s->segment_bytes / 4 && s->segs[0].size > 0))
			spool_rotate_empty(s);
	}
}

/* Counters. */
void
spool_stats(const struct spool *s, struct spool_stats *st)
{
	st->events = s->events;
	st->bytes = spool_bytes(s);
	st->corrupt = s->corrupt;
	st->recovered = s->recovered;
	st->segments = s->nsegs;
}
