/*
 * uuidstr.h: event and batch ids as text, via libuuid.
 */
#ifndef AV_UUIDSTR_H
#define AV_UUIDSTR_H

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus NUL. */
#define UUIDSTR_LEN 37

/* Write a new random (v4) UUID in lower case; returns buf. */
char *uuidstr_v4(char buf[UUIDSTR_LEN]);
/* 1 if s is a well-formed UUID (any version, either case), else 0. */
int uuidstr_valid(const char *s);

#endif
