/*
 * answer.c: the 422 detail of the gateway, turned into one reason per
 * event ("agent_id: field required; timestamp: …"); see answer.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "avjson.h"
#include "xmalloc.h"

/* Longest reason kept for one event; the rest is cut. */
#define REASON_MAX 1024

/* Append "path: msg" (joined with "; ") to *reason, within REASON_MAX. */
static void
answer_add(char **reason, struct json_object *loc, struct json_object *msg)
{
	struct json_object	*x;
	const char		*m, *part;
	char			*path, *tmp;
	size_t			 j;

	path = xstrdup("");
	for (j = 2; j < json_object_array_length(loc) && j < 16; j++) {
		x = json_object_array_get_idx(loc, j);
		part = json_object_get_string(x);
		tmp = xasprintf("%s%s%.64s", path, *path ? "." : "",
		    part != NULL ? part : "?");
		free(path);
		path = tmp;
	}
	m = msg != NULL && json_object_is_type(msg, json_type_string) ?
	    json_object_get_string(msg) : "refused";
	tmp = xasprintf("%s%s%s%s%.256s", *reason ? *reason : "",
	    *reason ? "; " : "", path, *path ? ": " : "", m);
	free(path);
	if (strlen(tmp) > REASON_MAX)
		tmp[REASON_MAX] = '\0';
	free(*reason);
	*reason = tmp;
}

/* Parse a 422 body for a batch of nsent events. */
char **
answer_422(const char *body, size_t len, size_t nsent, size_t *named)
{
	struct json_object	*o, *detail, *d, *loc, *msg, *x;
	char			**reasons;
	size_t			 k;
	int64_t			 i;

	*named = 0;
	if (body == NULL || (o = avjson_parse(body, len, NULL)) == NULL)
		return NULL;
	if (!json_object_object_get_ex(o, "detail", &detail) ||
	    !json_object_is_type(detail, json_type_array)) {
		json_object_put(o);
		return NULL;
	}
	reasons = xcalloc(nsent + 1, sizeof *reasons);
	for (k = 0; k < json_object_array_length(detail); k++) {
		d = json_object_array_get_idx(detail, k);
		if (!json_object_is_type(d, json_type_object) ||
		    !json_object_object_get_ex(d, "loc", &loc) ||
		    !json_object_is_type(loc, json_type_array) ||
		    json_object_array_length(loc) < 2)
			continue;
		x = json_object_array_get_idx(loc, 0);
		if (!json_object_is_type(x, json_type_string) ||
		    strcmp(json_object_get_string(x), "events") != 0)
			continue;
		x = json_object_array_get_idx(loc, 1);
		if (!json_object_is_type(x, json_type_int))
			continue;
		i = json_object_get_int64(x);
		if (i < 0 || (uint64_t)i >= nsent)
			continue;
		msg = NULL;
		json_object_object_get_ex(d, "msg", &msg);
		if (reasons[i] == NULL)
			(*named)++;
		answer_add(&reasons[i], loc, msg);
	}
	json_object_put(o);
	return reasons;
}

/* Free what answer_422 returned. */
void
answer_free(char **reasons, size_t nsent)
{
	size_t	i;

	if (reasons == NULL)
		return;
	for (i = 0; i < nsent; i++)
		free(reasons[i]);
	free(reasons);
}
