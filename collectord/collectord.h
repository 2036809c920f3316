/*
 * collectord.h: the daemon's shared state and the functions its modules
 * (server, forward, intake, deadletter) offer each other; where it stands
 * in the pipeline is in doc/ARCHITECTURE.md.
 *
 * One struct collectord lives for the whole run; main.c fills its
 * settings, cd_init builds every part on one event_base, cd_run turns the
 * loop until a signal stops it, cd_free takes it all down in reverse.
 */
#ifndef CD_COLLECTORD_H
#define CD_COLLECTORD_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "cdconf.h"
#include "spool.h"

struct event_base;
struct event;
struct server;
struct fwd;
struct intake;

/*
 * Counters, reported by cd_stats_json (collectord(8) lists each):
 * totalEvents to lastError first, in the fixed order clients of the
 * stats rely on, the newer ones after.
 */
struct cd_stats {
	uint64_t	total_events;	/* accepted into the spool */
	uint64_t	flushed_batches; /* requests answered 2xx */
	uint64_t	dropped_events;	/* refused by the gateway: dead-lettered */
	uint64_t	rejected_events; /* request lines answered with an error */
	uint64_t	retries;	/* requests sent again */
	uint64_t	delivered_events; /* released after a 2xx */
	uint64_t	busy_replies;	/* events refused because the spool was full */
	uint64_t	fallback_files;	/* files taken in from the fallback dir */
	uint64_t	clients;	/* connections open now */
	uint64_t	connections;	/* connections accepted so far */
	uint64_t	busy_clients;	/* connections refused past max_clients */
	int		gateway_up;	/* the last request was answered 2xx */
	char		last_error[256];
	char		spool_error[256]; /* the last commit's failure, "" = ok */
};

struct collectord {
	struct event_base	*base;
	const char		*conf_path;
	int			 conf_must_exist;
	const char		*opt_socket;	/* command-line overrides */
	const char		*opt_gateway;
	const char		*opt_spool;
	struct cd_conf		 conf;
	struct cd_settings	 set;

	struct spool		*spool;
	struct server		*srv;
	struct fwd		*fwd;
	struct intake		*intake;

	struct event		*ev_sig[5];
	struct event		*ev_sync;	/* fsync=interval group commit */
	struct event		*ev_deadline;	/* shutdown_timeout_ms */
	int			 stopping;

	struct cd_stats		 st;
};

/*
 * Load the config file, apply the command-line overrides and resolve
 * (also used by SIGHUP). 0 or -1 with *cause.
 */
int cd_configure(struct collectord *cd, struct cd_conf *c,
    struct cd_settings *s, char **cause);
/* Build every part; 0 or -1 with *cause. Settings must be resolved. */
int cd_init(struct collectord *cd, char **cause);
/* Run the loop until stopped; returns the exit code. */
int cd_run(struct collectord *cd);
/* Free everything cd_init built. */
void cd_free(struct collectord *cd);

/*
 * Write what spool_append buffered and tell the server which replies may
 * go out. Returns the records committed or -1.
 */
long cd_commit(struct collectord *cd);
/* Stamp metadata.origin and append ev to the spool (0, 1 full, -1). */
int cd_append_event(struct collectord *cd, struct json_object *ev, uid_t uid,
    gid_t gid, pid_t pid, const char *via);
/* May this uid/gid report events (allow_uids, allow_gids)? */
int cd_allowed(struct collectord *cd, uid_t uid, gid_t gid);
/* The statistics object ({"totalEvents":…}); caller puts it. */
struct json_object *cd_stats_json(struct collectord *cd);
/* Log the statistics (SIGUSR1). */
void cd_stats_log(struct collectord *cd);
/* Remember an error for the stats' lastError. */
void cd_set_error(struct collectord *cd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Called when the spool may have become empty while stopping. */
void cd_check_done(struct collectord *cd);

/* Dead-letter file: append {"reason":…,"status":N,"event":{…}}. 0 or -1. */
int deadletter_write(struct collectord *cd, const char *reason, int status,
    const char *event, size_t len);
/* Dead-letter an input line that is not a valid event (fallback intake). */
int deadletter_line(struct collectord *cd, const char *reason,
    const char *source, const char *line, size_t len);

#endif
