/*
 * conf.c: the config-table parser.
 *
 * A program's settings are one table of struct conf_key, ended by an entry
 * with a NULL name. The table drives defaults, file parsing, command-line
 * overrides, the -n dump and the man page's list, so a setting cannot be
 * documented in one place and parsed differently in another.
 *
 * File syntax, one setting a line:
 *	# comment (whole line)
 *	key = value
 *	key = "value with \"quotes\", \\ and # inside"
 * Unknown keys and bad values are errors naming file:line; a config file
 * with a typo must not start a daemon that silently does something else.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "xmalloc.h"

/* Largest config file we read; anything bigger is not a config file. */
#define CONF_FILE_MAX (1024 * 1024)

/* Where key k's value lives in base. */
#define CONF_AT(base, k, type) ((type *)(void *)((char *)(base) + (k)->offset))

/* Look up a key of tab; NULL if unknown. */
const struct conf_key *
conf_find(const struct conf_key *tab, const char *key)
{
	for (; tab->name != NULL; tab++) {
		if (strcmp(tab->name, key) == 0)
			return tab;
	}
	return NULL;
}

/* Parse a non-negative decimal number with an optional unit suffix. */
static int
conf_parse_unit(const char *s, long long *out, const char *const *units,
    const long long *mult)
{
	unsigned long long	 v;
	char			*end;
	const char		*u;
	int			 i;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > LLONG_MAX)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	u = end;
	for (i = 0; units[i] != NULL; i++) {
		if (strcasecmp(u, units[i]) == 0)
			break;
	}
	if (units[i] == NULL)
		return -1;
	if (mult[i] != 0 && v > (unsigned long long)(LLONG_MAX / mult[i]))
		return -1;
	*out = (long long)v * mult[i];
	return 0;
}

/* Parse "64K"/"1M"/… (binary multiples) into bytes. */
int
conf_parse_size(const char *s, long long *out)
{
	static const char *const units[] = {
		"", "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib",
		"t", "tb", "tib", NULL
	};
	static const long long mult[] = {
		1, 1, 1LL << 10, 1LL << 10, 1LL << 10, 1LL << 20, 1LL << 20,
		1LL << 20, 1LL << 30, 1LL << 30, 1LL << 30, 1LL << 40,
		1LL << 40, 1LL << 40
	};

	return conf_parse_unit(s, out, units, mult);
}

/* Parse "250ms"/"2s"/"5m"/"1h"/"1d" into milliseconds. */
int
conf_parse_ms(const char *s, long long *out)
{
	static const char *const units[] = { "", "ms", "s", "m", "h", "d", NULL };
	static const long long mult[] = { 1, 1, 1000, 60000, 3600000, 86400000 };

	return conf_parse_unit(s, out, units, mult);
}

/* Parse a boolean word; 0/1, or -1. */
static int
conf_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int	i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Free the value of one key. */
static void
conf_free_key(const struct conf_key *k, void *base)
{
	struct conf_list	*l;
	char			**sp;
	size_t			 i;

	switch (k->type) {
	case CONF_STR:
		sp = CONF_AT(base, k, char *);
		free(*sp);
		*sp = NULL;
		break;
	case CONF_LIST:
		l = CONF_AT(base, k, struct conf_list);
		for (i = 0; i < l->n; i++)
			free(l->v[i]);
		free(l->v);
		l->v = NULL;
		l->n = 0;
		break;
	default:
		break;
	}
}

/* Append the comma/space separated items of s to list l. */
static void
conf_list_add(struct conf_list *l, const char *s)
{
	size_t	n;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			return;
		n = strcspn(s, ", \t");
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = xstrndup(s, n);
		s += n;
	}
}

/*
 * Set key k from text. With append, a LIST grows instead of being
 * replaced (a key repeated in one file). 0, or -1 with a reason in *why.
 */
