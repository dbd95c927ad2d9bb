/* SPDX-License-Identifier: MIT */
/* test_calendar.c - reminders as iCalendar, parsed back with libical. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/buf.h"
#include "gravity/calendar.h"
#include "gravity/util.h"

#define DUE     1793563200      /* 2026-11-01 12:00 PST */
#define STAMP   1793000000

static void
reminder_init(gr_reminder *r)
{
	memset(r, 0, sizeof *r);
	r->uid = "0123456789abcdef-reply@gravity";
	r->due = DUE;
	r->tzid = "America/Los_Angeles";
	r->summary = "Reply to Dana Lee: kitchen remodel question";
	r->description = "From: Dana Lee <dana@example.com>\nWhy: inquiry";
	r->message_id = "CAF=x/y%z@mail.example.com";
	r->dtstamp = STAMP;
}

/* What gravity writes: one reminder alone (its .ics file), or several as
 * the feed is written (lifecycle.c): the head with every zone, each
 * reminder, the closing line.  *out owned by the caller. */
static void
render(const gr_reminder *const *v, size_t n, char **out)
{
	const char *tzids[8];
	char *piece = NULL;
	time_t lo = 0, hi = 0;
	gr_buf b;
	gr_error err;

	if (n == 1) {
		assert_int_equal(gr_calendar_render(v[0], out, &err), GR_OK);
		return;
	}
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		tzids[i] = v[i]->tzid;
		lo = i == 0 || v[i]->due < lo ? v[i]->due : lo;
		hi = i == 0 || v[i]->due > hi ? v[i]->due : hi;
	}
	gr_buf_init(&b, 1 << 20);
	assert_int_equal(gr_calendar_feed_head(tzids, n, lo, hi, &piece, &err),
	                 GR_OK);
	assert_int_equal(gr_buf_addstr(&b, piece), GR_OK);
	free(piece);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(gr_calendar_render_component(v[i], &piece, &err),
		                 GR_OK);
		assert_int_equal(gr_buf_addstr(&b, piece), GR_OK);
		free(piece);
	}
	assert_int_equal(gr_buf_addstr(&b, GR_CALENDAR_FEED_TAIL), GR_OK);
	*out = gr_buf_steal(&b);
}

/* Render, check the raw text, parse back; returns the VCALENDAR. */
static icalcomponent *
render_parse(const gr_reminder *const *v, size_t n)
{
	char *s = NULL, *copy, *line, *save = NULL;
	icalcomponent *cal;

	render(v, n, &s);
	assert_non_null(s);
	copy = gr_strdup(s);
	assert_non_null(copy);
	/* Every physical line is at most 75 octets and valid UTF-8, and no
	 * value created a property of its own. */
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\r')
			len--;
		assert_true(len <= 75);
		assert_true(gr_utf8_valid(line, len));
		assert_false(gr_startswith_ci(line, "ATTENDEE"));
		assert_false(gr_startswith_ci(line, "X-EVIL"));
	}
	free(copy);
	cal = icalparser_parse_string(s);
	free(s);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	return cal;
}

static const char *
tzid_of(icalproperty *p)
{
	icalparameter *par = icalproperty_get_first_parameter(p,
	                                                      ICAL_TZID_PARAMETER);

	return par ? icalparameter_get_tzid(par) : NULL;
}

static void
test_event_with_alarm(void **state)
{
	gr_reminder r;
	const gr_reminder *v[1] = { &r };
	icalcomponent *cal, *ev, *al;
	icalproperty *p;
	struct icaltimetype t;

	(void)state;
	reminder_init(&r);
	r.alarm_min = 10;
	cal = render_parse(v, 1);
	assert_int_equal(icalcomponent_count_components(cal,
	                 ICAL_VTIMEZONE_COMPONENT), 1);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_non_null(ev);
	assert_string_equal(icalcomponent_get_uid(ev), r.uid);
	assert_non_null(icalcomponent_get_first_property(ev,
	                ICAL_DTSTAMP_PROPERTY));
	assert_string_equal(icalcomponent_get_summary(ev), r.summary);
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	assert_non_null(p);
	/* Plain IANA TZIDs, with the VTIMEZONE of the same name kept. */
	assert_string_equal(tzid_of(p), "America/Los_Angeles");
	p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	assert_string_equal(tzid_of(p), "America/Los_Angeles");
	p = icalcomponent_get_first_property(icalcomponent_get_first_component(
		cal, ICAL_VTIMEZONE_COMPONENT), ICAL_TZID_PROPERTY);
	assert_string_equal(icalproperty_get_tzid(p), "America/Los_Angeles");
	assert_null(icalcomponent_get_first_property(ev,
	            ICAL_RELATEDTO_PROPERTY));
	t = icalcomponent_get_dtstart(ev);
	assert_int_equal(t.hour, 12);
	assert_int_equal(icaltime_as_timet_with_zone(t, t.zone), DUE);
	assert_int_equal(icalcomponent_get_status(ev), ICAL_STATUS_CONFIRMED);
	p = icalcomponent_get_first_property(ev, ICAL_URL_PROPERTY);
	assert_string_equal(icalproperty_get_url(p),
	                    "mid:CAF%3Dx%2Fy%25z@mail.example.com");
	assert_non_null(strstr(icalcomponent_get_description(ev),
	                "message://%3cCAF%3Dx%2Fy%25z@mail.example.com%3e"));
	assert_non_null(strstr(icalcomponent_get_description(ev),
	                "Message-ID: <CAF=x/y%z@mail.example.com>"));
	assert_non_null(strstr(icalcomponent_get_description(ev),
	                "From: Dana Lee <dana@example.com>\nWhy: inquiry"));
	al = icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT);
	assert_non_null(al);
	p = icalcomponent_get_first_property(al, ICAL_ACTION_PROPERTY);
	assert_int_equal(icalproperty_get_action(p), ICAL_ACTION_DISPLAY);
	p = icalcomponent_get_first_property(al, ICAL_TRIGGER_PROPERTY);
	assert_int_equal(icaldurationtype_as_int(
		icalproperty_get_trigger(p).duration), -600);
	assert_non_null(icalcomponent_get_first_property(al,
	                ICAL_DESCRIPTION_PROPERTY));
	icalcomponent_free(cal);
}

