/* SPDX-License-Identifier: MIT */
/* buf.c - bounded growable buffer. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"

void
gr_buf_init(gr_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static gr_status
buf_reserve(gr_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return GR_E_LIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return GR_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < need)
		ncap = need;
	p = realloc(b->data, ncap);
	if (!p)
		return GR_E_NOMEM;
	b->data = p;
	b->cap = ncap;
	return GR_OK;
}

gr_status
gr_buf_add(gr_buf *b, const void *p, size_t n)
{
	gr_status st = buf_reserve(b, n);

	if (st != GR_OK)
		return st;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return GR_OK;
}

gr_status
gr_buf_addstr(gr_buf *b, const char *s)
{
	return gr_buf_add(b, s, strlen(s));
}

gr_status
gr_buf_addc(gr_buf *b, char c)
{
	return gr_buf_add(b, &c, 1);
}

gr_status
gr_buf_printf(gr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	gr_status st;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return GR_E_INTERNAL;
	st = buf_reserve(b, (size_t)n);
	if (st != GR_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return GR_OK;
}

void
gr_buf_reset(gr_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
gr_buf_steal(gr_buf *b)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

void
gr_buf_free(gr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
