/*
 * conf.h: the one config-table parser of both daemons.
 *
 * A program describes its settings as a table of keys; the same table
 * fills defaults, parses "key = value" files (# comments, blank lines,
 * optional double quotes), applies command-line overrides, checks (-n) and
 * prints the effective configuration. Unknown keys and bad values are
 * errors that name file:line and the key.
 *
 * Value types and their C storage at base + offset:
 *   CONF_STR   char *          (NULL when unset and no default)
 *   CONF_INT   long long       (min/max checked)
 *   CONF_SIZE  long long bytes ("64K", "16M", "1G", or plain bytes)
 *   CONF_MS    long long ms    ("500ms", "2s", "5m", "1h", or plain ms)
 *   CONF_BOOL  int             (yes/no, true/false, on/off, 1/0)
 *   CONF_ENUM  int             (index into .choices)
 *   CONF_LIST  struct conf_list (comma/space separated; a repeated key appends)
 *
 * A table ends with an entry whose name is NULL. base must start zeroed
 * (or conf_free'd); conf_set replaces a LIST, a file's first occurrence of
 * a LIST key replaces the default and later occurrences append.
 */
#ifndef AV_CONF_H
#define AV_CONF_H

#include <stddef.h>
#include <stdio.h>

enum conf_type {
	CONF_STR,
	CONF_INT,
	CONF_SIZE,
	CONF_MS,
	CONF_BOOL,
	CONF_ENUM,
	CONF_LIST,
};

struct conf_list {
	char	**v;
	size_t	  n;
};

struct conf_key {
	const char	 *name;
	enum conf_type	  type;
	const char	 *def;		/* default as text, or NULL */
	size_t		  offset;	/* where the value lands in the struct */
	long long	  min, max;	/* for INT/SIZE/MS; both 0 = unchecked */
	const char *const *choices;	/* for ENUM, NULL-ended */
	const char	 *help;		/* one line, for --help and -n */
};

/* Apply every default of tab to base. Returns 0 or -1 with *cause. */
int conf_defaults(const struct conf_key *tab, void *base, char **cause);
/* Parse file path into base. Returns 0 or -1 with *cause ("f:3: unknown key 'x'"). */
int conf_load(const char *path, const struct conf_key *tab, void *base, char **cause);
/* Parse config text (for tests and fuzzing); name is used in messages. */
int conf_load_buf(const char *name, const char *text, size_t len,
    const struct conf_key *tab, void *base, char **cause);
/* Set one key from text (command-line override). 0 or -1 with *cause. */
int conf_set(const struct conf_key *tab, void *base, const char *key,
    const char *value, char **cause);
/* Look up a key of tab; NULL if unknown. */
const struct conf_key *conf_find(const struct conf_key *tab, const char *key);
/* Print "key = value" for every key (tokens shown as "(set)"). */
void conf_dump(const struct conf_key *tab, const void *base, FILE *fp);
/* Free strings and lists held in base. */
void conf_free(const struct conf_key *tab, void *base);
/* Parse "64K"/"1M"/…; 0 or -1. */
int conf_parse_size(const char *s, long long *out);
/* Parse "250ms"/"2s"/…; 0 or -1. */
int conf_parse_ms(const char *s, long long *out);

#endif
