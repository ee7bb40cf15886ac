/* SPDX-License-Identifier: MIT */
#include "core/core.h"
#include "util/timeconv.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>

const char *dimg_strerror(int code)
{
	switch (code) {
	case DIMG_OK: return "success";
	case DIMG_EIO: return "input/output error";
	case DIMG_ENOMEM: return "out of memory";
	case DIMG_EFORMAT: return "invalid or corrupt data";
	case DIMG_EUNSUPPORTED: return "not supported";
	case DIMG_ENOTFOUND: return "not found";
	case DIMG_EINVAL: return "invalid argument";
	case DIMG_ELIMIT: return "limit exceeded";
	case DIMG_ENOTDIR: return "not a directory";
	case DIMG_EISDIR: return "is a directory";
	case DIMG_EUNKNOWN: return "unrecognised image format";
	case DIMG_ERANGE: return "out of range (truncated?)";
	default: return "unknown error";
	}
}

void dimg_error_clear(struct dimg_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->offset = DIMG_OFFSET_NONE;
}

static int verr(struct dimg_error *err, int code, int sys_errno, int64_t offset,
		const char *fmt, va_list ap)
{
	if (!err || err->code != 0)
		return code;
	err->code = code;
	err->sys_errno = sys_errno;
	err->offset = offset;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	if (sys_errno) {
		size_t n = strlen(err->message);
		snprintf(err->message + n, sizeof(err->message) - n, ": %s", strerror(sys_errno));
	}
	return code;
}

int dimg_err(struct dimg_error *err, int code, int64_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(err, code, 0, offset, fmt, ap);
	va_end(ap);
	return code;
}

int dimg_err_sys(struct dimg_error *err, int sys_errno, int64_t offset, const char *fmt, ...)
{
	va_list ap;
	int code = sys_errno == ENOMEM ? DIMG_ENOMEM : DIMG_EIO;
	va_start(ap, fmt);
	verr(err, code, sys_errno, offset, fmt, ap);
	va_end(ap);
	return code;
}

void dimg_err_what(struct dimg_error *err, const char *what)
{
	if (err && !err->what[0] && what)
		snprintf(err->what, sizeof(err->what), "%s", what);
}

void dimg_time_format(int64_t t, char *buf, size_t size)
{
	tc_format_iso8601(t, buf, size);
}
