/*
 * test_lib_token.c: the token syntax, token lines and the token file
 * policy that collectord and gatewayd share, on hostile input.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token.h"

START_TEST(test_token_ok)
{
	char	big[TOKEN_MAX + 2];

	ck_assert(token_ok("abcdefgh", 8));
	ck_assert(token_ok("A-b_c.d~e!f@g", 13));
	ck_assert(!token_ok("abcdefg", 7));		/* too short */
	memset(big, 'x', sizeof big);
	ck_assert(token_ok(big, TOKEN_MAX));
	ck_assert(!token_ok(big, TOKEN_MAX + 1));	/* too long */
	ck_assert(!token_ok("abcd efgh", 9));		/* a space */
	ck_assert(!token_ok("abcd:efgh", 9));		/* field separator */
	ck_assert(!token_ok("abcd,efgh", 9));		/* list separator */
	ck_assert(!token_ok("abcd\tefgh", 9));
	ck_assert(!token_ok("abcd\nefgh", 9));		/* a header line */
	ck_assert(!token_ok("abcd\x7f" "efgh", 9));
	ck_assert(!token_ok("abcd\xc3\xa9" "efgh", 10));	/* not ASCII */
	ck_assert(!token_ok("abcd\0efgh", 9));
}
END_TEST

START_TEST(test_token_fields)
{
	char	 line[256], *f[3];

	strcpy(line, "tok-12345");
	ck_assert_int_eq(token_fields(line, f), 1);
	ck_assert_str_eq(f[0], "tok-12345");
	strcpy(line, "  tok-12345\talice   proj  # a comment\r\n");
	ck_assert_int_eq(token_fields(line, f), 3);
	ck_assert_str_eq(f[1], "alice");
	ck_assert_str_eq(f[2], "proj");
	/* The configuration's colons split the same fields. */
	strcpy(line, "tok-12345:alice:proj");
	ck_assert_int_eq(token_fields(line, f), 3);
	ck_assert_str_eq(f[0], "tok-12345");
	ck_assert_str_eq(f[2], "proj");
	strcpy(line, "   # only a comment");
	ck_assert_int_eq(token_fields(line, f), 0);
	strcpy(line, "");
	ck_assert_int_eq(token_fields(line, f), 0);
	strcpy(line, "tok-12345 a b c");		/* four fields */
	ck_assert_int_eq(token_fields(line, f), -1);
	strcpy(line, "short alice");			/* not a token */
	ck_assert_int_eq(token_fields(line, f), -1);
	strcpy(line, "tok,12345 alice");
	ck_assert_int_eq(token_fields(line, f), -1);
}
END_TEST

START_TEST(test_token_file_open)
{
	char	 path[] = "/tmp/test_token.XXXXXX", *cause = NULL;
	FILE	*fp;
	int	 fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, "tok-12345\n", 10), 10);
	close(fd);
	chmod(path, 0600);
	ck_assert_ptr_nonnull(fp = token_file_open(path, &cause));
	fclose(fp);
	chmod(path, 0640);		/* the daemons' group may read it */
	ck_assert_ptr_nonnull(fp = token_file_open(path, &cause));
	fclose(fp);
	chmod(path, 0604);
	ck_assert_ptr_null(token_file_open(path, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "readable by others"));
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
	unlink(path);
	cause = NULL;
	ck_assert_ptr_null(token_file_open(path, &cause));
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
}
END_TEST

START_TEST(test_token_file_init)
{
	char		 dir[] = "/tmp/test_token_init.XXXXXX", path[64];
	char		 line[300], *cause = NULL, *f[3], first[300];
	struct stat	 sb;
	FILE		*fp;
	mode_t		 old;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ingest.token", dir);
	old = umask(022);
	ck_assert_int_eq(token_file_init(path, &cause), 1);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	/* One token, on a line of its own, the way both daemons read it. */
	ck_assert_ptr_nonnull(fp = token_file_open(path, &cause));
	first[0] = '\0';
	while (fgets(line, sizeof line, fp) != NULL)
		if (token_fields(line, f) == 1) {
			ck_assert_str_eq(first, "");
			ck_assert_int_eq(strlen(f[0]), 64);
			snprintf(first, sizeof first, "%s", f[0]);
		}
	fclose(fp);
	ck_assert_str_ne(first, "");
	/* There already: kept as it is. */
	ck_assert_int_eq(token_file_init(path, &cause), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
	ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(line, first));
	unlink(path);
	/* The umask takes its share. */
	umask(077);
	ck_assert_int_eq(token_file_init(path, &cause), 1);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	unlink(path);
	umask(old);
	rmdir(dir);
	/* No directory: refused, naming the file. */
	ck_assert_int_eq(token_file_init(path, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, path));
	free(cause);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("token");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_token_ok);
	tcase_add_test(tc, test_token_fields);
	tcase_add_test(tc, test_token_file_open);
	tcase_add_test(tc, test_token_file_init);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
