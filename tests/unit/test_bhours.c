/* SPDX-License-Identifier: MIT */
/* test_bhours.c - business-time arithmetic: hours, days, holidays, DST. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/bhours.h"

#define LA "America/Los_Angeles"

/* Maya's week: Mon-Fri 09-18, Sat 10-14, Sunday closed. */
static void
profile_init(gr_profile *p, const char *zone)
{
	memset(p, 0, sizeof *p);
	p->timezone = (char *)zone;
	p->week[0].open = -1;
	for (int d = 1; d <= 5; d++) {
		p->week[d].open = 9 * 60;
		p->week[d].close = 18 * 60;
	}
	p->week[6].open = 10 * 60;
	p->week[6].close = 14 * 60;
}

/* "YYYYMMDDTHHMMSS" local to zone (or "...Z" for UTC) to time_t. */
static time_t
at(const char *zone, const char *s)
{
	struct icaltimetype t = icaltime_from_string(s);
	icaltimezone *tz = strchr(s, 'Z') ? icaltimezone_get_utc_timezone() :
	                   icaltimezone_get_builtin_timezone(zone);

	assert_non_null(tz);
	return icaltime_as_timet_with_zone(t, tz);
}

/* time_t to "YYYYMMDDTHHMMSS" in zone; static buffer. */
static const char *
local(const char *zone, time_t t)
{
	static char buf[32];
	struct icaltimetype lt = icaltime_from_timet_with_zone(
		t, 0, icaltimezone_get_builtin_timezone(zone));

	snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d", lt.year,
	         lt.month, lt.day, lt.hour, lt.minute, lt.second);
	return buf;
}

static void
expect_due(const gr_profile *p, const char *spec, const char *from,
           const char *want)
{
	gr_due d;
	gr_error err;
	time_t out = 0;

	assert_int_equal(gr_due_parse(spec, &d), 0);
	assert_int_equal(gr_due_compute(p, &d, at(p->timezone, from), &out,
	                                &err), GR_OK);
	assert_string_equal(local(p->timezone, out), want);
	assert_true(gr_in_business_hours(p, out));
}

static void
test_parse(void **state)
{
	gr_due d;

	(void)state;
	assert_int_equal(gr_due_parse("4bh", &d), 0);
	assert_int_equal(d.kind, GR_DUE_BUSINESS_HOURS);
	assert_int_equal(d.amount, 4);
	assert_int_equal(gr_due_parse("2bd", &d), 0);
	assert_int_equal(d.kind, GR_DUE_BUSINESS_DAYS);
	assert_int_equal(gr_due_parse("next-morning", &d), 0);
	assert_int_equal(d.kind, GR_DUE_NEXT_MORNING);
	assert_int_equal(gr_due_parse("7d", &d), 0);
	assert_int_equal(d.kind, GR_DUE_DAYS);
	assert_int_equal(d.amount, 7);
	assert_int_equal(gr_due_parse("", &d), -1);
	assert_int_equal(gr_due_parse("bh", &d), -1);
	assert_int_equal(gr_due_parse("-1d", &d), -1);
	assert_int_equal(gr_due_parse("4hours", &d), -1);
	assert_int_equal(gr_due_parse("99999999999bh", &d), -1);
	assert_int_equal(gr_due_parse("next-week", &d), -1);
}

static void
test_friday_evening(void **state)
{
	gr_profile p;

	(void)state;
	profile_init(&p, LA);
	/* 30 minutes on Friday, 3.5 h on Saturday. */
	expect_due(&p, "4bh", "20261030T173000", "20261031T133000");
	/* Saturday closed: Monday, after the DST change (PST). */
	p.week[6].open = -1;
	expect_due(&p, "4bh", "20261030T173000", "20261102T123000");
	assert_int_equal(at(LA, "20261102T123000"), at(LA, "20261102T203000Z"));
	/* 2 business days keeps the clock time. */
	expect_due(&p, "2bd", "20261102T101500", "20261104T101500");
	expect_due(&p, "1bd", "20261030T173000", "20261102T173000");
}

