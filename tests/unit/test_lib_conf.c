/*
 * test_lib_conf.c: the config-table parser: every value type, units,
 * limits, quoting, repeated list keys, errors with file:line, the dump.
 */
#include "config.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

struct cfg {
	char		*name;
	char		*token;
	long long	 workers;
	long long	 max_bytes;
	long long	 timeout;
	int		 verbose;
	int		 fsync;
	struct conf_list allow;
	struct conf_list ingest_tokens;
};

static const char *const fsync_modes[] = { "never", "interval", "always", NULL };

static const struct conf_key tab[] = {
	{ "name", CONF_STR, "agentvis", offsetof(struct cfg, name), 0, 0, NULL, "a name" },
	{ "token", CONF_STR, NULL, offsetof(struct cfg, token), 0, 0, NULL, "secret" },
	{ "workers", CONF_INT, "4", offsetof(struct cfg, workers), 1, 64, NULL, "threads" },
	{ "max_bytes", CONF_SIZE, "1M", offsetof(struct cfg, max_bytes), 0, 0, NULL, "cap" },
	{ "timeout", CONF_MS, "500ms", offsetof(struct cfg, timeout), 1, 3600000, NULL, "t" },
	{ "verbose", CONF_BOOL, "no", offsetof(struct cfg, verbose), 0, 0, NULL, "v" },
	{ "fsync", CONF_ENUM, "interval", offsetof(struct cfg, fsync), 0, 0, fsync_modes, "f" },
	{ "allow", CONF_LIST, "root", offsetof(struct cfg, allow), 0, 0, NULL, "uids" },
	{ "ingest_tokens", CONF_LIST, NULL, offsetof(struct cfg, ingest_tokens), 0, 0, NULL, "tk" },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL }
};

static struct cfg	 c;
static char		*cause;

/* Fresh config with defaults before each test. */
static void
setup(void)
{
	memset(&c, 0, sizeof c);
	cause = NULL;
	ck_assert_int_eq(conf_defaults(tab, &c, &cause), 0);
}

/* Free everything after each test. */
static void
teardown(void)
{
	conf_free(tab, &c);
	free(cause);
}

/* Load text; returns conf_load_buf's result, cause kept in the static. */
static int
load(const char *text)
{
	free(cause);
	cause = NULL;
	return conf_load_buf("test.conf", text, strlen(text), tab, &c, &cause);
}

/* Load text expecting the error message want. */
static void
load_err(const char *text, const char *want)
{
	ck_assert_int_eq(load(text), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, want);
}

START_TEST(test_defaults)
{
	ck_assert_str_eq(c.name, "agentvis");
	ck_assert_ptr_null(c.token);
	ck_assert_int_eq(c.workers, 4);
	ck_assert_int_eq(c.max_bytes, 1024 * 1024);
	ck_assert_int_eq(c.timeout, 500);
	ck_assert_int_eq(c.verbose, 0);
	ck_assert_int_eq(c.fsync, 1);
	ck_assert_uint_eq(c.allow.n, 1);
	ck_assert_str_eq(c.allow.v[0], "root");
	ck_assert_uint_eq(c.ingest_tokens.n, 0);
}
END_TEST

START_TEST(test_every_type)
{
	ck_assert_int_eq(load(
	    "# a comment\n"
	    "\n"
	    "   # indented comment\n"
	    "name = gw-1\n"
	    "token=s3cr3t#not-a-comment\n"
	    "workers =\t16\n"
	    "max_bytes = 64K\n"
	    "timeout = 2s\n"
	    "verbose = yes\n"
	    "fsync = always\n"
	    "allow = alice, bob carol\n"), 0);
	ck_assert_str_eq(c.name, "gw-1");
	ck_assert_str_eq(c.token, "s3cr3t#not-a-comment");
	ck_assert_int_eq(c.workers, 16);
	ck_assert_int_eq(c.max_bytes, 65536);
	ck_assert_int_eq(c.timeout, 2000);
	ck_assert_int_eq(c.verbose, 1);
	ck_assert_int_eq(c.fsync, 2);
	ck_assert_uint_eq(c.allow.n, 3);
	ck_assert_str_eq(c.allow.v[0], "alice");
	ck_assert_str_eq(c.allow.v[1], "bob");
	ck_assert_str_eq(c.allow.v[2], "carol");
}
END_TEST

