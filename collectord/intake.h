/*
 * intake.h: taking in the files hookcli left in the fallback directory
 * while collectord was unreachable (their format: agentvis-events(7)).
 *
 * The directory is scanned at start and every fallback_scan_ms. Each
 * finished file (fallback_is_ready) is read line by line; valid events are
 * stamped with origin {uid, gid: the file's owner, pid: 0, via:
 * "fallback"} and appended to the spool, invalid lines go to the
 * dead-letter file, and the file is deleted once its events are committed
 * (and, unless fsync=never, synced). A crash before the delete takes the
 * file in again: duplicates, which the gateway drops by event_id.
 *
 * Created if missing with mode 1730 (group: socket_group): members of the
 * group may drop files, nobody but collectord may list or read them, and
 * the sticky bit stops one writer from removing another's files.
 */
#ifndef CD_INTAKE_H
#define CD_INTAKE_H

struct collectord;
struct intake;

/* Create (if needed) and start watching the fallback directory. */
struct intake *intake_new(struct collectord *cd, char **cause);
/* Stop and free. */
void intake_free(struct intake *in);
/* Scan now (tests, start). */
void intake_scan(struct intake *in);

#endif
