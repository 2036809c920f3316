/*
 * fuzz_conf.c: the config parser under hostile text, with a table that
 * has every value type. Whatever loads must dump and free cleanly.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz_cfg {
	char		*s;
	char		*token;
	long long	 i, size, ms;
	int		 b, e;
	struct conf_list l;
};

static const char *const fz_choices[] = { "never", "interval", "always", NULL };

static const struct conf_key fz_tab[] = {
	{ "s", CONF_STR, "x", offsetof(struct fz_cfg, s), 0, 0, NULL, "" },
	{ "token", CONF_STR, NULL, offsetof(struct fz_cfg, token), 0, 0, NULL, "" },
	{ "i", CONF_INT, "1", offsetof(struct fz_cfg, i), -5, 5, NULL, "" },
	{ "size", CONF_SIZE, "1K", offsetof(struct fz_cfg, size), 0, 0, NULL, "" },
	{ "ms", CONF_MS, "1s", offsetof(struct fz_cfg, ms), 0, 0, NULL, "" },
	{ "b", CONF_BOOL, "yes", offsetof(struct fz_cfg, b), 0, 0, NULL, "" },
	{ "e", CONF_ENUM, "never", offsetof(struct fz_cfg, e), 0, 0, fz_choices, "" },
	{ "l", CONF_LIST, "a,b", offsetof(struct fz_cfg, l), 0, 0, NULL, "" },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL }
};

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_cfg	 c;
	char		*cause = NULL, *buf = NULL, *str;
	size_t		 blen = 0;
	long long	 v;
	FILE		*fp;

	memset(&c, 0, sizeof c);
	if (conf_defaults(fz_tab, &c, &cause) != 0)
		abort();
	if (conf_load_buf("fuzz", (const char *)data, size, fz_tab, &c, &cause) != 0) {
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0)
			abort();
		free(cause);
	} else {
		if (c.i < -5 || c.i > 5 || c.e < 0 || c.e > 2 || c.size < 0 || c.ms < 0)
			abort();
		if ((fp = open_memstream(&buf, &blen)) != NULL) {
			conf_dump(fz_tab, &c, fp);
			fclose(fp);
			free(buf);
		}
	}
	conf_free(fz_tab, &c);
	/* The unit parsers on the raw text as one value. */
	if ((str = strndup((const char *)data, size)) != NULL) {
		if (conf_parse_size(str, &v) == 0 && v < 0)
			abort();
		if (conf_parse_ms(str, &v) == 0 && v < 0)
			abort();
		free(str);
	}
	return 0;
}
