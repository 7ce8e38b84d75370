#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vappend(struct lab_err *err, size_t at, const char *fmt, va_list ap)
{
	if (at >= sizeof(err->msg) - 1)
		return;
	int n = vsnprintf(err->msg + at, sizeof(err->msg) - at, fmt, ap);
	if (n < 0)
		err->msg[at] = '\0';
	else if ((size_t)n >= sizeof(err->msg) - at)
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

int lab_err_set(struct lab_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	err->code = code;
	err_vappend(err, 0, fmt, ap);
	va_end(ap);
	return code;
}

int lab_err_append(struct lab_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	if (!err->code) {
		err->code = code;
		err->msg[0] = '\0';
	}
	size_t at = strnlen(err->msg, sizeof(err->msg));
	if (at > 0 && at < sizeof(err->msg) - 1)
		err->msg[at++] = '\n', err->msg[at] = '\0';
	va_list ap;
	va_start(ap, fmt);
	err_vappend(err, at, fmt, ap);
	va_end(ap);
	return code;
}

int lab_err_prefix(struct lab_err *err, const char *fmt, ...)
{
	if (!err)
		return LAB_ERR;
	char prefix[512], old[LAB_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	int n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
	return err->code;
}

int lab_err_exit_code(int code)
{
	switch (code) {
	case 0:
		return LAB_EXIT_OK;
	case LAB_EINPUT:
		return LAB_EXIT_USAGE;
	case LAB_EUNREACHABLE:
	case LAB_EENGINE:
	case LAB_ENOLIB:
		return LAB_EXIT_ENGINE;
	default:
		return LAB_EXIT_FAIL;
	}
}
