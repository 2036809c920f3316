/*
 * deadletter.c: the dead-letter file, NDJSON, one refused event a line:
 *
 *	{"reason":"agent_id: field required","status":422,"event":{…}}
 *	{"reason":"…","source":"fallback:<file>","line":"<the raw line>"}
 *
 * The first form holds events the gateway refused for good (a 4xx other
 * than 408 and 429: collectord(8), "Gateway answers"),
 * the second lines of fallback files that were not valid events. The file
 * is opened for each write (these are rare) so that it can be rotated
 * under a running collectord, and synced before the event is released
 * from the spool (unless fsync=never).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avjson.h"
#include "collectord.h"
#include "log.h"
#include "xmalloc.h"

/* Append one line (with its newline) to the dead-letter file. */
static int
deadletter_append(struct collectord *cd, const char *line, size_t len)
{
	size_t	done = 0;
	ssize_t	n;
	int	fd;

	fd = open(cd->conf.dead_letter, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_warn_limited("dead letter %s", cd->conf.dead_letter);
		cd_set_error(cd, "dead letter %s: %s", cd->conf.dead_letter,
		    strerror(errno));
		return -1;
	}
	while (done < len) {
		n = write(fd, line + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn_limited("dead letter %s", cd->conf.dead_letter);
			close(fd);
			return -1;
		}
		done += n;
	}
	if (cd->conf.fsync != CD_FSYNC_NEVER && fdatasync(fd) == -1) {
		log_warn_limited("dead letter %s", cd->conf.dead_letter);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Append {"reason":…,"status":N,"event":{…}}. The event goes in as the
 * record's bytes, the text the gateway refused (json-c's already), and
 * the reason through avjson_quote, so the line is what json-c would write.
 */
int
deadletter_write(struct collectord *cd, const char *reason, int status,
    const char *event, size_t len)
{
	char	*line, num[32];
	size_t	 qlen, cap, n;
	int	 r;

	qlen = avjson_quote(NULL, 0, reason);
	snprintf(num, sizeof num, "%d", status);
	cap = qlen + len + strlen(num) + 64;
	line = xmalloc(cap);
	n = 0;
	memcpy(line, "{\"reason\":", 10);
	n += 10;
	avjson_quote(line + n, cap - n, reason);
	n += qlen;
	n += snprintf(line + n, cap - n, ",\"status\":%s,\"event\":", num);
	memcpy(line + n, event, len);
	n += len;
	memcpy(line + n, "}\n", 2);
	n += 2;
	r = deadletter_append(cd, line, n);
	free(line);
	return r;
}

/* Append {"reason":…,"source":…,"line":…} for a line that is no event. */
int
deadletter_line(struct collectord *cd, const char *reason, const char *source,
    const char *line, size_t len)
{
	struct json_object	*o;
	const char		*s;
	size_t			 slen;
	char			*out;
	int			 r;

	o = json_object_new_object();
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "source", json_object_new_string(source));
	json_object_object_add(o, "line",
	    json_object_new_string_len(line, len));
	s = avjson_str(o, &slen);
	out = xmalloc(slen + 1);
	memcpy(out, s, slen);
	out[slen] = '\n';
	r = deadletter_append(cd, out, slen + 1);
	free(out);
	json_object_put(o);
	return r;
}
