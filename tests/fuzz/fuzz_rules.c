/* SPDX-License-Identifier: MIT */
/* fuzz_rules.c - libFuzzer harness: the rules-directory loader (gravity-rules(5)).
 * The first input byte picks which file the rest becomes: a .rules file,
 * profile, services, partners, overrides or contacts; a loaded set is then
 * used to classify a small fixed message. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gravity/classify.h"
#include "gravity/message.h"
#include "gravity/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"x.rules", "profile", "services", "partners", "overrides", "contacts",
};

static const char msg[] =
	"From: Ana Ruiz <ana@example.org>\r\nTo: me@example.com\r\n"
	"Subject: Quote for a new website?\r\nMessage-ID: <a1@example.org>\r\n"
	"Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n\r\n"
	"Hi, could you send me a quote for a mortgage and a website? "
	"Luis suggested I write. Thanks, Ana\r\n";

static char dir[64];
static gr_message *m;

static void
setup(void)
{
	gr_parse_limits lim;

	snprintf(dir, sizeof dir, "/tmp/gr-fuzz-rules-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	gr_parse_limits_default(&lim);
	if (gr_message_parse(msg, sizeof msg - 1, &lim, &m, NULL) != GR_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dirs[1];
	char path[128];
	gr_rules *r = NULL;
	gr_diags d;
	FILE *fp;
	size_t which;

	if (!dir[0])
		setup();
	if (size < 1)
		return 0;
	which = data[0] % (sizeof names / sizeof names[0]);
	snprintf(path, sizeof path, "%s/%s", dir, names[which]);
	if (!(fp = fopen(path, "wb")))
		abort();
	if (size > 1)
		fwrite(data + 1, 1, size - 1, fp);
	fclose(fp);
	memset(&d, 0, sizeof d);
	dirs[0] = dir;
	if (gr_rules_load(dirs, 1, &r, &d) == GR_OK) {
		gr_verdict v;

		memset(&v, 0, sizeof v);
		if (gr_classify(r, m, NULL, &v, NULL) == GR_OK)
			gr_verdict_free(&v);
		(void)gr_owner_partner_for(gr_rules_owner(r), "mortgage");
		gr_rules_free(r);
	}
	gr_diags_free(&d);
	unlink(path);
	return 0;
}
