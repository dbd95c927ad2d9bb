/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - libFuzzer harness: the configuration file (config.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gravity/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gr_config *c = NULL;
	gr_diags d;
	FILE *fp;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof path, "/tmp/gr-fuzz-config-XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		setenv("HOME", "/nonexistent-home", 1);
	}
	if (!(fp = fopen(path, "wb")))
		abort();
	fwrite(data, 1, size, fp);
	fclose(fp);
	memset(&d, 0, sizeof d);
	if (gr_config_load(path, &c, &d) == GR_OK) {
		(void)gr_config_account(c, NULL);
		(void)gr_config_account(c, "work");
		gr_config_free(c);
	}
	gr_diags_free(&d);
	return 0;
}
