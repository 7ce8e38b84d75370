/* Error reporting shared by every layer below labctl/cmd.
 *
 * Functions that can fail have the shape `int f(..., struct lab_err *err)`:
 * they return 0 on success and a negative LAB_E* code on failure, and on
 * failure fill `err` with a message complete enough to print as-is
 * (lowercase, no trailing period, subject in single quotes). `err` is left
 * untouched on success. Only labctl/cmd prints or picks an exit code.
 */
#ifndef LAB_ERR_H
#define LAB_ERR_H

#include <stddef.h>

/* Return codes (negative). Callers branch on these, never on message text. */
enum {
	LAB_OK = 0,
	LAB_ERR = -1,          /* generic failure */
	LAB_ENOTFOUND = -2,    /* the thing asked for does not exist (HTTP 404) */
	LAB_EEXISTS = -3,      /* the thing to create already exists (HTTP 409) */
	LAB_EUNREACHABLE = -4, /* the Docker engine could not be reached */
	LAB_EINPUT = -5,       /* bad input: usage or lab file (exit 2) */
	LAB_ETIMEOUT = -6,     /* a deadline passed (readiness, probe) */
	LAB_EENGINE = -7,      /* the engine answered with an error status */
	LAB_ENOLIB = -8,       /* a shared library labctl loads on first use could not be loaded (exit 3) */
};

/* Process exit codes: the ones README.md promises under "Exit codes" (the
 * design notes' section 2, "Two layers", is where they come from; the notes
 * live outside this repository). */
enum {
	LAB_EXIT_OK = 0,     /* success */
	LAB_EXIT_FAIL = 1,   /* the lab ran and is not as wanted (not ready, a check
	                        or job failed, a container not running) */
	LAB_EXIT_USAGE = 2,  /* bad input: usage, lab file, unknown lab/service/
	                        replica/job/check, a host port taken, an image
	                        that cannot be had; nothing changed */
	LAB_EXIT_ENGINE = 3, /* engine unreachable or engine error */
};

#define LAB_ERR_MSG_MAX 8192

struct lab_err {
	int code;                  /* one of LAB_E*, 0 when unset */
	char msg[LAB_ERR_MSG_MAX]; /* one or more '\n'-separated lines */
};

/* Set err (if non-NULL) to code and the printf-formatted message,
 * replacing any previous message. Returns code, so callers can write
 * `return lab_err_set(err, LAB_EINPUT, "...")`. */
int lab_err_set(struct lab_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append one more line to err's message (used for multi-diagnostic
 * validation); sets err->code to code if it was 0. A message past
 * LAB_ERR_MSG_MAX is cut and ends with "...". Returns code. */
int lab_err_append(struct lab_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix err's message with "prefix: " (e.g. a service name). Returns err->code. */
int lab_err_prefix(struct lab_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Map a LAB_E* code to the process exit code: LAB_EINPUT -> 2,
 * LAB_EUNREACHABLE/LAB_EENGINE/LAB_ENOLIB -> 3, anything else negative -> 1,
 * 0 -> 0. */
int lab_err_exit_code(int code);

#endif
