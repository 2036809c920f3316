/*
 * token.h: bearer tokens, the same for collectord and gatewayd: what a
 * token may look like, the one line syntax that names a token (and for
 * gatewayd its user and project), and the one policy for the files that
 * hold them.
 */
#ifndef AV_TOKEN_H
#define AV_TOKEN_H

#include <stddef.h>
#include <stdio.h>

#define TOKEN_MIN	8	/* bytes */
#define TOKEN_MAX	256

/*
 * 1 if tok[0..len) is a token: TOKEN_MIN to TOKEN_MAX printable ASCII
 * bytes, none of them a space, ':' or ','. It goes into an HTTP header,
 * and the characters left out separate the fields of a token line and
 * the entries of a configuration list.
 */
int token_ok(const char *tok, size_t len);

/*
 * Split one token line, "TOKEN [USER [PROJECT]]", into f: fields are
 * separated by spaces, tabs or ':', and '#' starts a comment. line is
 * modified and f points into it. Returns the number of fields (0 for a
 * blank line), or -1 when there are more than 3 or the first is not a
 * token.
 */
int token_fields(char *line, char *f[3]);

/*
 * Open a token file for reading. Refused, with *cause, when others may
 * read it (chmod o-r), as ssh refuses a loose private key: the daemons'
 * group may.
 */
FILE *token_file_open(const char *path, char **cause);

/*
 * Make a token file at path holding one new random token, mode 0640 (the
 * daemons' group may read it) less the umask, unless path already
 * exists. It appears whole or not at all, so a daemon started at the
 * same moment never reads half of it. 1 if made, 0 if it was there, -1
 * with *cause.
 */
int token_file_init(const char *path, char **cause);

/*
 * A daemon's --init-token: token_file_init on the ingest_token_file its
 * configuration names (path; NULL: none, nothing to make), logging what
 * it did. The exit status: 0, or 1 when the file cannot be made.
 */
int token_init_option(const char *path);

#endif