START_TEST(test_sizes)
{
	static const struct { const char *s; long long v; } t[] = {
		{ "0", 0 }, { "512", 512 }, { "1k", 1024 }, { "1KB", 1024 },
		{ "1KiB", 1024 }, { "16M", 16LL << 20 }, { "2G", 2LL << 30 },
		{ "1T", 1LL << 40 }, { "10 M", 10LL << 20 }, { "7b", 7 },
	};
	static const char *const bad[] = { "", "-1", "1X", "K", "1.5M", "1KK",
	    "99999999999999999999", "9000000T" };
	long long	v;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_int_eq(conf_parse_size(t[i].s, &v), 0);
		ck_assert_int_eq(v, t[i].v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(conf_parse_size(bad[i], &v) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_durations)
{
	static const struct { const char *s; long long v; } t[] = {
		{ "0", 0 }, { "250", 250 }, { "250ms", 250 }, { "2s", 2000 },
		{ "5m", 300000 }, { "1h", 3600000 }, { "1d", 86400000 }, { "3 s", 3000 },
	};
	static const char *const bad[] = { "", "-5", "1.5s", "2x", "s", "1 hour" };
	long long	v;
	size_t		i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_int_eq(conf_parse_ms(t[i].s, &v), 0);
		ck_assert_int_eq(v, t[i].v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(conf_parse_ms(bad[i], &v) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_bools)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
	static const char *const no[] = { "no", "false", "off", "0", "No" };
	char	line[64];
	size_t	i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		snprintf(line, sizeof line, "verbose = %s\n", yes[i]);
		ck_assert_int_eq(load(line), 0);
		ck_assert_int_eq(c.verbose, 1);
	}
	for (i = 0; i < sizeof no / sizeof no[0]; i++) {
		snprintf(line, sizeof line, "verbose = %s\n", no[i]);
		ck_assert_int_eq(load(line), 0);
		ck_assert_int_eq(c.verbose, 0);
	}
	load_err("verbose = maybe\n", "test.conf:1: bad value for 'verbose': "
	    "not a boolean (yes/no, true/false, on/off, 1/0)");
}
END_TEST

START_TEST(test_enum)
{
	load_err("\nfsync = sometimes\n",
	    "test.conf:2: bad value for 'fsync': must be one of: never, interval, always");
	load_err("fsync = Always\n",
	    "test.conf:1: bad value for 'fsync': must be one of: never, interval, always");
	ck_assert_int_eq(load("fsync = never"), 0);
	ck_assert_int_eq(c.fsync, 0);
}
END_TEST

START_TEST(test_int_limits)
{
	ck_assert_int_eq(load("workers = 1\n"), 0);
	ck_assert_int_eq(load("workers = 64\n"), 0);
	ck_assert_int_eq(c.workers, 64);
	load_err("workers = 0\n", "test.conf:1: bad value for 'workers': out of range (1 to 64)");
	load_err("workers = 65\n", "test.conf:1: bad value for 'workers': out of range (1 to 64)");
	load_err("workers = 4x\n", "test.conf:1: bad value for 'workers': not an integer");
	load_err("workers = \n", "test.conf:1: bad value for 'workers': not an integer");
	load_err("workers = 99999999999999999999\n",
	    "test.conf:1: bad value for 'workers': not an integer");
	/* The old value stays after a bad one. */
	ck_assert_int_eq(c.workers, 64);
	load_err("timeout = 0\n", "test.conf:1: bad value for 'timeout': out of range (1 to 3600000)");
	load_err("timeout = 2h\n", "test.conf:1: bad value for 'timeout': out of range (1 to 3600000)");
	load_err("max_bytes = lots\n", "test.conf:1: bad value for 'max_bytes': "
	    "not a size (bytes, or with K, M, G, T)");
	load_err("timeout = soon\n", "test.conf:1: bad value for 'timeout': "
	    "not a duration (ms, or with ms, s, m, h, d)");
}
END_TEST

START_TEST(test_unknown_key)
{
	load_err("name = x\n# c\n\nworkrs = 3\n", "test.conf:4: unknown key 'workrs'");
	load_err("Name = x\n", "test.conf:1: unknown key 'Name'");
}
END_TEST

START_TEST(test_syntax_errors)
{
	load_err("name\n", "test.conf:1: expected 'key = value'");
	load_err(" = x\n", "test.conf:1: unknown key ''");
	load_err("name = \"open\n", "test.conf:1: bad value for 'name': missing closing quote");
	load_err("name = \"a\" b\n", "test.conf:1: bad value for 'name': text after closing quote");
	load_err("name = \"a\\n\"\n", "test.conf:1: bad value for 'name': bad escape (only \\\" and \\\\)");
}
END_TEST

START_TEST(test_quoted)
{
	ck_assert_int_eq(load("name = \"  spaced # not a comment \\\"q\\\" \\\\ \"  \n"), 0);
	ck_assert_str_eq(c.name, "  spaced # not a comment \"q\" \\ ");
	ck_assert_int_eq(load("name = \"\"\n"), 0);
	ck_assert_str_eq(c.name, "");
	/* '=' inside the value belongs to the value. */
	ck_assert_int_eq(load("token = a=b==\n"), 0);
	ck_assert_str_eq(c.token, "a=b==");
}
END_TEST

START_TEST(test_list_repeat)
{
	/* The first occurrence replaces the default; repeats append. */
	ck_assert_int_eq(load("allow = a\nallow = b, c\nallow=\"d e\"\n"), 0);
	ck_assert_uint_eq(c.allow.n, 5);
	ck_assert_str_eq(c.allow.v[0], "a");
	ck_assert_str_eq(c.allow.v[4], "e");
	/* A new load starts the list again. */
	ck_assert_int_eq(load("allow = z\n"), 0);
	ck_assert_uint_eq(c.allow.n, 1);
	ck_assert_str_eq(c.allow.v[0], "z");
	ck_assert_int_eq(load("allow = ,, ,\n"), 0);
	ck_assert_uint_eq(c.allow.n, 0);
}
END_TEST

START_TEST(test_crlf_and_last_line)
{
	ck_assert_int_eq(load("name = dos\r\nworkers = 2"), 0);
	ck_assert_str_eq(c.name, "dos");
	ck_assert_int_eq(c.workers, 2);
}
END_TEST

START_TEST(test_nul_byte)
{
	ck_assert_int_eq(conf_load_buf("x.conf", "name = a\nna\0me = b\n", 19, tab,
	    &c, &cause), -1);
	ck_assert_str_eq(cause, "x.conf:2: NUL byte");
}
END_TEST

START_TEST(test_set)
{
	ck_assert_int_eq(conf_set(tab, &c, "workers", "8", &cause), 0);
	ck_assert_int_eq(c.workers, 8);
	ck_assert_int_eq(conf_set(tab, &c, "allow", "x", &cause), 0);
	ck_assert_int_eq(conf_set(tab, &c, "allow", "y", &cause), 0);
	ck_assert_uint_eq(c.allow.n, 1);
	ck_assert_int_eq(conf_set(tab, &c, "nope", "1", &cause), -1);
	ck_assert_str_eq(cause, "unknown key 'nope'");
	free(cause);
	cause = NULL;
	ck_assert_int_eq(conf_set(tab, &c, "workers", "100", &cause), -1);
	ck_assert_str_eq(cause, "bad value for 'workers': out of range (1 to 64)");
}
END_TEST

START_TEST(test_find)
{
	ck_assert_ptr_eq(conf_find(tab, "timeout"), &tab[4]);
	ck_assert_ptr_null(conf_find(tab, "time"));
}
END_TEST

START_TEST(test_dump)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	ck_assert_int_eq(load("token = hunter2\nname = \" padded\"\n"
	    "allow = a b\n"), 0);
	conf_dump(tab, &c, fp);
	fclose(fp);
	ck_assert_str_eq(buf,
	    "name = \" padded\"\n"
	    "token = (set)\n"
	    "workers = 4\n"
	    "max_bytes = 1048576\n"
	    "timeout = 500ms\n"
	    "verbose = no\n"
	    "fsync = interval\n"
	    "allow = a, b\n"
	    "ingest_tokens = (unset)\n");
	ck_assert_ptr_null(strstr(buf, "hunter2"));
	free(buf);
}
END_TEST

START_TEST(test_dump_defaults)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	conf_dump(tab, &c, fp);
	fclose(fp);
	/* Plain values are printed unquoted; an unset string as nothing. */
	ck_assert_ptr_nonnull(strstr(buf, "name = agentvis\n"));
	ck_assert_ptr_nonnull(strstr(buf, "token = (unset)\n"));
	ck_assert_ptr_nonnull(strstr(buf, "allow = root\n"));
	free(buf);
}
END_TEST

