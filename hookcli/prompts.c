/*
 * prompts.c: the answer to a permission prompt, which no hook reports.
 *
 * Claude Code (and Codex) run a PermissionRequest hook just before they
 * ask the user to allow a tool call, and nothing afterwards says what the
 * user chose: an allowed call runs (PostToolUse or PostToolUseFailure
 * follow), a refused one simply never runs, and the turn ends there. So
 * hookcli keeps a note per open prompt, one small file per prompt under
 * the state directory, keyed by session and by the tool call (its name
 * and its input's compact JSON):
 *
 *   PermissionRequest   writes the note (the mapped event, as JSON)
 *   PostToolUse…        removes it: the user said yes ("granted")
 *   the next prompt     (UserPromptSubmit) or the end of the session: every
 *                       note still there was refused, and becomes an
 *                       operation_denied event ("denied")
 *
 * A refused prompt is thus reported when the user next acts, not at the
 * moment of refusal: that is the first time anything can know it. The
 * notes live in a directory only the user can read (AGENTVIS_STATE_DIR,
 * else $XDG_RUNTIME_DIR/agentvis, else /tmp/agentvis-UID), and anything
 * that goes wrong with them costs the inference, never the hook's event.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avjson.h"
#include "hookcli.h"
#include "timefmt.h"
#include "uuidstr.h"
#include "xmalloc.h"

#define PR_NOTE_MAX	(64 * 1024)	/* bytes of one note */
#define PR_NOTES_MAX	32		/* denials reported at one turn */