static void
test_dst_end(void **state)
{
	gr_profile p;

	(void)state;
	profile_init(&p, LA);
	for (int i = 0; i < 7; i++) {   /* open 09-18 every day */
		p.week[i].open = 9 * 60;
		p.week[i].close = 18 * 60;
	}
	/* 1 h on Saturday (PDT), 3 h on Sunday 1 November (PST). */
	expect_due(&p, "4bh", "20261031T170000", "20261101T120000");
	assert_int_equal(at(LA, "20261101T120000"), at(LA, "20261101T200000Z"));
	/* 7 days keeps the wall clock across the change: 7 days + 1 hour. */
	assert_int_equal(at(LA, "20261104T100000") - at(LA, "20261028T100000"),
	                 7 * 86400 + 3600);
	expect_due(&p, "7d", "20261028T100000", "20261104T100000");
	/* Spring forward 2026-03-08 (a Sunday): 1 h Sat, 3 h Sunday PDT. */
	expect_due(&p, "4bh", "20260307T170000", "20260308T120000");
	assert_int_equal(at(LA, "20260308T120000"), at(LA, "20260308T190000Z"));
}

static void
test_holiday_week(void **state)
{
	gr_profile p;

	(void)state;
	profile_init(&p, LA);
	assert_int_equal(gr_strv_push(&p.holidays, "2026-11-26"), GR_OK);
	assert_int_equal(gr_strv_push(&p.holidays, "2026-11-27"), GR_OK);
	/* 2 h Wednesday, Thursday and Friday off, 2 h Saturday. */
	expect_due(&p, "4bh", "20261125T160000", "20261128T120000");
	expect_due(&p, "next-morning", "20261125T200000", "20261128T110000");
	/* 1bd lands on Saturday 16:00, after closing: Monday's opening. */
	expect_due(&p, "1bd", "20261125T160000", "20261130T090000");
	expect_due(&p, "7d", "20261119T120000", "20261128T100000");
	assert_false(gr_in_business_hours(&p, at(LA, "20261126T120000")));
	gr_strv_free(&p.holidays);
}

static void
test_closed_days(void **state)
{
	gr_profile p;

	(void)state;
	profile_init(&p, LA);
	/* Sunday 03:00 arrival: never a 3 am or Sunday reminder. */
	expect_due(&p, "4bh", "20261108T030000", "20261109T130000");
	expect_due(&p, "next-morning", "20261108T030000", "20261109T100000");
	expect_due(&p, "next-morning", "20261109T030000", "20261109T100000");
	expect_due(&p, "next-morning", "20261109T093000", "20261110T100000");
	expect_due(&p, "7d", "20261108T030000", "20261116T090000");
	expect_due(&p, "0bh", "20261109T120000", "20261109T120000");
	/* Exactly the open time left ends at closing: the last quarter of
	 * that day, not the next morning. */
	expect_due(&p, "1bh", "20261109T170000", "20261109T174500");
	/* A Saturday morning inquiry on a 10-14 Saturday: that Saturday. */
	expect_due(&p, "4bh", "20260822T080341", "20260822T134500");
	assert_false(gr_in_business_hours(&p, at(LA, "20261108T120000")));
	assert_true(gr_in_business_hours(&p, at(LA, "20261109T090000")));
	assert_false(gr_in_business_hours(&p, at(LA, "20261109T180000")));
}

/* Due times fall on a quarter hour (up, or down at closing); holiday
 * ranges close every day they span. */