START_TEST(test_dump_reloads)
{
	struct cfg	 c2;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp = open_memstream(&buf, &len);

	/* What -n prints (secrets aside) parses back to the same values. */
	ck_assert_int_eq(load("name = \"a \\\"b\\\" \"\nworkers = 7\nverbose = on\n"), 0);
	conf_dump(tab, &c, fp);
	fclose(fp);
	memset(&c2, 0, sizeof c2);
	ck_assert_int_eq(conf_load_buf("dump", buf, len, tab + 0, &c2, &cause), 0);
	ck_assert_str_eq(c2.name, c.name);
	ck_assert_int_eq(c2.workers, 7);
	ck_assert_int_eq(c2.verbose, 1);
	/* Tokens are hidden, not kept: the dump said "(unset)", not a value. */
	ck_assert_str_eq(c2.token, "(unset)");
	conf_free(tab, &c2);
	free(buf);
}
END_TEST

START_TEST(test_load_file)
{
	const char	*tmp = getenv("TMPDIR");
	char		 path[4096];
	int		 fd;
	char		*msg;

	snprintf(path, sizeof path, "%s/test_lib_conf.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "workers = 9\nbogus = 1\n", 22), 22);
	close(fd);
	ck_assert_int_eq(conf_load(path, tab, &c, &cause), -1);
	msg = NULL;
	if (asprintf(&msg, "%s:2: unknown key 'bogus'", path) == -1)
		ck_abort();
	ck_assert_str_eq(cause, msg);
	free(msg);
	ck_assert_int_eq(c.workers, 9);
	unlink(path);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(conf_load(path, tab, &c, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	ck_assert_int_eq(conf_load("/", tab, &c, &cause), -1);
	ck_assert_str_eq(cause, "/: not a regular file");
}
END_TEST

/* The suite. */
static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_type);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_bools);
	tcase_add_test(tc, test_enum);
	tcase_add_test(tc, test_int_limits);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_list_repeat);
	tcase_add_test(tc, test_crlf_and_last_line);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_dump);
	tcase_add_test(tc, test_dump_defaults);
	tcase_add_test(tc, test_dump_reloads);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
