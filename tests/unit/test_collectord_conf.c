/*
 * test_collectord_conf.c: collectord's settings: the defaults, what the
 * gateway URL, socket mode, users and groups resolve to, where the token
 * comes from (file, then config, then environment), empty values, and
 * the mistakes that must be refused with a reason.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdconf.h"

static struct cd_conf		c;
static struct cd_settings	s;
static char			*cause;

/* Load text as a config file; 0 or -1 with cause. */
static int
load(const char *text)
{
	cdconf_free(&c);	/* what an earlier step left */
	cdconf_defaults(&c);
	return conf_load_buf("test.conf", text, strlen(text), cdconf_keys, &c,
	    &cause);
}

/* Load and resolve; 0 or -1 with cause. */
static int
resolve(const char *text)
{
	if (load(text) == -1)
		return -1;
	return cdconf_resolve(&c, &s, &cause);
}

static void
setup(void)
{
	unsetenv("AGENTVIS_INGEST_TOKEN");
	memset(&s, 0, sizeof s);
	cause = NULL;
}

static void
teardown(void)
{
	cdconf_settings_free(&s);
	cdconf_free(&c);
	free(cause);
}

/* Expect resolve(text) to fail naming what. */
static void
refused(const char *text, const char *what)
{
	free(cause);
	cause = NULL;
	ck_assert_int_eq(resolve(text), -1);
	ck_assert_msg(cause != NULL && strstr(cause, what) != NULL,
	    "cause '%s' does not name '%s'", cause ? cause : "(none)", what);
	cdconf_free(&c);
}

START_TEST(test_defaults)
{
	ck_assert_int_eq(resolve(""), 0);
	ck_assert_str_eq(c.gateway, "http://127.0.0.1:8000");
	ck_assert_str_eq(s.gw_host, "127.0.0.1");
	ck_assert_int_eq(s.gw_port, 8000);
	ck_assert_str_eq(s.gw_path, "/api/v1/events/ingest");
	ck_assert_str_eq(s.gw_hostheader, "127.0.0.1:8000");
	ck_assert_uint_eq(s.socket_mode, 0660);
	ck_assert_uint_eq(s.socket_gid, (gid_t)-1);
	ck_assert_ptr_null(s.token);
	ck_assert_int_eq(c.batch_max_events, 500);
	ck_assert_int_eq(c.flush_interval_ms, 100);
	ck_assert_int_eq(c.retry_base_ms, 1000);
	ck_assert_int_eq(c.retry_max_ms, 30000);
	ck_assert_int_eq(c.max_retries, 3);
	ck_assert_int_eq(c.fsync, CD_FSYNC_INTERVAL);
	ck_assert_int_eq(c.max_line_bytes, 65536);
	ck_assert_ptr_nonnull(strstr(c.fallback_dir, "/incoming"));
	ck_assert_ptr_nonnull(strstr(c.dead_letter, "/dead-letter.ndjson"));
	ck_assert(strncmp(c.fallback_dir, c.spool_dir,
	    strlen(c.spool_dir)) == 0);
}
END_TEST

START_TEST(test_gateway_urls)
{
	ck_assert_int_eq(resolve("gateway = http://gw.example:9000/agentvis/\n"),
	    0);
	ck_assert_str_eq(s.gw_host, "gw.example");
	ck_assert_int_eq(s.gw_port, 9000);
	ck_assert_str_eq(s.gw_path, "/agentvis/api/v1/events/ingest");
	cdconf_settings_free(&s);
	cdconf_free(&c);
	ck_assert_int_eq(resolve("gateway = \"http://gw\"\n"), 0);
	ck_assert_int_eq(s.gw_port, 80);
	ck_assert_str_eq(s.gw_hostheader, "gw");
	ck_assert_str_eq(s.gw_path, "/api/v1/events/ingest");
	cdconf_settings_free(&s);
	cdconf_free(&c);
	refused("gateway = https://gw.example\n", "only http://");
	refused("gateway = ftp://gw.example\n", "only http://");
	refused("gateway = gw.example:8000\n", "gateway");
	refused("gateway = http://\n", "gateway");
	refused("gateway = http://[::1\n", "gateway");
}
END_TEST

