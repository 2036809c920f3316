/*
 * daemon.h: what both daemons need from the system: detaching, pid files,
 * and the systemd readiness notification (without libsystemd).
 */
#ifndef AV_DAEMON_H
#define AV_DAEMON_H

/* Send a state line ("READY=1") to $NOTIFY_SOCKET if set. 0, or -1 on error. */
int sdnotify(const char *state);
/* Fork into the background, setsid, stdio to /dev/null. 0 or -1 with *cause. */
int daemon_detach(char **cause);
/*
 * Create path holding our pid, refusing when a live process holds it
 * (fcntl lock). Returns the fd to keep open, or -1 with *cause.
 * Call it after daemon_detach: fcntl locks do not pass to a child.
 */
int pidfile_create(const char *path, char **cause);
/* Remove the pid file at exit. */
void pidfile_remove(const char *path);

#endif
