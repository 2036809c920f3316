/*
 * collectord.c: the daemon as a whole: building the parts on one
 * event_base, the signals, group commit, statistics, reload and shutdown.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "avjson.h"
#include "collectord.h"
#include "event.h"
#include "forward.h"
#include "intake.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

/* Remember an error for lastError. */
void
cd_set_error(struct collectord *cd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cd->st.last_error, sizeof cd->st.last_error, fmt, ap);
	va_end(ap);
}

/* Write what spool_append buffered, then let the replies go. */
long
cd_commit(struct collectord *cd)
{
	char	*cause = NULL;
	long	 n;

	n = spool_commit(cd->spool, &cause);
	if (n == -1) {
		log_warnx_limited("%s", cause);
		cd_set_error(cd, "%s", cause);
		snprintf(cd->st.spool_error, sizeof cd->st.spool_error, "%s",
		    cause);
		free(cause);
	} else {
		cd->st.total_events += n;
		if (n > 0)	/* a commit of nothing proves nothing */
			cd->st.spool_error[0] = '\0';
	}
	if (cd->srv != NULL)
		server_committed(cd->srv, n != -1);
	if (n > 0 && cd->fwd != NULL)
		fwd_kick(cd->fwd);
	return n;
}

/* Stamp metadata.origin and append ev to the spool. */
int
cd_append_event(struct collectord *cd, struct json_object *ev, uid_t uid,
    gid_t gid, pid_t pid, const char *via)
{
	struct json_object	*o;
	const char		*s;
	size_t			 len;

	o = json_object_new_object();
	json_object_object_add(o, "uid", json_object_new_int64(uid));
	json_object_object_add(o, "gid", json_object_new_int64(gid));
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	json_object_object_add(o, "via", json_object_new_string(via));
	json_object_object_add(evt_metadata(ev), "origin", o);
	s = avjson_str(ev, &len);
	return spool_append(cd->spool, s, len);
}

/* May this uid/gid report events (allow_uids, allow_gids)? */
int
cd_allowed(struct collectord *cd, uid_t uid, gid_t gid)
{
	const struct cd_settings	*s = &cd->set;
	size_t				 i;

	if (s->nuids == 0 && s->ngids == 0)
		return 1;
	if (uid == 0 || uid == geteuid())
		return 1;
	for (i = 0; i < s->nuids; i++) {
		if (s->uids[i] == uid)
			return 1;
	}
	for (i = 0; i < s->ngids; i++) {
		if (s->gids[i] == gid)
			return 1;
	}
	return 0;
}

/* The statistics object. */
struct json_object *
cd_stats_json(struct collectord *cd)
{
	struct json_object	*o;
	struct spool_stats	 ss;
	struct cd_stats		*st = &cd->st;

	spool_stats(cd->spool, &ss);
	o = json_object_new_object();
	json_object_object_add(o, "totalEvents",
	    json_object_new_int64(st->total_events));
	json_object_object_add(o, "flushedBatches",
	    json_object_new_int64(st->flushed_batches));
	json_object_object_add(o, "droppedEvents",
	    json_object_new_int64(st->dropped_events));
	json_object_object_add(o, "rejectedEvents",
	    json_object_new_int64(st->rejected_events));
	json_object_object_add(o, "retries",
	    json_object_new_int64(st->retries));
	json_object_object_add(o, "spooledEvents",
	    json_object_new_int64(ss.events));
	json_object_object_add(o, "spooledBytes",
	    json_object_new_int64(ss.bytes));
	/* Whether the spool takes events now, and why not. */
	json_object_object_add(o, "spoolMaxBytes",
	    json_object_new_int64(cd->conf.spool_max_bytes));
	json_object_object_add(o, "spoolFull", json_object_new_boolean(
	    ss.bytes >= (uint64_t)cd->conf.spool_max_bytes));
	json_object_object_add(o, "spoolWritable",
	    json_object_new_boolean(st->spool_error[0] == '\0'));
	json_object_object_add(o, "spoolError", st->spool_error[0] != '\0' ?
	    json_object_new_string(st->spool_error) : NULL);
	json_object_object_add(o, "inflight", json_object_new_int64(
	    cd->fwd != NULL ? fwd_inflight(cd->fwd) : 0));
	json_object_object_add(o, "gatewayUp",
	    json_object_new_boolean(st->gateway_up));
	json_object_object_add(o, "lastError", st->last_error[0] != '\0' ?
	    json_object_new_string(st->last_error) : NULL);
	json_object_object_add(o, "deliveredEvents",
	    json_object_new_int64(st->delivered_events));
	json_object_object_add(o, "busyReplies",
	    json_object_new_int64(st->busy_replies));
	json_object_object_add(o, "corruptRecords",
	    json_object_new_int64(ss.corrupt));
	json_object_object_add(o, "fallbackFiles",
	    json_object_new_int64(st->fallback_files));
	json_object_object_add(o, "clients",
	    json_object_new_int64(st->clients));
	json_object_object_add(o, "connections",
	    json_object_new_int64(st->connections));
	json_object_object_add(o, "busyClients",
	    json_object_new_int64(st->busy_clients));
	return o;
}