START_TEST(test_socket_settings)
{
	ck_assert_int_eq(resolve("socket_mode = 0600\nsocket_group = 0\n"
	    "allow_uids = root, 1000\nallow_gids = 0 100\n"), 0);
	ck_assert_uint_eq(s.socket_mode, 0600);
	ck_assert_uint_eq(s.socket_gid, 0);
	ck_assert_uint_eq(s.nuids, 2);
	ck_assert_uint_eq(s.uids[0], 0);
	ck_assert_uint_eq(s.uids[1], 1000);
	ck_assert_uint_eq(s.ngids, 2);
	cdconf_settings_free(&s);
	cdconf_free(&c);
	refused("socket_mode = 0669\n", "socket_mode");
	refused("socket_mode = 1777\n", "socket_mode");
	refused("socket_mode = rw\n", "socket_mode");
	refused("socket = relative.sock\n", "absolute");
	refused("spool_dir = spool\n", "absolute");
	refused("socket_group = no-such-group-here\n", "socket_group");
	refused("allow_uids = no-such-user-here\n", "allow_uids");
	refused("allow_gids = no-such-group-here\n", "allow_gids");
}
END_TEST

START_TEST(test_empty_means_default)
{
	ck_assert_int_eq(resolve("fallback_dir =\ndead_letter = \"\"\n"
	    "socket_group =\ningest_token =\n"), 0);
	ck_assert_ptr_nonnull(strstr(c.fallback_dir, "/incoming"));
	ck_assert_ptr_nonnull(strstr(c.dead_letter, "/dead-letter.ndjson"));
	ck_assert_uint_eq(s.socket_gid, (gid_t)-1);
	ck_assert_ptr_null(s.token);
}
END_TEST

START_TEST(test_token_sources)
{
	char	 path[] = "/tmp/cdtoken.XXXXXX";
	FILE	*fp;
	int	 fd;

	setenv("AGENTVIS_INGEST_TOKEN", "from-env", 1);
	ck_assert_int_eq(resolve(""), 0);
	ck_assert_str_eq(s.token, "from-env");
	cdconf_settings_free(&s);
	cdconf_free(&c);
	ck_assert_int_eq(resolve("ingest_token = from-config\n"), 0);
	ck_assert_str_eq(s.token, "from-config");
	cdconf_settings_free(&s);
	cdconf_free(&c);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "from-file  \r\nsecond line ignored\n");
	fclose(fp);
	{
		char text[200];

		snprintf(text, sizeof text, "ingest_token = from-config\n"
		    "ingest_token_file = %s\n", path);
		ck_assert_int_eq(resolve(text), 0);
		ck_assert_str_eq(s.token, "from-file");
		cdconf_settings_free(&s);
		cdconf_free(&c);

		/* Readable by others: refused, as gatewayd refuses it. */
		chmod(path, 0644);
		snprintf(text, sizeof text, "ingest_token_file = %s\n", path);
		refused(text, "readable by others");
		chmod(path, 0640);
		ck_assert_int_eq(resolve(text), 0);
		ck_assert_str_eq(s.token, "from-file");
		cdconf_settings_free(&s);
		cdconf_free(&c);

		fp = fopen(path, "w");
		fclose(fp);
		refused(text, "empty");
		fp = fopen(path, "w");
		for (fd = 0; fd < 5000; fd++)
			fputc('t', fp);
		fclose(fp);
		refused(text, "longer than");
	}
	unlink(path);
	refused("ingest_token_file = /nonexistent/token\n", "/nonexistent/token");
	refused("ingest_token = \"two words\"\n", "ingest token");
	setenv("AGENTVIS_INGEST_TOKEN", "bad\001token", 1);
	refused("", "ingest token");
	unsetenv("AGENTVIS_INGEST_TOKEN");
}
END_TEST

START_TEST(test_limits_and_mistakes)
{
	refused("retry_base_ms = 5s\nretry_max_ms = 1s\n", "retry_max_ms");
	free(cause);
	cause = NULL;
	ck_assert_int_eq(load("batch_max_events = 100\nno_such_key = 1\n"), -1);
	ck_assert_ptr_nonnull(strstr(cause, "test.conf:2"));
	cdconf_free(&c);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(load("fsync = sometimes\n"), -1);
	cdconf_free(&c);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(load("max_line_bytes = 1M\n"), -1);
	cdconf_free(&c);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(load("batch_max_events = 0\n"), -1);
	cdconf_free(&c);
	free(cause);
	cause = NULL;
	/* Units and a segment larger than the whole spool. */
	ck_assert_int_eq(resolve("spool_max_bytes = 2M\nsegment_bytes = 1G\n"
	    "flush_interval_ms = 2s\nfsync = always\n"), 0);
	ck_assert_int_eq(c.segment_bytes, 2 * 1024 * 1024);
	ck_assert_int_eq(c.flush_interval_ms, 2000);
	ck_assert_int_eq(c.fsync, CD_FSYNC_ALWAYS);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*su = suite_create("collectord conf");
	TCase	*tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_gateway_urls);
	tcase_add_test(tc, test_socket_settings);
	tcase_add_test(tc, test_empty_means_default);
	tcase_add_test(tc, test_token_sources);
	tcase_add_test(tc, test_limits_and_mistakes);
	suite_add_tcase(su, tc);
	return su;
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