static void
test_injection(void **state)
{
	gr_reminder r;
	const gr_reminder *v[1] = { &r };
	icalcomponent *cal, *ev;
	const char *subj = "Reply to Dana: a;b,c:d\r\nATTENDEE:mailto:x@evil\r\n"
	                   " X-EVIL:1\\n \x01\x7f\xff caf\xc3\xa9";

	(void)state;
	reminder_init(&r);
	r.summary = subj;
	r.description = "line1\r\nX-EVIL:2\nBEGIN:VEVENT\n; , : \\";
	r.uid = "u\r\nX-EVIL:3@gravity";
	cal = render_parse(v, 1);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_int_equal(icalcomponent_count_components(cal,
	                 ICAL_VEVENT_COMPONENT), 1);
	assert_null(icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY));
	assert_null(icalcomponent_get_first_property(ev, ICAL_X_PROPERTY));
	assert_string_equal(icalcomponent_get_summary(ev),
	                    "Reply to Dana: a;b,c:d ATTENDEE:mailto:x@evil  "
	                    "X-EVIL:1\\n  caf\xc3\xa9");
	assert_non_null(strstr(icalcomponent_get_description(ev),
	                "line1\nX-EVIL:2\nBEGIN:VEVENT\n; , : \\"));
	assert_string_equal(icalcomponent_get_uid(ev), "u X-EVIL:3@gravity");
	icalcomponent_free(cal);
}

static void
test_todo_and_done(void **state)
{
	gr_reminder r;
	const gr_reminder *v[1] = { &r };
	icalcomponent *cal, *c;
	icalproperty *p;

	(void)state;
	reminder_init(&r);
	r.as_todo = 1;
	cal = render_parse(v, 1);
	c = icalcomponent_get_first_component(cal, ICAL_VTODO_COMPONENT);
	assert_non_null(c);
	p = icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY);
	assert_non_null(p);
	assert_string_equal(tzid_of(p), "America/Los_Angeles");
	assert_non_null(icalcomponent_get_first_property(c,
	                ICAL_DTSTAMP_PROPERTY));
	assert_int_equal(icalcomponent_get_status(c), ICAL_STATUS_NEEDSACTION);
	icalcomponent_free(cal);

	r.status = GR_REM_DONE;
	r.sequence = 2;
	cal = render_parse(v, 1);
	c = icalcomponent_get_first_component(cal, ICAL_VTODO_COMPONENT);
	assert_int_equal(icalcomponent_get_status(c), ICAL_STATUS_COMPLETED);
	assert_int_equal(icalcomponent_get_sequence(c), 2);
	icalcomponent_free(cal);

	r.as_todo = 0;
	cal = render_parse(v, 1);
	c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_int_equal(icalcomponent_get_status(c), ICAL_STATUS_CANCELLED);
	assert_int_equal(icalcomponent_get_sequence(c), 2);
	icalcomponent_free(cal);
}

static void
test_feed(void **state)
{
	gr_reminder r[3];
	const gr_reminder *v[3] = { &r[0], &r[1], &r[2] };
	icalcomponent *cal, *c;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		reminder_init(&r[i]);
	r[0].uid = "a@gravity";
	r[1].uid = "b@gravity";
	r[1].due = DUE + 86400 * 200;   /* summer time */
	r[1].as_todo = 1;
	r[2].uid = "c@gravity";
	r[2].tzid = "Europe/Berlin";
	r[2].message_id = NULL;
	cal = render_parse(v, 3);
	assert_int_equal(icalcomponent_count_components(cal,
	                 ICAL_VTIMEZONE_COMPONENT), 2);
	for (c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
	     c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
		struct icaltimetype t;
		const gr_reminder *want = NULL;

		if (icalcomponent_isa(c) == ICAL_VTIMEZONE_COMPONENT)
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(icalcomponent_get_uid(c), r[i].uid) == 0)
				want = &r[i];
		assert_non_null(want);
		t = want->as_todo ? icalcomponent_get_due(c) :
		    icalcomponent_get_dtstart(c);
		assert_non_null(t.zone);
		assert_int_equal(icaltime_as_timet_with_zone(t, t.zone), want->due);
		assert_int_equal(want->message_id != NULL,
		                 icalcomponent_get_first_property(c,
		                         ICAL_URL_PROPERTY) != NULL);
		n++;
	}
	assert_int_equal(n, 3);
	icalcomponent_free(cal);
}

