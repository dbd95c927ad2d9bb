/* SPDX-License-Identifier: MIT */
/* fuzz_message.c - libFuzzer harness: the in-process message parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gravity/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gr_parse_limits lim;
	gr_message *m = NULL;

	gr_parse_limits_default(&lim);
	if (gr_message_parse((const char *)data, size, &lim, &m, NULL) == GR_OK) {
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
	return 0;
}
