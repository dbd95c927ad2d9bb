/* SPDX-License-Identifier: MIT */
/* fuzz_imap.c - libFuzzer harness: the IMAP response parser (imap.h) as a
 * hostile server would feed it: whole-buffer gr_imap_parse, the streaming
 * parser fed in pieces, and gr_imap_body_parts on any BODYSTRUCTURE. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gravity/imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LIT   (64u << 10)
#define MAX_RESP  (256u << 10)

static void
walk(const gr_imap_resp *r)
{
	const gr_imap_val *bs;
	gr_imap_part parts[8];
	size_t n;
	uint64_t num;

	(void)gr_imap_code_is(r, "UIDVALIDITY", &num);
	if (r->data.type != GR_IMAP_LIST || r->data.n == 0)
		return;
	(void)gr_imap_str(&r->data.v[0]);
	if (r->data.v[0].type == GR_IMAP_LIST) {
		(void)gr_imap_fetch_get(&r->data.v[0], "UID");
		(void)gr_imap_fetch_get(&r->data.v[0], "BODY[1]");
		if ((bs = gr_imap_fetch_get(&r->data.v[0], "BODYSTRUCTURE")))
			(void)gr_imap_body_parts(bs, parts, 8, &n);
		/* the whole list as if it were one */
		(void)gr_imap_body_parts(&r->data.v[0], parts, 8, &n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0, used, chunk;
	gr_imap_parser *p = NULL;
	gr_imap_resp *r;
	gr_error err;

	/* whole buffer, response after response */
	while (off < size) {
		r = NULL;
		if (gr_imap_parse(buf + off, size - off, MAX_LIT, MAX_RESP, &r,
		                  &used, &err) != GR_OK)
			break;
		walk(r);
		gr_imap_resp_free(r);
		if (used == 0)
			abort();        /* must always make progress */
		off += used;
	}
	/* streaming, in chunks sized by the first byte */
	if (gr_imap_parser_new(MAX_LIT, MAX_RESP, &p) != GR_OK)
		return 0;
	chunk = size ? (size_t)(data[0] % 17) + 1 : 1;
	for (off = 0; off < size; off += chunk) {
		size_t k = size - off < chunk ? size - off : chunk;
		gr_status st;

		if (gr_imap_parser_feed(p, buf + off, k, &err) != GR_OK)
			break;
		while ((st = gr_imap_parser_next(p, &r, &err)) == GR_OK) {
			walk(r);
			gr_imap_resp_free(r);
		}
		if (st != GR_DONE)
			break;
	}
	gr_imap_parser_free(p);
	return 0;
}
