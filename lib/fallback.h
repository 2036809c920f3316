/*
 * fallback.h: the fallback drop directory shared by hookcli (writer) and
 * collectord (reader); agentvis-events(7) documents it.
 *
 * When collectord is unreachable hookcli writes its event lines into
 * "<dir>/.tmp-<uuid>" with mode 0640, fsyncs, and renames to
 * "<dir>/<ms>-<pid>-<uuid>.ndjson": readers never see a partial file.
 * Files are NDJSON, one event a line. The file's owner uid is the
 * trustworthy identity of the writer (collectord stamps it as origin).
 */
#ifndef AV_FALLBACK_H
#define AV_FALLBACK_H

#include <stddef.h>

#define FALLBACK_SUFFIX ".ndjson"

/* Write data (complete NDJSON lines) atomically into dir. 0 or -1 with *cause. */
int fallback_write(const char *dir, const char *data, size_t len, char **cause);
/* 1 if a directory entry name is a finished fallback file to take in. */
int fallback_is_ready(const char *name);

#endif