static void
test_quarter_and_ranges(void **state)
{
	gr_profile p;

	(void)state;
	profile_init(&p, LA);
	expect_due(&p, "4bh", "20261110T101207", "20261110T141500");
	expect_due(&p, "4bh", "20261110T130000", "20261110T170000");
	expect_due(&p, "4bh", "20261110T135959", "20261110T174500");
	expect_due(&p, "2bd", "20261110T101207", "20261112T101500");
	/* 17:52 + 2bd lands 17:52: rounding up would pass 18:00. */
	expect_due(&p, "2bd", "20261110T175200", "20261112T174500");
	/* A lunch break: open time skips it, a result never falls in it. */
	p.week[2].close = 12 * 60;
	p.week[2].n_more = 1;
	p.week[2].more[0].open = 13 * 60;
	p.week[2].more[0].close = 18 * 60;
	expect_due(&p, "4bh", "20261110T100000", "20261110T150000");
	expect_due(&p, "1bd", "20261109T123000", "20261110T130000");
	assert_false(gr_in_business_hours(&p, at(LA, "20261110T123000")));
	assert_true(gr_in_business_hours(&p, at(LA, "20261110T133000")));
	assert_int_equal(gr_strv_push(&p.holidays, "2026-12-24..2027-01-02"),
	                 GR_OK);
	expect_due(&p, "4bh", "20261223T160000", "20270104T110000");
	expect_due(&p, "next-morning", "20261223T200000", "20270104T100000");
	assert_false(gr_in_business_hours(&p, at(LA, "20261224T120000")));
	assert_false(gr_in_business_hours(&p, at(LA, "20270102T120000")));
	assert_true(gr_in_business_hours(&p, at(LA, "20261223T120000")));
	gr_strv_free(&p.holidays);
}

static void
test_config_errors(void **state)
{
	gr_profile p;
	gr_due d = { GR_DUE_BUSINESS_HOURS, 4 };
	gr_error err;
	time_t out;

	(void)state;
	profile_init(&p, LA);
	for (int i = 0; i < 7; i++)
		p.week[i].open = -1;
	assert_int_equal(gr_due_compute(&p, &d, 1790000000, &out, &err),
	                 GR_E_CONFIG);
	assert_non_null(strstr(err.msg, "no business hours"));
	assert_false(gr_in_business_hours(&p, 1790000000));
	profile_init(&p, "Mars/Olympus_Mons");
	assert_int_equal(gr_due_compute(&p, &d, 1790000000, &out, &err),
	                 GR_E_CONFIG);
	assert_non_null(strstr(err.msg, "Mars/Olympus_Mons"));
	/* A week whose only open day is always a holiday. */
	profile_init(&p, "UTC");
	for (int i = 0; i < 7; i++)
		p.week[i].open = i == 3 ? 0 : -1;       /* Wednesday 00:00-00:00 */
	p.week[3].close = 0;
	assert_int_equal(gr_due_compute(&p, &d, 1790000000, &out, &err),
	                 GR_E_CONFIG);
}

/* Any arrival, any rule: the result is later and inside the hours. */
static void
test_always_in_hours(void **state)
{
	static const char *specs[] = { "4bh", "2bd", "next-morning", "7d",
	                               "1bh", "1bd" };
	gr_profile p;
	time_t t0 = at(LA, "20261020T000000");

	(void)state;
	profile_init(&p, LA);
	assert_int_equal(gr_strv_push(&p.holidays, "2026-11-11"), GR_OK);
	for (time_t t = t0; t < t0 + 40 * 86400; t += 37 * 60) {
		for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
			gr_due d;
			time_t out;

			assert_int_equal(gr_due_parse(specs[i], &d), 0);
			assert_int_equal(gr_due_compute(&p, &d, t, &out, NULL), GR_OK);
			assert_true(out >= t);
			if (!gr_in_business_hours(&p, out))
				fail_msg("%s from %ld gave %s", specs[i], (long)t,
				         local(LA, out));
		}
	}
	gr_strv_free(&p.holidays);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_friday_evening),
		cmocka_unit_test(test_dst_end),
		cmocka_unit_test(test_holiday_week),
		cmocka_unit_test(test_closed_days),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_quarter_and_ranges),
		cmocka_unit_test(test_always_in_hours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
