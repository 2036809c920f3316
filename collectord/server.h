/*
 * server.h: the Unix socket clients connect to (the local protocol of
 * agentvis-events(7)).
 *
 * Every request line gets one reply line, in order. Replies to events are
 * held back until the spool commit that holds those events has returned
 * (group commit: one commit per turn of the loop for all clients), so an
 * ack always means "in the spool". A client that pipelines faster than it
 * reads its replies is paused, not buffered without bound.
 */
#ifndef CD_SERVER_H
#define CD_SERVER_H

#include <sys/types.h>

struct collectord;
struct server;

/*
 * Set up the socket the careful way (path length, refuse when a live
 * collectord answers, unlink a stale one, directory 0750, umask around
 * bind, mode and group) and start accepting. NULL with *cause.
 */
struct server *server_new(struct collectord *cd, char **cause);
/* Close every client and the listener, unlink the socket, free. */
void server_free(struct server *srv);
/*
 * Stop accepting (SIGTERM): unlink the socket so new hookcli runs use
 * the fallback directory, answer what was read, then close the clients.
 */
void server_stop_accepting(struct server *srv);
/* After a spool commit: release (ok) or drop (!ok) the held replies. */
void server_committed(struct server *srv, int ok);
/* After a reload: client_idle_ms may have changed; arm every client anew. */
void server_reconfigure(struct server *srv);
/*
 * Try to connect to path: 1 if a server answers, 0 if nothing listens
 * (stale or absent), -1 with errno on other errors.
 */
int server_probe(const char *path);

#endif
