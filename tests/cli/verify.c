/* SPDX-License-Identifier: MIT */
/*
 * verify.c - gr_verify FILE...: check gravity's outputs the way a calendar
 * and a mail client would read them.  .ics files must parse with libical
 * with no X-LIC-ERROR, and every VEVENT/VTODO must carry UID, DTSTAMP and
 * DTSTART or DUE; .eml files must parse with libetpan and carry From, To,
 * Subject, Date, Message-ID and MIME-Version, with no bare CR or LF runs
 * that start a new header.  Prints one line per problem; exit 1 if any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>
#include <libetpan/libetpan.h>

#include "gravity/util.h"

static int
verify_ics(const char *path, const char *data)
{
	icalcomponent *cal = icalparser_parse_string(data), *c;
	int bad = 0, n = 0;

	if (!cal) {
		printf("%s: not iCalendar\n", path);
		return 1;
	}
	if (icalcomponent_count_errors(cal) > 0) {
		printf("%s: libical reports %d errors\n", path,
		       icalcomponent_count_errors(cal));
		bad = 1;
	}
	for (c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
	     c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k = icalcomponent_isa(c);

		if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT)
			continue;
		n++;
		if (!icalcomponent_get_first_property(c, ICAL_UID_PROPERTY) ||
		    !icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY)) {
			printf("%s: component without UID or DTSTAMP\n", path);
			bad = 1;
		}
		if (!icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY) &&
		    !icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY)) {
			printf("%s: component without DTSTART or DUE\n", path);
			bad = 1;
		}
	}
	if (n == 0) {
		printf("%s: no VEVENT or VTODO\n", path);
		bad = 1;
	}
	icalcomponent_free(cal);
	return bad;
}

static int
has_field(struct mailimf_fields *f, int type)
{
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *fld = clist_content(it);

		if (fld->fld_type == type)
			return 1;
	}
	return 0;
}

static int
verify_eml(const char *path, const char *data, size_t len)
{
	struct mailimf_fields *f = NULL;
	size_t idx = 0;
	int bad = 0;
	static const struct { int type; const char *name; } need[] = {
		{ MAILIMF_FIELD_FROM, "From" },
		{ MAILIMF_FIELD_TO, "To" },
		{ MAILIMF_FIELD_SUBJECT, "Subject" },
		{ MAILIMF_FIELD_ORIG_DATE, "Date" },
		{ MAILIMF_FIELD_MESSAGE_ID, "Message-ID" },
	};

	if (mailimf_fields_parse(data, len, &idx, &f) != MAILIMF_NO_ERROR) {
		printf("%s: header does not parse\n", path);
		return 1;
	}
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!has_field(f, need[i].type)) {
			printf("%s: no %s header\n", path, need[i].name);
			bad = 1;
		}
	if (!gr_strcasestr(data, "\nMIME-Version: 1.0")) {
		printf("%s: no MIME-Version\n", path);
		bad = 1;
	}
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\r' && (i + 1 >= len || data[i + 1] != '\n')) {
			printf("%s: bare CR at byte %zu\n", path, i);
			bad = 1;
			break;
		}
	mailimf_fields_free(f);
	return bad;
}

int
main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		char *data;
		size_t len;
		const char *dot = strrchr(argv[i], '.');

		if (gr_read_file(argv[i], 64u << 20, &data, &len, NULL) != GR_OK) {
			printf("%s: cannot read\n", argv[i]);
			bad = 1;
			continue;
		}
		if (dot && !strcmp(dot, ".ics"))
			bad |= verify_ics(argv[i], data);
		else if (dot && !strcmp(dot, ".eml"))
			bad |= verify_eml(argv[i], data, len);
		else {
			printf("%s: neither .ics nor .eml\n", argv[i]);
			bad = 1;
		}
		free(data);
	}
	return bad;
}
