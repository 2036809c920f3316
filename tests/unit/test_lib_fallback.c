/*
 * test_lib_fallback.c: the fallback drop directory (atomic, 0640, no temp
 * file left) and the daemon helpers (sd_notify, pid file, detach).
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "fallback.h"

static char	dir[4096];

/* A private temp directory per test. */
static void
setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_lib_fallback.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove the directory and what is in it. */
static void
teardown(void)
{
	char		 path[8192];
	struct dirent	*de;
	DIR		*d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Names in dir, one per call; returns how many entries there are. */
static int
list(char names[][256], int max)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n < max)
			snprintf(names[n], 256, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_write)
{
	const char	*data = "{\"a\":1}\n{\"b\":2}\n";
	char		 names[4][256], path[8192], back[64];
	struct stat	 st;
	char		*cause = NULL;
	mode_t		 old;
	int		 fd;

	/* Whatever the umask, the file is 0640. */
	old = umask(0);
	ck_assert_int_eq(fallback_write(dir, data, strlen(data), &cause), 0);
	umask(077);
	ck_assert_int_eq(fallback_write(dir, data, strlen(data), &cause), 0);
	umask(old);
	ck_assert_int_eq(list(names, 4), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert(fallback_is_ready(names[i]));
		ck_assert_int_ne(names[i][0], '.');
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0640);
		ck_assert_int_eq(st.st_uid, getuid());
		fd = open(path, O_RDONLY);
		ck_assert_int_eq(read(fd, back, sizeof back), (ssize_t)strlen(data));
		close(fd);
		ck_assert_int_eq(memcmp(back, data, strlen(data)), 0);
	}
	ck_assert_str_ne(names[0], names[1]);
}
END_TEST

START_TEST(test_write_fails)
{
	char	*cause = NULL, path[8192];

	snprintf(path, sizeof path, "%s/missing", dir);
	ck_assert_int_eq(fallback_write(path, "x\n", 2, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "No such file or directory"));
	free(cause);
	/* A read-only directory (root ignores modes, so only when not root). */
	if (geteuid() != 0) {
		chmod(dir, 0500);
		cause = NULL;
		ck_assert_int_eq(fallback_write(dir, "x\n", 2, &cause), -1);
		ck_assert_ptr_nonnull(strstr(cause, "Permission denied"));
		free(cause);
		chmod(dir, 0700);
	}
	/* Nothing half-written remains. */
	ck_assert_int_eq(list(NULL, 0), 0);
}
END_TEST

START_TEST(test_is_ready)
{
	ck_assert(fallback_is_ready("1795710909123-42-3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70.ndjson"));
	ck_assert(fallback_is_ready("x.ndjson"));
	ck_assert(!fallback_is_ready(".tmp-3f1c2a4e-8b7d-4c2e-9a1f-2b3c4d5e6f70"));
	ck_assert(!fallback_is_ready(".hidden.ndjson"));
	ck_assert(!fallback_is_ready(".ndjson"));
	ck_assert(!fallback_is_ready("ndjson"));
	ck_assert(!fallback_is_ready("a.ndjson.tmp"));
	ck_assert(!fallback_is_ready("a.json"));
	ck_assert(!fallback_is_ready(""));
	ck_assert(!fallback_is_ready("."));
	ck_assert(!fallback_is_ready(".."));
}
END_TEST

START_TEST(test_sdnotify)
{
	struct sockaddr_un	 sun;
	char			 buf[160];
	int			 fd;
	ssize_t			 n;

	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify("READY=1"), 0);	/* not under systemd: nothing */

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	/* TMPDIR may be too deep for a socket path; then only the abstract case runs. */
	if (snprintf(sun.sun_path, sizeof sun.sun_path, "%s/notify", dir) <
	    (int)sizeof sun.sun_path) {
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
		setenv("NOTIFY_SOCKET", sun.sun_path, 1);
		ck_assert_int_eq(sdnotify("READY=1"), 0);
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		ck_assert_int_eq(n, 7);
		ck_assert_int_eq(memcmp(buf, "READY=1", 7), 0);
		unlink(sun.sun_path);
	}
	close(fd);

	/* Abstract namespace: "@name" is "\0name". */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1,
	    "agentvis-test-%ld", (long)getpid());
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)), 0);
	snprintf(buf, sizeof buf, "@%s", sun.sun_path + 1);
	setenv("NOTIFY_SOCKET", buf, 1);
	ck_assert_int_eq(sdnotify("STOPPING=1"), 0);
	n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(memcmp(buf, "STOPPING=1", 10), 0);
	close(fd);

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_eq(sdnotify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(test_pidfile)
{
	char	 path[8192], buf[64], *cause = NULL;
	int	 fd, p[2], st;
	pid_t	 pid;
	ssize_t	 n;

	snprintf(path, sizeof path, "%s/d.pid", dir);
	/* A live holder (a child) makes a second daemon refuse. */
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		fd = pidfile_create(path, &cause);
		(void)write(p[1], fd == -1 ? "E" : "K", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], buf, 1), 1);
	ck_assert_int_eq(buf[0], 'K');
	ck_assert_int_eq(pidfile_create(path, &cause), -1);
	snprintf(buf, sizeof buf, "held by running process %ld", (long)pid);
	ck_assert_ptr_nonnull(strstr(cause, buf));
	free(cause);
	cause = NULL;
	/* Once it died (however), the file is ours; the stale pid is replaced. */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(p[0]);
	fd = pidfile_create(path, &cause);
	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(atol(buf), getpid());
	ck_assert_int_eq(buf[n - 1], '\n');
	pidfile_remove(path);
	ck_assert_int_eq(access(path, F_OK), -1);
	close(fd);
	pidfile_remove(NULL);
}
END_TEST

START_TEST(test_detach)
{
	char	 buf[256], cwd[64], *cause = NULL;
	int	 p[2], st;
	pid_t	 pid;
	ssize_t	 n;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (daemon_detach(&cause) == -1)
			_exit(2);
		/* Now in the grandchild: own session, at /, stdio on /dev/null. */
		if (getcwd(cwd, sizeof cwd) == NULL)
			cwd[0] = '\0';
		n = readlink("/proc/self/fd/0", buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		dprintf(p[1], "%d %s %s %s", getsid(0) == getpid(), cwd, buf,
		    write(1, "", 0) == 0 ? "ok" : "bad");
		_exit(0);
	}
	close(p[1]);
	/* The intermediate process exits at once with 0. */
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	n = read(p[0], buf, sizeof buf - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "1 / /dev/null ok");
	close(p[0]);
}
END_TEST

/* The suite. */
static Suite *
fallback_suite(void)
{
	Suite	*s = suite_create("fallback");
	TCase	*tc = tcase_create("fallback");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_write_fails);
	tcase_add_test(tc, test_is_ready);
	tcase_add_test(tc, test_sdnotify);
	tcase_add_test(tc, test_pidfile);
	tcase_add_test(tc, test_detach);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fallback_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
