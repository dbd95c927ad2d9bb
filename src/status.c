/* SPDX-License-Identifier: MIT */
/* status.c - status names, sysexits codes and error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "gravity/status.h"

static const struct {
	const char *name;
	int exit_code;
} status_table[GR_STATUS_LAST] = {
	[GR_OK]         = { "ok", EX_OK },
	[GR_DONE]       = { "done", EX_OK },
	[GR_E_NOMEM]    = { "out of memory", EX_OSERR },
	[GR_E_IO]       = { "I/O error", EX_IOERR },
	[GR_E_PARSE]    = { "malformed input", EX_DATAERR },
	[GR_E_CONFIG]   = { "configuration error", EX_DATAERR },
	[GR_E_USAGE]    = { "usage error", EX_USAGE },
	[GR_E_NOINPUT]  = { "no such input", EX_NOINPUT },
	[GR_E_NET]      = { "network error", EX_TEMPFAIL },
	[GR_E_TLS]      = { "TLS error", EX_PROTOCOL },
	[GR_E_AUTH]     = { "authentication failed", EX_NOPERM },
	[GR_E_PROTOCOL] = { "protocol error", EX_PROTOCOL },
	[GR_E_STATE]    = { "state database error", EX_CANTCREAT },
	[GR_E_LOCKED]   = { "state is locked by another gravity", EX_TEMPFAIL },
	[GR_E_LIMIT]    = { "input exceeds a limit", EX_DATAERR },
	[GR_E_CRASH]    = { "parser crashed", EX_SOFTWARE },
	[GR_E_INTERNAL] = { "internal error", EX_SOFTWARE },
	[GR_E_SETUP]    = { "setup incomplete", EX_CONFIG },
};

const char *
gr_status_to_string(gr_status st)
{
	if ((unsigned)st >= GR_STATUS_LAST || !status_table[st].name)
		return "unknown status";
	return status_table[st].name;
}

int
gr_status_to_exit(gr_status st)
{
	if ((unsigned)st >= GR_STATUS_LAST)
		return EX_SOFTWARE;
	return status_table[st].exit_code;
}

gr_status
gr_error_set(gr_error *err, gr_status st, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->status = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	/* One line: a message never carries a line break. */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return st;
}

void
gr_error_clear(gr_error *err)
{
	if (!err)
		return;
	err->status = GR_OK;
	err->msg[0] = '\0';
}