/* FNV-1a, 64 bits: a file name for a session or a tool call. */
static uint64_t
pr_hash(uint64_t h, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define PR_HASH_INIT	0xcbf29ce484222325ULL

/* mkdir -m 0700 that accepts an existing directory only if it is ours. */
static int
pr_mkdir(const char *path)
{
	struct stat	st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return -1;
	return 0;
}

/* The state directory, created if needed; NULL when none can be had. */
static char *
pr_state_dir(void)
{
	const char	*s;
	char		*dir;

	if ((s = getenv("AGENTVIS_STATE_DIR")) != NULL && *s != '\0')
		dir = xstrdup(s);
	else if ((s = getenv("XDG_RUNTIME_DIR")) != NULL && *s == '/')
		dir = xasprintf("%s/agentvis", s);
	else
		dir = xasprintf("/tmp/agentvis-%u", (unsigned)geteuid());
	if (pr_mkdir(dir) == -1) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* The session's directory (created when make), or NULL. */
static char *
pr_session_dir(const struct hk_framework *fw, struct json_object *ev,
    int make)
{
	const char	*sess;
	char		*state, *dir;
	uint64_t	 h;

	/* A subagent's prompts are the session's: key on the session. */
	if ((sess = hk_str(evt_metadata(ev), "session_id")) == NULL &&
	    (sess = evt_get_str(ev, "agent_id")) == NULL)
		return NULL;
	if ((state = pr_state_dir()) == NULL)
		return NULL;
	h = pr_hash(PR_HASH_INIT, fw->name, strlen(fw->name));
	h = pr_hash(h, "/", 1);
	h = pr_hash(h, sess, strlen(sess));
	dir = xasprintf("%s/%016llx", state, (unsigned long long)h);
	free(state);
	if (make && pr_mkdir(dir) == -1) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* The note's file name for the tool call in payload p, or NULL. */
static char *
pr_note_path(const char *dir, struct json_object *p)
{
	struct json_object	*in = NULL;
	const char		*tool, *text = "";
	size_t			 len = 0;
	uint64_t		 h;

	if ((tool = hk_str(p, "tool_name")) == NULL)
		return NULL;
	if (json_object_object_get_ex(p, "tool_input", &in) && in != NULL)
		text = avjson_str(in, &len);
	h = pr_hash(PR_HASH_INIT, tool, strlen(tool));
	h = pr_hash(h, "\n", 1);
	h = pr_hash(h, text, len);
	return xasprintf("%s/%016llx.json", dir, (unsigned long long)h);
}

/* PermissionRequest: write the note, atomically. */
static void
pr_ask(const struct hk_framework *fw, struct json_object *ev,
    struct json_object *p)
{
	char		*dir, *path, *tmp;
	const char	*text;
	size_t		 len;
	int		 fd, ok;

	if ((dir = pr_session_dir(fw, ev, 1)) == NULL)
		return;
	if ((path = pr_note_path(dir, p)) == NULL) {
		free(dir);
		return;
	}
	tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	text = avjson_str(ev, &len);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	ok = fd != -1 && write(fd, text, len) == (ssize_t)len;
	if (fd != -1 && close(fd) == -1)
		ok = 0;
	if (!ok || rename(tmp, path) == -1)
		unlink(tmp);
	free(tmp);
	free(path);
	free(dir);
}

/*
 * The tool ran, or was refused by the framework itself: its prompt, if
 * there was one, is settled; a tool that ran was answered yes (mark).
 */
static void
pr_settle(const struct hk_framework *fw, struct json_object *ev,
    struct json_object *p, const char *mark)
{
	char	*dir, *path;

	if ((dir = pr_session_dir(fw, ev, 0)) == NULL)
		return;
	if ((path = pr_note_path(dir, p)) != NULL && unlink(path) == 0) {
		if (mark != NULL)
			json_object_object_add(evt_metadata(ev), "permission",
			    json_object_new_string(mark));
		(void)rmdir(dir);	/* fails while other notes are there */
	}
	free(path);
	free(dir);
}

/* Read a note (at most PR_NOTE_MAX bytes) and make its denial; or NULL. */
static char *
pr_denial(const char *path, const char *hook)
{
	struct json_object	*ev, *md;
	char			 buf[PR_NOTE_MAX], id[UUIDSTR_LEN], ts[TS_LEN];
	char			*out;
	ssize_t			 n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0 || (ev = avjson_parse(buf, (size_t)n, NULL)) == NULL)
		return NULL;
	if (!json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		return NULL;
	}
	md = evt_metadata(ev);
	json_object_object_add(ev, "event_type", json_object_new_string(
	    evt_types[EVT_OPERATION_DENIED].name));
	json_object_object_add(ev, "status", json_object_new_string(
	    evt_types[EVT_OPERATION_DENIED].status));
	uuidstr_v4(id);
	json_object_object_add(ev, "event_id", json_object_new_string(id));
	json_object_object_add(ev, "timestamp",
	    json_object_new_string(ts_now(ts)));
	json_object_object_add(md, "permission",
	    json_object_new_string("denied"));
	json_object_object_add(md, "reason", json_object_new_string(
	    "not allowed at the permission prompt"));
	json_object_object_add(md, "denial_seen_at", json_object_new_string(
	    hook));
	out = xstrdup(avjson_str(ev, NULL));
	json_object_put(ev);
	return out;
}

/* A new turn: every note still open becomes a denial. */
static size_t
pr_turn(const struct hk_framework *fw, struct json_object *ev, char ***out)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir, *path, *text;
	const char	*hook = hk_str(evt_metadata(ev), "hook");
	size_t		 n = 0, len;

	if ((dir = pr_session_dir(fw, ev, 0)) == NULL)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;	/* ".", "..", a note being written */
		path = xasprintf("%s/%s", dir, de->d_name);
		if (n < PR_NOTES_MAX &&
		    (text = pr_denial(path, hook != NULL ? hook : "")) != NULL) {
			*out = xreallocarray(*out, n + 1, sizeof **out);
			(*out)[n++] = text;
		}
		unlink(path);
		free(path);
	}
	closedir(d);
	(void)rmdir(dir);
	free(dir);
	return n;
}

size_t
hk_prompts(const struct hk_framework *fw, const struct hk_hook *row,
    struct json_object *ev, struct json_object *p, char ***out)
{
	*out = NULL;
	if (row == NULL)
		return 0;
	if (row->flags & HK_HOOK_ASKS) {
		json_object_object_add(evt_metadata(ev), "permission",
		    json_object_new_string("requested"));
		pr_ask(fw, ev, p);
	}
	if (row->flags & HK_HOOK_RAN)
		pr_settle(fw, ev, p, "granted");
	if (row->flags & HK_HOOK_DENIES)
		pr_settle(fw, ev, p, NULL);
	if (row->flags & HK_HOOK_TURN)
		return pr_turn(fw, ev, out);
	return 0;
}