static int
conf_apply(const struct conf_key *k, void *base, const char *value, int append,
    char **why)
{
	long long	 v;
	char		*end;
	int		 b, i;

	switch (k->type) {
	case CONF_STR:
		conf_free_key(k, base);
		*CONF_AT(base, k, char *) = xstrdup(value);
		return 0;
	case CONF_LIST:
		if (!append)
			conf_free_key(k, base);
		conf_list_add(CONF_AT(base, k, struct conf_list), value);
		return 0;
	case CONF_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (*value == '\0' || isspace((unsigned char)*value) ||
		    *end != '\0' || errno != 0) {
			*why = xstrdup("not an integer");
			return -1;
		}
		break;
	case CONF_SIZE:
		if (conf_parse_size(value, &v) != 0) {
			*why = xstrdup("not a size (bytes, or with K, M, G, T)");
			return -1;
		}
		break;
	case CONF_MS:
		if (conf_parse_ms(value, &v) != 0) {
			*why = xstrdup("not a duration (ms, or with ms, s, m, h, d)");
			return -1;
		}
		break;
	case CONF_BOOL:
		if ((b = conf_parse_bool(value)) == -1) {
			*why = xstrdup("not a boolean (yes/no, true/false, on/off, 1/0)");
			return -1;
		}
		*CONF_AT(base, k, int) = b;
		return 0;
	case CONF_ENUM:
		for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
			if (strcmp(k->choices[i], value) == 0) {
				*CONF_AT(base, k, int) = i;
				return 0;
			}
		}
		{
			size_t	 len = 32;
			char	*msg;

			for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++)
				len += strlen(k->choices[i]) + 2;
			msg = xmalloc(len);
			strcpy(msg, "must be one of:");
			for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
				strcat(msg, i == 0 ? " " : ", ");
				strcat(msg, k->choices[i]);
			}
			*why = msg;
		}
		return -1;
	default:
		*why = xstrdup("unknown key type");
		return -1;
	}
	/* INT, SIZE and MS share the range check. */
	if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
		*why = xasprintf("out of range (%lld to %lld)", k->min, k->max);
		return -1;
	}
	*CONF_AT(base, k, long long) = v;
	return 0;
}

