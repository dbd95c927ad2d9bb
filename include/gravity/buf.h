/* SPDX-License-Identifier: MIT */
/*
 * buf.h - growable byte buffer with a hard upper bound (like curl's dynbuf).
 *
 * Every buffer is created with a maximum size; an append that would pass it
 * fails with GR_E_LIMIT and leaves the buffer unchanged.  data is always
 * NUL-terminated once anything was appended (and NULL before).
 */
#ifndef GRAVITY_BUF_H
#define GRAVITY_BUF_H

#include <stddef.h>
#include "gravity/status.h"

typedef struct gr_buf {
	char *data;     /* owned; NUL-terminated; NULL until the first append */
	size_t len;     /* bytes used, not counting the NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* largest len allowed */
} gr_buf;

void gr_buf_init(gr_buf *b, size_t max);
gr_status gr_buf_add(gr_buf *b, const void *p, size_t n);
gr_status gr_buf_addstr(gr_buf *b, const char *s);
gr_status gr_buf_addc(gr_buf *b, char c);
gr_status gr_buf_printf(gr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empty the buffer, keeping its memory. */
void gr_buf_reset(gr_buf *b);
/* Hand the data to the caller (who frees it; never NULL: "" if empty or
 * NULL on allocation failure) and reinitialise the buffer. */
char *gr_buf_steal(gr_buf *b);
void gr_buf_free(gr_buf *b);

#endif
