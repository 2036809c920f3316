/*
 * intake.c: the fallback directory reader; see intake.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "collectord.h"
#include "fallback.h"
#include "intake.h"
#include "log.h"
#include "ndjson.h"
#include "proto.h"
#include "xmalloc.h"

/* A file bigger than this is not a hookcli drop; it is set aside. */
#define INTAKE_FILE_MAX	(64 * 1024 * 1024)
/* Files taken in per scan, so clients are not kept waiting long. */
#define INTAKE_PER_SCAN	256
/* Commit every so many events of a large file, bounding the buffer. */
#define INTAKE_COMMIT	1024

struct intake {
	struct collectord	*cd;
	char			*dir;
	int			 dirfd;
	struct event		*ev_scan;
};

/* Handle one line of a fallback file: 0 on, 1 stop (spool full). */
static int
intake_line(struct intake *in, const char *name, const struct stat *st,
    const char *line, size_t len, size_t *appended)
{
	struct collectord	*cd = in->cd;
	struct json_object	*ev = NULL;
	enum proto_cmd		 cmd;
	enum proto_err		 e;
	char			 detail[256], src[300];
	int			 r;

	snprintf(src, sizeof src, "fallback:%s", name);
	if (!cd_allowed(cd, st->st_uid, st->st_gid)) {
		/* The socket would have refused this writer; so do we. */
		snprintf(detail, sizeof detail, "file owner uid %u is not "
		    "allowed (allow_uids, allow_gids)", (unsigned)st->st_uid);
		cd->st.rejected_events++;
		deadletter_line(cd, detail, src, line, len);
		return 0;
	}
	e = proto_parse_event(line, len, 0, &ev, &cmd, detail, sizeof detail);
	if (e != PROTO_OK) {
		cd->st.rejected_events++;
		deadletter_line(cd, detail, src, line, len);
		return 0;
	}
	if (ev == NULL)
		return 0;	/* a control line has no business here */
	r = cd_append_event(cd, ev, st->st_uid, st->st_gid, 0, "fallback");
	json_object_put(ev);
	if (r == 1)
		return 1;
	if (r == -1) {
		cd->st.rejected_events++;
		deadletter_line(cd, "event too large for the spool", src, line,
		    len);
		return 0;
	}
	if (++*appended % INTAKE_COMMIT == 0 && cd_commit(cd) == -1)
		return 1;
	return 0;
}

/* Take in one file: 0 done (deleted), 1 leave it for later. */
static int
intake_file(struct intake *in, const char *name)
{
	struct collectord	*cd = in->cd;
	struct spool_stats	 ss;
	struct stat		 st;
	struct ndjson		*rd;
	char			 buf[65536], *line;
	size_t			 len, appended = 0;
	ssize_t			 n;
	int			 fd, stop = 0;

	fd = openat(in->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warn_limited("fallback: open %s/%s", in->dir, name);
		return 0;
	}
	/*
	 * Only plain files with one link: a hard link to someone else's file
	 * would let its writer claim that file's owner as origin.
	 */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_size > INTAKE_FILE_MAX) {
		log_warnx_limited("fallback: %s/%s is not a plain file of one "
		    "link under %d MiB; removed unread", in->dir, name,
		    INTAKE_FILE_MAX >> 20);
		close(fd);
		unlinkat(in->dirfd, name, 0);
		return 0;
	}
	/* Room for all of it (and the origins), or wait for the gateway. */
	spool_stats(cd->spool, &ss);
	if (ss.bytes + (uint64_t)st.st_size * 2 + 65536 >
	    (uint64_t)cd->conf.spool_max_bytes) {
		close(fd);
		return 1;
	}

	rd = ndjson_new(cd->conf.max_line_bytes);
	while (!stop && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn_limited("fallback: read %s/%s", in->dir, name);
			stop = 1;
			break;
		}
		ndjson_push(rd, buf, n);
		for (;;) {
			enum ndjson_status s = ndjson_next(rd, &line, &len);

			if (s == NDJSON_AGAIN)
				break;
			if (s == NDJSON_TOOLONG) {
				char src[300];

				snprintf(src, sizeof src, "fallback:%s", name);
				deadletter_line(in->cd, "line over the limit",
				    src, "", 0);
				cd->st.rejected_events++;
				continue;
			}
			if ((stop = intake_line(in, name, &st, line, len,
			    &appended)) != 0)
				break;
		}
	}
	if (!stop && ndjson_finish(rd, &line, &len) == NDJSON_LINE)
		stop = intake_line(in, name, &st, line, len, &appended);
	ndjson_free(rd);
	close(fd);

	/* Delete only what is in the spool for good. */
	if (cd_commit(cd) == -1 || stop)
		return 1;
	if (cd->conf.fsync != CD_FSYNC_NEVER)
		spool_sync(cd->spool);
	if (unlinkat(in->dirfd, name, 0) == -1) {
		log_warn_limited("fallback: unlink %s/%s", in->dir, name);
		return 1;
	}
	cd->st.fallback_files++;
	log_debug("fallback: took in %s/%s (%zu events, uid %u)", in->dir,
	    name, appended, (unsigned)st.st_uid);
	return 0;
}