/* Log the statistics. */
void
cd_stats_log(struct collectord *cd)
{
	struct json_object	*o = cd_stats_json(cd);

	log_info("stats %s", avjson_str(o, NULL));
	json_object_put(o);
}

/* Done stopping when nothing is left to deliver (or nothing can be). */
void
cd_check_done(struct collectord *cd)
{
	struct spool_stats	ss;

	if (!cd->stopping)
		return;
	spool_stats(cd->spool, &ss);
	if (ss.events == 0 && !fwd_busy(cd->fwd))
		event_base_loopexit(cd->base, NULL);
}

/* The group commit timer of fsync=interval; also persists the release point. */
static void
cd_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collectord	*cd = arg;

	spool_sync(cd->spool);
	spool_flush_ack(cd->spool);
}

/* shutdown_timeout_ms passed: what is left stays spooled. */
static void
cd_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collectord	*cd = arg;
	struct spool_stats	 ss;

	spool_stats(cd->spool, &ss);
	log_info("shutdown timeout: %" PRIu64 " events stay spooled for the "
	    "next start", ss.events);
	event_base_loopbreak(cd->base);
}

/* SIGTERM, SIGINT: stop accepting, deliver for a while, exit 0. */
static void
cd_stop(struct collectord *cd)
{
	struct timeval	tv;

	if (cd->stopping) {
		log_info("second signal: exiting now");
		event_base_loopbreak(cd->base);
		return;
	}
	cd->stopping = 1;
	log_info("stopping: no new events; delivering for up to %lld ms",
	    cd->conf.shutdown_timeout_ms);
	server_stop_accepting(cd->srv);
	cd_commit(cd);
	tv.tv_sec = cd->conf.shutdown_timeout_ms / 1000;
	tv.tv_usec = (cd->conf.shutdown_timeout_ms % 1000) * 1000;
	evtimer_add(cd->ev_deadline, &tv);
	fwd_kick(cd->fwd);
	cd_check_done(cd);
}

/* Settings that cannot change without a restart. */
static void
cd_reload_check(const char *key, const char *old, const char *new)
{
	if ((old == NULL) != (new == NULL) ||
	    (old != NULL && strcmp(old, new) != 0))
		log_warnx("reload: %s changed; it takes effect at the next "
		    "start", key);
}

/* SIGHUP: read the configuration again; keep the old one if it is bad. */
static void
cd_reload(struct collectord *cd)
{
	struct cd_conf		 c;
	struct cd_settings	 s;
	struct timeval		 tv;
	char			*cause = NULL;
	int			 gw, idle;

	if (cd_configure(cd, &c, &s, &cause) == -1) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		free(cause);
		return;
	}
	cd_reload_check("socket", cd->conf.socket, c.socket);
	cd_reload_check("socket_group", cd->conf.socket_group, c.socket_group);
	cd_reload_check("socket_mode", cd->conf.socket_mode, c.socket_mode);
	cd_reload_check("spool_dir", cd->conf.spool_dir, c.spool_dir);
	cd_reload_check("fallback_dir", cd->conf.fallback_dir, c.fallback_dir);
	gw = strcmp(cd->conf.gateway, c.gateway) != 0 ||
	    (cd->set.token == NULL) != (s.token == NULL) ||
	    (s.token != NULL && strcmp(cd->set.token, s.token) != 0) ||
	    cd->conf.request_timeout_ms != c.request_timeout_ms;
	idle = cd->conf.client_idle_ms != c.client_idle_ms;

	/* Keep the parts that need a restart as they are. */
#define KEEP(f) do { char *t = c.f; c.f = cd->conf.f; cd->conf.f = t; } while (0)
	KEEP(socket);
	KEEP(socket_group);
	KEEP(socket_mode);
	KEEP(spool_dir);
	KEEP(fallback_dir);
#undef KEEP
	cdconf_free(&cd->conf);
	cdconf_settings_free(&cd->set);
	cd->conf = c;
	cd->set = s;

	spool_set_limits(cd->spool, cd->conf.spool_max_bytes,
	    cd->conf.segment_bytes, cd->conf.fsync);
	tv.tv_sec = cd->conf.fsync_interval_ms / 1000;
	tv.tv_usec = (cd->conf.fsync_interval_ms % 1000) * 1000;
	event_add(cd->ev_sync, &tv);
	if (gw)
		fwd_reconfigure(cd->fwd);
	if (idle && cd->srv != NULL)
		server_reconfigure(cd->srv);
	log_info("configuration reloaded");
}

/* Every signal arrives here, as an event (nothing runs in a handler). */
static void
cd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct collectord	*cd = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		cd_stop(cd);
		break;
	case SIGHUP:
		cd_reload(cd);
		break;
	case SIGUSR1:
		cd_stats_log(cd);
		break;
	}
}