/* The feed's name (RFC 7986 NAME and X-WR-CALNAME), a RELATED-TO link, and
 * no raw newline of a header-made name reaching a property. */
static void
test_feed_name_related(void **state)
{
	const char *tz[1] = { "America/Chicago" };
	gr_reminder r;
	char *head = NULL, *comp = NULL, *all;
	icalcomponent *cal, *ev;
	icalproperty *p;
	gr_error err;
	size_t n;

	(void)state;
	reminder_init(&r);
	r.tzid = "America/Chicago";
	r.related_to = "0123456789abcdef-reply@gravity";
	assert_int_equal(gr_calendar_feed_head_named(tz, 1, DUE, DUE,
	                 "gravity: Maya\r\nX-EVIL:1 Torres", &head, &err), GR_OK);
	assert_non_null(strstr(head, "\r\nNAME:gravity: Maya X-EVIL:1 Torres\r\n"));
	assert_non_null(strstr(head, "\r\nX-WR-CALNAME:gravity: Maya X-EVIL:1 "
	                       "Torres\r\n"));
	assert_null(strstr(head, "freeassociation"));
	assert_non_null(strstr(head, "TZID:America/Chicago\r\n"));
	assert_int_equal(gr_calendar_render_component(&r, &comp, &err), GR_OK);
	assert_non_null(strstr(comp, "DTSTART;TZID=America/Chicago:"));
	n = strlen(head) + strlen(comp) + strlen(GR_CALENDAR_FEED_TAIL) + 1;
	all = malloc(n);
	assert_non_null(all);
	snprintf(all, n, "%s%s%s", head, comp, GR_CALENDAR_FEED_TAIL);
	cal = icalparser_parse_string(all);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	p = icalcomponent_get_first_property(cal, ICAL_NAME_PROPERTY);
	assert_non_null(p);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	p = icalcomponent_get_first_property(ev, ICAL_RELATEDTO_PROPERTY);
	assert_non_null(p);
	assert_string_equal(icalproperty_get_relatedto(p),
	                    "0123456789abcdef-reply@gravity");
	{
		struct icaltimetype t = icalcomponent_get_dtstart(ev);

		assert_non_null(t.zone);
		assert_int_equal(icaltime_as_timet_with_zone(t, t.zone), DUE);
	}
	icalcomponent_free(cal);
	free(all);
	free(head);
	free(comp);
}

static void
test_bad_zone(void **state)
{
	gr_reminder r;
	char *s = NULL;
	gr_error err;

	(void)state;
	reminder_init(&r);
	r.tzid = "Nowhere/Atlantis";
	assert_int_equal(gr_calendar_render(&r, &s, &err), GR_E_CONFIG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "Nowhere/Atlantis"));
}

/* The zone cache: the same text with or without it, one VTIMEZONE per
 * calendar, covering the due year; a second year gets its own. */
static void
test_zone_cache(void **state)
{
	gr_calcache *c = gr_calcache_new();
	gr_reminder r;
	char *plain = NULL, *cached = NULL;
	gr_error err;

	(void)state;
	assert_non_null(c);
	reminder_init(&r);
	for (int k = 0; k < 6; k++) {
		icalcomponent *cal;

		r.due = DUE + (time_t)(k % 3) * 86400 * 20 +
		        (k >= 3 ? (time_t)86400 * 365 : 0);
		assert_int_equal(gr_calendar_render(&r, &plain, &err), GR_OK);
		assert_int_equal(gr_calendar_render_with(c, &r, &cached, &err),
		                 GR_OK);
		assert_string_equal(plain, cached);
		cal = icalparser_parse_string(cached);
		assert_non_null(cal);
		assert_int_equal(icalcomponent_count_components(cal,
		                 ICAL_VTIMEZONE_COMPONENT), 1);
		assert_int_equal(icalcomponent_count_components(cal,
		                 ICAL_VEVENT_COMPONENT), 1);
		icalcomponent_free(cal);
		free(plain);
		free(cached);
	}
	r.tzid = "Nowhere/Atlantis";
	assert_int_equal(gr_calendar_render_with(c, &r, &cached, &err),
	                 GR_E_CONFIG);
	assert_non_null(strstr(err.msg, "Nowhere/Atlantis"));
	r.tzid = NULL;          /* UTC: no VTIMEZONE at all */
	assert_int_equal(gr_calendar_render_with(c, &r, &cached, &err), GR_OK);
	assert_null(strstr(cached, "BEGIN:VTIMEZONE"));
	free(cached);
	gr_calcache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_with_alarm),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_todo_and_done),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_bad_zone),
		cmocka_unit_test(test_feed_name_related),
		cmocka_unit_test(test_zone_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
