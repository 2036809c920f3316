/*
 * driver.c: runs a fuzz target over files without libFuzzer, so that
 * `make check` replays the committed seed corpus through every target
 * and the targets never rot. With --enable-fuzzing the
 * targets link libFuzzer's own main instead.
 *
 * usage: fuzz_X [FILE|DIR ...]
 * Without arguments it reads $top_srcdir/tests/fuzz/corpus/<program name>/.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Feed one file to the target. 0, or -1 when it cannot be read. */
static int
driver_file(const char *path)
{
	FILE	*fp;
	uint8_t	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((buf = realloc(buf, cap)) == NULL) {
				fclose(fp);
				return -1;
			}
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Feed a file, or every regular file of a directory. Returns files run, or -1. */
static int
driver_path(const char *path)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 sub[4096];
	int		 n = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return driver_file(path) == 0 ? 1 : -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			if (driver_file(sub) == -1) {
				closedir(d);
				return -1;
			}
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Run every file named (or the target's seed corpus), then report. */
int
main(int argc, char **argv)
{
	const char	*top = getenv("top_srcdir");
	char		 dir[4096], prog[256];
	int		 i, n, total = 0;

	if (argc < 2) {
		snprintf(prog, sizeof prog, "%s", argv[0]);
		/* Libtool-less builds: the program name is the corpus name. */
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s",
		    top != NULL ? top : ".", basename(prog));
		if ((total = driver_path(dir)) <= 0) {
			fprintf(stderr, "%s: no seed corpus\n", dir);
			return 99;
		}
	} else {
		for (i = 1; i < argc; i++) {
			if ((n = driver_path(argv[i])) == -1)
				return 99;
			total += n;
		}
	}
	printf("%s: %d inputs, no crash\n", argv[0], total);
	return 0;
}