/* Apply every default of tab to base. */
int
conf_defaults(const struct conf_key *tab, void *base, char **cause)
{
	const struct conf_key	*k;
	char			*why;

	for (k = tab; k->name != NULL; k++) {
		if (k->def == NULL)
			continue;
		if (conf_apply(k, base, k->def, 0, &why) != 0) {
			*cause = xasprintf("default of '%s': %s", k->name, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* Set one key from text (command line): replaces any earlier value. */
int
conf_set(const struct conf_key *tab, void *base, const char *key,
    const char *value, char **cause)
{
	const struct conf_key	*k;
	char			*why;

	if ((k = conf_find(tab, key)) == NULL) {
		*cause = xasprintf("unknown key '%s'", key);
		return -1;
	}
	if (conf_apply(k, base, value, 0, &why) != 0) {
		*cause = xasprintf("bad value for '%s': %s", key, why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * Unquote a double-quoted value starting at s (after the quote) into out.
 * Returns 0, or -1 with a reason in *why.
 */
static int
conf_unquote(const char *s, const char *e, char *out, const char **why)
{
	for (; s < e; s++) {
		if (*s == '"')
			break;
		if (*s == '\\') {
			if (s + 1 >= e || (s[1] != '"' && s[1] != '\\')) {
				*why = "bad escape (only \\\" and \\\\)";
				return -1;
			}
			s++;
		}
		*out++ = *s;
	}
	if (s >= e) {
		*why = "missing closing quote";
		return -1;
	}
	*out = '\0';
	/* Only blanks may follow the closing quote. */
	for (s++; s < e; s++) {
		if (!isspace((unsigned char)*s)) {
			*why = "text after closing quote";
			return -1;
		}
	}
	return 0;
}

/* Parse config text; name is used in messages. */
int
conf_load_buf(const char *name, const char *text, size_t len,
    const struct conf_key *tab, void *base, char **cause)
{
	const struct conf_key	*k;
	const char		*p = text, *end = text + len, *nl, *ks, *ke;
	const char		*vs, *ve, *eq, *qwhy;
	char			*key = NULL, *val = NULL, *why;
	unsigned char		*seen;
	size_t			 ntab, lineno = 0;
	int			 rc = -1;

	for (ntab = 0; tab[ntab].name != NULL; ntab++)
		/* count */;
	/* The first occurrence of a LIST key replaces its default; later ones append. */
	seen = xcalloc(ntab + 1, 1);
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			*cause = xasprintf("%s:%zu: NUL byte", name, lineno);
			goto out;
		}
		ks = p;
		ve = nl;
		while (ks < ve && isspace((unsigned char)*ks))
			ks++;
		while (ve > ks && isspace((unsigned char)ve[-1]))
			ve--;
		if (ks == ve || *ks == '#')
			continue;
		if ((eq = memchr(ks, '=', (size_t)(ve - ks))) == NULL) {
			*cause = xasprintf("%s:%zu: expected 'key = value'", name,
			    lineno);
			goto out;
		}
		ke = eq;
		while (ke > ks && isspace((unsigned char)ke[-1]))
			ke--;
		free(key);
		key = xstrndup(ks, (size_t)(ke - ks));
		if ((k = conf_find(tab, key)) == NULL) {
			*cause = xasprintf("%s:%zu: unknown key '%.64s'", name,
			    lineno, key);
			goto out;
		}
		vs = eq + 1;
		while (vs < ve && isspace((unsigned char)*vs))
			vs++;
		free(val);
		val = xmalloc((size_t)(ve - vs) + 1);
		if (vs < ve && *vs == '"') {
			if (conf_unquote(vs + 1, ve, val, &qwhy) != 0) {
				*cause = xasprintf("%s:%zu: bad value for '%s': %s",
				    name, lineno, key, qwhy);
				goto out;
			}
		} else {
			memcpy(val, vs, (size_t)(ve - vs));
			val[ve - vs] = '\0';
		}
		if (conf_apply(k, base, val, seen[k - tab], &why) != 0) {
			*cause = xasprintf("%s:%zu: bad value for '%s': %s", name,
			    lineno, key, why);
			free(why);
			goto out;
		}
		seen[k - tab] = 1;
		if (nl == end)
			break;
	}
	rc = 0;
out:
	free(seen);
	free(key);
	free(val);
	return rc;
}

/* Parse file path into base. */
int
conf_load(const char *path, const struct conf_key *tab, void *base,
    char **cause)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n = 0;
	size_t		 len = 0;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_FILE_MAX) {
		*cause = xasprintf("%s: %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "file too large");
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		free(buf);
		return -1;
	}
	close(fd);
	rc = conf_load_buf(path, buf, len, tab, base, cause);
	free(buf);
	return rc;
}

/* Print s so that the parser reads it back: quoted when it has to be. */
static void
conf_print_str(FILE *fp, const char *s)
{
	size_t	len = strlen(s);

	if (len > 0 && !isspace((unsigned char)s[0]) && s[0] != '"' &&
	    !isspace((unsigned char)s[len - 1]) && strchr(s, '\n') == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Print "key = value" for every key (tokens shown as "(set)"). */
void
conf_dump(const struct conf_key *tab, const void *base, FILE *fp)
{
	const struct conf_key	*k;
	const struct conf_list	*l;
	const char		*s;
	size_t			 i;
	int			 e;

	for (k = tab; k->name != NULL; k++) {
		fprintf(fp, "%s = ", k->name);
		/* Secrets must not end up in logs or terminals. */
		if (strstr(k->name, "token") != NULL) {
			if (k->type == CONF_LIST)
				i = CONF_AT(base, k, const struct conf_list)->n;
			else if (k->type == CONF_STR)
				i = *CONF_AT(base, k, char *const) != NULL;
			else
				i = 1;
			fprintf(fp, "%s\n", i > 0 ? "(set)" : "(unset)");
			continue;
		}
		switch (k->type) {
		case CONF_STR:
			if ((s = *CONF_AT(base, k, char *const)) != NULL)
				conf_print_str(fp, s);
			break;
		case CONF_INT:
		case CONF_SIZE:
			fprintf(fp, "%lld", *CONF_AT(base, k, const long long));
			break;
		case CONF_MS:
			fprintf(fp, "%lldms", *CONF_AT(base, k, const long long));
			break;
		case CONF_BOOL:
			fputs(*CONF_AT(base, k, const int) ? "yes" : "no", fp);
			break;
		case CONF_ENUM:
			e = *CONF_AT(base, k, const int);
			for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
				if ((int)i == e) {
					fputs(k->choices[i], fp);
					break;
				}
			}
			break;
		case CONF_LIST:
			l = CONF_AT(base, k, const struct conf_list);
			for (i = 0; i < l->n; i++)
				fprintf(fp, "%s%s", i == 0 ? "" : ", ", l->v[i]);
			break;
		}
		fputc('\n', fp);
	}
}

/* Free strings and lists held in base. */
void
conf_free(const struct conf_key *tab, void *base)
{
	const struct conf_key	*k;

	for (k = tab; k->name != NULL; k++)
		conf_free_key(k, base);
}
