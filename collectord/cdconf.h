/*
 * cdconf.h: collectord's settings: one table of keys (cdconf_keys) drives
 * the config file parser, the command-line overrides, -n and the list in
 * collectord.conf(5) (a unit test checks the page and the example file
 * name every key).
 */
#ifndef CD_CDCONF_H
#define CD_CDCONF_H

#include <sys/types.h>

#include "conf.h"

enum cd_fsync_conf {
	CD_FSYNC_NEVER,
	CD_FSYNC_INTERVAL,
	CD_FSYNC_ALWAYS,
};

struct cd_conf {
	char		*socket;
	char		*socket_group;
	char		*socket_mode;		/* octal text, "0660" */
	struct conf_list allow_uids;
	struct conf_list allow_gids;
	long long	 max_clients;
	long long	 client_idle_ms;
	long long	 max_line_bytes;

	char		*gateway;
	char		*ingest_token;
	char		*ingest_token_file;
	long long	 request_timeout_ms;

	char		*spool_dir;
	char		*fallback_dir;		/* default <spool_dir>/incoming */
	char		*dead_letter;		/* default <spool_dir>/dead-letter.ndjson */
	int		 fsync;			/* enum cd_fsync_conf */
	long long	 fsync_interval_ms;
	long long	 spool_max_bytes;
	long long	 segment_bytes;
	long long	 fallback_scan_ms;

	long long	 batch_max_events;
	long long	 batch_max_bytes;
	long long	 flush_interval_ms;
	long long	 retry_base_ms;
	long long	 retry_max_ms;
	long long	 probe_interval_ms;
	long long	 max_inflight;
	long long	 max_retries;
	long long	 shutdown_timeout_ms;
};

/* What the table resolves to, checked and ready for use. */
struct cd_settings {
	mode_t		 socket_mode;
	gid_t		 socket_gid;		/* (gid_t)-1: leave as is */
	uid_t		*uids;
	size_t		 nuids;
	gid_t		*gids;
	size_t		 ngids;
	char		*token;			/* NULL: no Authorization */
	char		*gw_host;
	int		 gw_port;
	char		*gw_path;		/* ".../api/v1/events/ingest" */
	char		*gw_health;		/* ".../api/v1/health" */
	char		*gw_hostheader;
};

/* The table of keys. */
extern const struct conf_key cdconf_keys[];

/* Defaults into c. Fatal only on a broken table. */
void cdconf_defaults(struct cd_conf *c);
/*
 * Load path into c (defaults applied first). A missing file is an error
 * only when must_exist. 0 or -1 with *cause.
 */
int cdconf_load(struct cd_conf *c, const char *path, int must_exist,
    char **cause);
/*
 * Check c and work out what it means (groups, uids, URL, token from the
 * file or AGENTVIS_INGEST_TOKEN). 0 or -1 with *cause.
 */
int cdconf_resolve(struct cd_conf *c, struct cd_settings *s, char **cause);
/* Free c's strings. */
void cdconf_free(struct cd_conf *c);
/* Free s. */
void cdconf_settings_free(struct cd_settings *s);

#endif
