/*
 * token.c: bearer tokens; see token.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "token.h"
#include "xmalloc.h"

/* Is tok[0..len) a token? */
int
token_ok(const char *tok, size_t len)
{
	size_t	i;

	if (len < TOKEN_MIN || len > TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (tok[i] <= ' ' || tok[i] > '~' || tok[i] == ':' ||
		    tok[i] == ',')
			return 0;
	return 1;
}

/* Split a token line into its fields. */
int
token_fields(char *line, char *f[3])
{
	char	*p, *save;
	int	 n = 0;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = strtok_r(line, " \t\r\n:", &save); p != NULL;
	    p = strtok_r(NULL, " \t\r\n:", &save)) {
		if (n == 3)
			return -1;
		f[n++] = p;
	}
	if (n > 0 && !token_ok(f[0], strlen(f[0])))
		return -1;
	return n;
}

/* Open a token file, refusing one others may read. */
FILE *
token_file_open(const char *path, char **cause)
{
	struct stat	 sb;
	FILE		*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		*cause = xasprintf("%s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (--init-token makes one)" : "");
		return NULL;
	}
	if (fstat(fileno(fp), &sb) != 0 || (sb.st_mode & S_IROTH)) {
		*cause = xasprintf("%s: token file is readable by others "
		    "(chmod o-r)", path);
		fclose(fp);
		return NULL;
	}
	return fp;
}

/* Bytes of randomness in a made token (written as hex). */
#define TOKEN_RANDOM	32

/* Write all of buf to fd. */
static int
token_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sync the directory that holds path, so a new name in it lasts. */
static int
token_sync_dir(const char *path)
{
	char	*copy;
	int	 fd, rc;

	copy = xstrdup(path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Make a token file with a new token, unless there is one. */
int
token_file_init(const char *path, char **cause)
{
	unsigned char	 rnd[TOKEN_RANDOM];
	char		 line[2 * TOKEN_RANDOM + 128], *tmp;
	size_t		 i, len;
	mode_t		 mask;
	int		 fd, rc, saved;

	if (access(path, F_OK) == 0)
		return 0;
	if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (getentropy(rnd, sizeof rnd) != 0) {
		*cause = xasprintf("getentropy: %s", strerror(errno));
		return -1;
	}
	len = (size_t)snprintf(line, sizeof line, "# agentvis ingest token, "
	    "made by --init-token: collectord and gatewayd share it\n");
	for (i = 0; i < sizeof rnd; i++)
		len += (size_t)snprintf(line + len, sizeof line - len, "%02x",
		    rnd[i]);
	line[len++] = '\n';
	explicit_bzero(rnd, sizeof rnd);

	/* Written under another name, then linked: link never replaces. */
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		rc = -1;
		goto out;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0640 & ~mask) != 0 ||
	    token_write_all(fd, line, len) != 0 ||
	    fsync(fd) != 0) {
		saved = errno;
		close(fd);
		*cause = xasprintf("%s: %s", tmp, strerror(saved));
		rc = -1;
		goto unlink;
	}
	close(fd);
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			rc = 0;		/* the other daemon was first */
		else {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			rc = -1;
		}
		goto unlink;
	}
	rc = 1;
	if (token_sync_dir(path) != 0) {
		*cause = xasprintf("%s: sync of its directory: %s", path,
		    strerror(errno));
		rc = -1;
	}
unlink:
	unlink(tmp);
out:
	explicit_bzero(line, sizeof line);
	free(tmp);
	return rc;
}

/* A daemon's --init-token. */
int
token_init_option(const char *path)
{
	char	*cause = NULL;

	if (path == NULL) {
		log_info("no ingest_token_file configured: no token to make");
		return 0;
	}
	switch (token_file_init(path, &cause)) {
	case 1:
		log_info("made %s with a new ingest token", path);
		return 0;
	case 0:
		log_info("%s is there already", path);
		return 0;
	default:
		log_warnx("--init-token: %s", cause);
		free(cause);
		return 1;
	}
}
