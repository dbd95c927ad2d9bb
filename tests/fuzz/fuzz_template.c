/* SPDX-License-Identifier: MIT */
/* fuzz_template.c - libFuzzer harness: reply templates (template.h), loaded
 * from memory and rendered with every known variable set (odd values too). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *const *known = gr_template_known_vars();
	static const char *const vals[] = {
		"Ana Ruiz", "", "{{subject}}", "x\r\nBcc: evil@example.org",
		"\xc3\xa9t\xc3\xa9 \xff\xfe", "}}{{",
	};
	gr_var vars[64];
	size_t n = 0;
	gr_template *t = NULL;
	gr_diags d;

	for (size_t i = 0; known[i] && n < 64; i++, n++) {
		vars[n].name = known[i];
		vars[n].value = vals[(i + (size ? data[0] : 0)) %
		                     (sizeof vals / sizeof vals[0])];
	}
	memset(&d, 0, sizeof d);
	if (gr_template_load_mem("fuzz.txt", (const char *)data, size, &t,
	                         &d) == GR_OK && t) {
		char *subj = NULL, *body = NULL;
		gr_error err;

		(void)gr_template_uses(t, "subject");
		if (gr_template_render(t, vars, n, &subj, &body, &err) == GR_OK) {
			free(subj);
			free(body);
		}
		/* and with no variables at all: every fallback */
		subj = body = NULL;
		if (gr_template_render(t, NULL, 0, &subj, &body, &err) == GR_OK) {
			free(subj);
			free(body);
		}
		gr_template_free(t);
	}
	gr_diags_free(&d);
	return 0;
}
