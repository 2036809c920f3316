/*
 * token.c: bearer tokens; see token.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <string.h>

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
		*cause = xasprintf("%s: %s", path, strerror(errno));
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