/* Load the file, apply the command line, resolve. */
int
cd_configure(struct collectord *cd, struct cd_conf *c, struct cd_settings *s,
    char **cause)
{
	if (cdconf_load(c, cd->conf_path, cd->conf_must_exist, cause) == -1)
		goto fail;
	if (cd->opt_socket != NULL &&
	    conf_set(cdconf_keys, c, "socket", cd->opt_socket, cause) == -1)
		goto fail;
	if (cd->opt_gateway != NULL &&
	    conf_set(cdconf_keys, c, "gateway", cd->opt_gateway, cause) == -1)
		goto fail;
	if (cd->opt_spool != NULL &&
	    conf_set(cdconf_keys, c, "spool_dir", cd->opt_spool, cause) == -1)
		goto fail;
	if (cdconf_resolve(c, s, cause) == -1)
		goto fail;
	return 0;
fail:
	cdconf_free(c);
	return -1;
}

/* Give group members a way into <spool>/incoming, and nothing more. */
static void
cd_spool_perms(struct collectord *cd)
{
	size_t	n = strlen(cd->conf.spool_dir);

	if (strncmp(cd->conf.fallback_dir, cd->conf.spool_dir, n) != 0 ||
	    cd->conf.fallback_dir[n] != '/')
		return;
	if (chmod(cd->conf.spool_dir, 0710) == -1 ||
	    (cd->set.socket_gid != (gid_t)-1 &&
	    chown(cd->conf.spool_dir, -1, cd->set.socket_gid) == -1))
		log_warn("spool %s", cd->conf.spool_dir);
}

/* Build every part. */
int
cd_init(struct collectord *cd, char **cause)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct spool_opts	 so;
	struct timeval		 tv;
	size_t			 i;

	if ((cd->base = event_base_new()) == NULL) {
		*cause = xstrdup("event_base_new failed");
		return -1;
	}
	memset(&so, 0, sizeof so);
	so.dir = cd->conf.spool_dir;
	so.segment_bytes = cd->conf.segment_bytes;
	so.max_bytes = cd->conf.spool_max_bytes;
	so.fsync = cd->conf.fsync;
	/*
	 * The socket first: "another collectord is listening" is the likelier
	 * mistake and the clearer message. Nothing is accepted before the
	 * loop runs, and by then the spool is open.
	 */
	if ((cd->srv = server_new(cd, cause)) == NULL)
		return -1;
	if ((cd->spool = spool_open(&so, cause)) == NULL)
		return -1;
	cd_spool_perms(cd);
	if ((cd->fwd = fwd_new(cd, cause)) == NULL)
		return -1;
	if ((cd->intake = intake_new(cd, cause)) == NULL)
		return -1;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		cd->ev_sig[i] = evsignal_new(cd->base, sigs[i], cd_signal_cb,
		    cd);
		if (cd->ev_sig[i] == NULL || evsignal_add(cd->ev_sig[i],
		    NULL) == -1) {
			*cause = xstrdup("cannot set up signal events");
			return -1;
		}
	}
	cd->ev_sync = event_new(cd->base, -1, EV_PERSIST, cd_sync_cb, cd);
	cd->ev_deadline = evtimer_new(cd->base, cd_deadline_cb, cd);
	if (cd->ev_sync == NULL || cd->ev_deadline == NULL) {
		*cause = xstrdup("cannot set up timers");
		return -1;
	}
	tv.tv_sec = cd->conf.fsync_interval_ms / 1000;
	tv.tv_usec = (cd->conf.fsync_interval_ms % 1000) * 1000;
	event_add(cd->ev_sync, &tv);
	log_info("listening on %s, spool %s, gateway %s", cd->conf.socket,
	    cd->conf.spool_dir, cd->conf.gateway);
	return 0;
}

/* Run the loop until stopped. */
int
cd_run(struct collectord *cd)
{
	if (event_base_dispatch(cd->base) == -1) {
		log_warnx("event loop failed");
		return 1;
	}
	return 0;
}

/* Free everything cd_init built, in reverse. */
void
cd_free(struct collectord *cd)
{
	size_t	i;

	if (cd->ev_deadline != NULL)
		event_free(cd->ev_deadline);
	if (cd->ev_sync != NULL)
		event_free(cd->ev_sync);
	for (i = 0; i < sizeof cd->ev_sig / sizeof cd->ev_sig[0]; i++) {
		if (cd->ev_sig[i] != NULL)
			event_free(cd->ev_sig[i]);
	}
	intake_free(cd->intake);
	fwd_free(cd->fwd);
	cd->fwd = NULL;
	server_free(cd->srv);
	cd->srv = NULL;
	spool_close(cd->spool);
	cd->spool = NULL;
	if (cd->base != NULL)
		event_base_free(cd->base);
	cdconf_settings_free(&cd->set);
	cdconf_free(&cd->conf);
}