/* Scan the directory for finished files. */
void
intake_scan(struct intake *in)
{
	struct dirent	*de;
	struct timeval	 tv = { 0, 0 };
	DIR		*d;
	int		 fd, n = 0, more = 0;

	if (in->cd->stopping)
		return;
	if ((fd = dup(in->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn_limited("fallback: opendir %s", in->dir);
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!fallback_is_ready(de->d_name))
			continue;
		if (n++ >= INTAKE_PER_SCAN) {
			more = 1;
			break;
		}
		if (intake_file(in, de->d_name) == 1)
			break;		/* spool full: try on the next scan */
	}
	closedir(d);
	if (more)
		evtimer_add(in->ev_scan, &tv);
}

/* Periodic scan. */
static void
intake_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct intake	*in = arg;
	struct timeval	 tv;

	intake_scan(in);
	if (!evtimer_pending(in->ev_scan, NULL)) {
		tv.tv_sec = in->cd->conf.fallback_scan_ms / 1000;
		tv.tv_usec = (in->cd->conf.fallback_scan_ms % 1000) * 1000;
		evtimer_add(in->ev_scan, &tv);
	}
}

/* Create (if needed) and start watching the fallback directory. */
struct intake *
intake_new(struct collectord *cd, char **cause)
{
	struct intake	*in;
	struct timeval	 tv = { 0, 0 };
	struct stat	 st;

	in = xcalloc(1, sizeof *in);
	in->cd = cd;
	in->dir = xstrdup(cd->conf.fallback_dir);
	if (mkdir(in->dir, 01730) == 0) {
		if (chmod(in->dir, 01730) == -1 || (cd->set.socket_gid !=
		    (gid_t)-1 && chown(in->dir, -1, cd->set.socket_gid) == -1))
			log_warn("fallback: %s", in->dir);
	} else if (errno != EEXIST) {
		*cause = xasprintf("mkdir %s: %s", in->dir, strerror(errno));
		goto fail;
	}
	in->dirfd = open(in->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->dirfd == -1) {
		*cause = xasprintf("open %s: %s", in->dir, strerror(errno));
		goto fail;
	}
	if (fstat(in->dirfd, &st) == 0 && (st.st_mode & S_IWOTH) &&
	    !(st.st_mode & S_ISVTX))
		log_warnx("fallback: %s is world-writable without the sticky "
		    "bit: anyone can delete others' files", in->dir);
	in->ev_scan = evtimer_new(cd->base, intake_scan_cb, in);
	if (in->ev_scan == NULL) {
		*cause = xstrdup("cannot create the fallback scan timer");
		close(in->dirfd);
		goto fail;
	}
	evtimer_add(in->ev_scan, &tv);
	return in;

fail:
	free(in->dir);
	free(in);
	return NULL;
}

/* Stop and free. */
void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	event_free(in->ev_scan);
	close(in->dirfd);
	free(in->dir);
	free(in);
}
