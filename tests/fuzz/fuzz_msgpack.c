/* SPDX-License-Identifier: MIT */
/* fuzz_msgpack.c - libFuzzer harness: unpacking what a (compromised) parser
 * worker sends back must never crash the poller. */
#include <stddef.h>
#include <stdint.h>

#include "gravity/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gr_message *m = NULL;

	if (gr_message_unpack((const char *)data, size, &m, NULL) == GR_OK)
		gr_message_free(m);
	return 0;
}
