/* SPDX-License-Identifier: MIT */
/*
 * fuzz_message.c - libFuzzer harness: the in-process message parser, over
 * the message as it came and over the same message cut to its header and
 * text parts (msgcut.c, as the sources cut a large message), fed in pieces
 * whose size the first byte picks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gravity/buf.h"
#include "gravity/message.h"
#include "msgcut.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse(const char *p, size_t n)
{
	gr_parse_limits lim;
	gr_message *m = NULL;

	gr_parse_limits_default(&lim);
	if (gr_message_parse(p, n, &lim, &m, NULL) == GR_OK) {
		char *packed = NULL;
		size_t len = 0;
		gr_message *back = NULL;

		(void)gr_message_header(m, "subject");
		(void)gr_message_reply_addr(m);
		if (gr_message_pack(m, &packed, &len) == GR_OK &&
		    gr_message_unpack(packed, len, &back, NULL) == GR_OK)
			gr_message_free(back);
		free(packed);
		gr_message_free(m);
	}
}

/* The message cut (whole_max 1: every message is cut), chunk bytes at a
 * time, then parsed. */
static void
cut_and_parse(const char *p, size_t n, size_t chunk)
{
	gr_msgin *in = gr_msgin_new(0, 1);
	gr_buf out;
	gr_status st = GR_OK;

	if (!in)
		return;
	gr_buf_init(&out, GR_WHOLE_MAX + GR_CUT_MAX);
	gr_msgin_begin(in, &out);
	for (size_t i = 0; st == GR_OK && i < n; i += chunk)
		st = gr_msgin_add(in, p + i, n - i < chunk ? n - i : chunk);
	if (st == GR_OK && gr_msgin_end(in) == GR_OK)
		parse(out.data ? out.data : "", out.len);
	gr_msgin_free(in);
	gr_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse((const char *)data, size);
	if (size > 1)
		cut_and_parse((const char *)data + 1, size - 1,
		              (size_t)data[0] % 64 + 1);
	return 0;
}
