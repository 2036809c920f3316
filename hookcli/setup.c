/*
 * setup.c: "hookcli setup FRAMEWORK" prints the settings that wire hookcli
 * into every hook of that framework's table, ready to merge.
 *
 * The hooks listed are the table's rows (fw_*.c) less those marked
 * HK_HOOK_NOSETUP, so the settings can never name a hook hookcli does not
 * map. JSON is built with json-c; TOML (Codex's config.toml) is written
 * here, with its strings escaped by toml_quote().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hookcli.h"

/* JSON text as the settings files are usually written. */
static void
setup_print_json(FILE *fp, struct json_object *o)
{
	fprintf(fp, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* One {"type":"command",…} handler. */
static struct json_object *
setup_handler(const char *cmd, int with_async, int timeout)
{
	struct json_object	*h = json_object_new_object();

	json_object_object_add(h, "type", json_object_new_string("command"));
	json_object_object_add(h, "command", json_object_new_string(cmd));
	if (with_async)
		json_object_object_add(h, "async",
		    json_object_new_boolean(1));
	if (timeout > 0)
		json_object_object_add(h, "timeout",
		    json_object_new_int(timeout));
	return h;
}

/*
 * The nested form Claude Code and Gemini CLI read:
 * {"hooks":{"Event":[{"matcher":"*","hooks":[handler]}]}}, a matcher only
 * on the hooks that fire per tool call.
 */
void
hk_setup_json_nested(FILE *fp, const struct hk_framework *fw,
    const char *cmd, int with_async, int timeout, const char *name)
{
	struct json_object	*root, *hooks, *group, *list, *handlers, *h;
	size_t			 i;

	root = json_object_new_object();
	hooks = json_object_new_object();
	json_object_object_add(root, "hooks", hooks);
	for (i = 0; i < fw->nhooks; i++) {
		if (fw->hooks[i].flags & HK_HOOK_NOSETUP)
			continue;
		group = json_object_new_object();
		if (fw->hooks[i].flags & HK_HOOK_TOOL)
			json_object_object_add(group, "matcher",
			    json_object_new_string("*"));
		handlers = json_object_new_array();
		h = setup_handler(cmd, with_async &&
		    !(fw->hooks[i].flags & HK_HOOK_SYNC), timeout);
		if (name != NULL)
			json_object_object_add(h, "name",
			    json_object_new_string(name));
		json_object_array_add(handlers, h);
		json_object_object_add(group, "hooks", handlers);
		list = json_object_new_array();
		json_object_array_add(list, group);
		json_object_object_add(hooks, fw->hooks[i].name, list);
	}
	setup_print_json(fp, root);
	json_object_put(root);
}

/* Cursor's hooks.json: {"version":1,"hooks":{"event":[{"command":…}]}}. */
void
hk_setup_cursor(FILE *fp, const struct hk_framework *fw, const char *cmd,
    const char *const *argv)
{
	struct json_object	*root, *hooks, *list, *h;
	size_t			 i;

	(void)argv;
	root = json_object_new_object();
	json_object_object_add(root, "version", json_object_new_int(1));
	hooks = json_object_new_object();
	json_object_object_add(root, "hooks", hooks);
	for (i = 0; i < fw->nhooks; i++) {
		if (fw->hooks[i].flags & HK_HOOK_NOSETUP)
			continue;
		h = json_object_new_object();
		json_object_object_add(h, "command",
		    json_object_new_string(cmd));
		json_object_object_add(h, "timeout", json_object_new_int(5));
		list = json_object_new_array();
		json_object_array_add(list, h);
		json_object_object_add(hooks, fw->hooks[i].name, list);
	}
	setup_print_json(fp, root);
	json_object_put(root);
}

/* s as a TOML basic string, quotes included. */
static void
toml_quote(FILE *fp, const char *s)
{
	const unsigned char	*p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/*
 * Codex's config.toml: one [[hooks.Event]] group per hook, each with one
 * async command handler. SessionEnd and Interrupt allow at most 3 s.
 * notify is the older way, for a Codex without hooks; both at once would
 * report each finished turn twice, so it is left as a comment.
 */
void
hk_setup_codex(FILE *fp, const struct hk_framework *fw, const char *cmd,
    const char *const *argv)
{
	size_t		 i;

	fprintf(fp, "# agentvis: add to ~/.codex/config.toml (or a project's "
	    ".codex/config.toml),\n# then review and trust the hooks with "
	    "/hooks in Codex.\n");
	for (i = 0; i < fw->nhooks; i++) {
		if (fw->hooks[i].flags & HK_HOOK_NOSETUP)
			continue;
		fprintf(fp, "\n[[hooks.%s]]\n", fw->hooks[i].name);
		if (fw->hooks[i].flags & HK_HOOK_TOOL)
			fprintf(fp, "matcher = \"*\"\n");
		fprintf(fp, "[[hooks.%s.hooks]]\ntype = \"command\"\n"
		    "command = ", fw->hooks[i].name);
		toml_quote(fp, cmd);
		fprintf(fp, "\n%stimeout = %d\n",
		    fw->hooks[i].flags & HK_HOOK_SYNC ? "" : "async = true\n",
		    strcmp(fw->hooks[i].name, "SessionEnd") == 0 ||
		    strcmp(fw->hooks[i].name, "Interrupt") == 0 ? 3 : 5);
	}
	/* notify takes an argv, not a shell command line. */
	fprintf(fp, "\n# A Codex older than its hooks (before 0.124) can "
	    "report finished turns\n# through notify instead, a top-level "
	    "key (above any [table]):\n# notify = [");
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			fprintf(fp, ", ");
		toml_quote(fp, argv[i]);
	}
	fprintf(fp, "]\n");
}
