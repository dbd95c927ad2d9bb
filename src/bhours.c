/* SPDX-License-Identifier: MIT */
/*
 * bhours.c - business-time arithmetic in the owner's zone.  Local times are
 * converted with libical's zone tables (from tzdata), never through the TZ
 * environment variable, so nothing global is touched.
 *
 * Definitions (documented in gravity-rules(5)):
 *   Nbh           N hours of open time after arrival, counting only the
 *                 owner's hours; a result that would fall exactly on a
 *                 closing time is the last quarter hour before it, so a
 *                 short day (Saturday 10-14) keeps what arrived that
 *                 morning.
 *   Nbd           arrival moved to the next open time, then N open days
 *                 later at the same clock time; clamped to that day's
 *                 opening, or to the next opening if it is after closing.
 *   next-morning  the first opening strictly after arrival, plus one hour
 *                 (the opening itself when that day is open under an hour).
 *   Nd            N calendar days later at the same clock time, moved to
 *                 the next open time when outside the hours.
 * A day is open when its hours are set (open >= 0, close > open) and its
 * date is not one of the profile's holidays ("YYYY-MM-DD", or a range
 * "YYYY-MM-DD..YYYY-MM-DD", both ends included).  Every result is rounded
 * up to the quarter hour (down when that would leave the open time).
 * Results are always inside the hours; "no open time in ten years" is
 * GR_E_CONFIG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/bhours.h"
#include "gravity/util.h"

#define BH_MAX_DAYS     3700    /* how far to look for an open day */
#define BH_MAX_AMOUNT   10000

typedef struct bh_ctx {
	const gr_profile *p;
	icaltimezone *tz;
} bh_ctx;

int
gr_due_parse(const char *s, gr_due *out)
{
	long n = 0;
	const char *p = s;

	if (!s || !out)
		return -1;
	if (strcmp(s, "next-morning") == 0) {
		out->kind = GR_DUE_NEXT_MORNING;
		out->amount = 1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > BH_MAX_AMOUNT)
			return -1;
	}
	if (strcmp(p, "bh") == 0)
		out->kind = GR_DUE_BUSINESS_HOURS;
	else if (strcmp(p, "bd") == 0)
		out->kind = GR_DUE_BUSINESS_DAYS;
	else if (strcmp(p, "d") == 0)
		out->kind = GR_DUE_DAYS;
	else
		return -1;
	out->amount = (int)n;
	return 0;
}

static gr_status
bh_open(const gr_profile *p, bh_ctx *c, gr_error *err)
{
	int open_days = 0;
	const char *zone = p->timezone && *p->timezone ? p->timezone : "UTC";

	c->p = p;
	if (strcmp(zone, "UTC") == 0)
		c->tz = icaltimezone_get_utc_timezone();
	else
		c->tz = icaltimezone_get_builtin_timezone(zone);
	if (!c->tz)
		return gr_error_set(err, GR_E_CONFIG, "profile: unknown time zone "
		                    "\"%s\"", zone);
	for (int i = 0; i < 7; i++)
		open_days += p->week[i].open >= 0 &&
		             p->week[i].close > p->week[i].open;
	if (!open_days)
		return gr_error_set(err, GR_E_CONFIG, "profile: no business hours "
		                    "on any day of the week");
	return GR_OK;
}

/* The local calendar day holding t, as a floating midnight. */
static struct icaltimetype
local_day(const bh_ctx *c, time_t t)
{
	struct icaltimetype d = icaltime_from_timet_with_zone(t, 0, c->tz);

	d.hour = d.minute = d.second = 0;
	d.zone = NULL;
	return d;
}

static time_t
local_to_t(const bh_ctx *c, struct icaltimetype day, int minutes)
{
	day.hour = 0;
	day.minute = 0;
	day.second = 0;
	icaltime_adjust(&day, 0, 0, minutes, 0);
	day.zone = c->tz;
	return icaltime_as_timet_with_zone(day, c->tz);
}

static int
is_holiday(const bh_ctx *c, struct icaltimetype day)
{
	char ymd[16];

	snprintf(ymd, sizeof ymd, "%04d-%02d-%02d", day.year, day.month, day.day);
	for (size_t i = 0; i < c->p->holidays.n; i++) {
		const char *h = c->p->holidays.v[i];

		/* ISO dates compare as strings. */
		if (strlen(h) == 22 && strncmp(h + 10, "..", 2) == 0) {
			if (strncmp(ymd, h, 10) >= 0 && strncmp(ymd, h + 12, 10) <= 0)
				return 1;
		} else if (strcmp(h, ymd) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The open intervals of day in time order: their number (0 when the day
 * is closed or a holiday). */
static int
day_ranges(const bh_ctx *c, struct icaltimetype day, time_t *open,
           time_t *close)
{
	int dow = icaltime_day_of_week(day) - 1;        /* 0 = Sunday */
	const gr_hours *h;
	int n = 0;

	if (dow < 0 || dow > 6)
		return 0;
	h = &c->p->week[dow];
	if (h->open < 0 || h->close <= h->open || is_holiday(c, day))
		return 0;
	for (int k = 0; k <= h->n_more && k < GR_HOURS_MAX; k++) {
		int o = k ? h->more[k - 1].open : h->open;
		int e = k ? h->more[k - 1].close : h->close;

		if (o < 0 || e <= o)
			continue;
		open[n] = local_to_t(c, day, o);
		close[n] = local_to_t(c, day, e);
		if (close[n] > open[n])
			n++;
	}
	return n;
}

/* The first open interval of day: 0, or -1 when the day is closed. */
static int
day_hours(const bh_ctx *c, struct icaltimetype day, time_t *open,
          time_t *close)
{
	time_t o[GR_HOURS_MAX], e[GR_HOURS_MAX];
	int n = day_ranges(c, day, o, e);

	if (!n)
		return -1;
	*open = o[0];
	*close = e[n - 1];
	return 0;
}

static struct icaltimetype
next_day(struct icaltimetype d)
{
	icaltime_adjust(&d, 1, 0, 0, 0);
	return d;
}

static gr_status
no_hours(gr_error *err)
{
	return gr_error_set(err, GR_E_CONFIG, "profile: no open business hour "
	                    "in the next %d days (every day closed or a "
	                    "holiday?)", BH_MAX_DAYS);
}

/* First instant at or after t inside the hours, after skipping secs of
 * open time. */
static gr_status
add_open_time(const bh_ctx *c, time_t t, long secs, time_t *out,
              gr_error *err)
{
	struct icaltimetype day = local_day(c, t);

	for (int i = 0; i < BH_MAX_DAYS; i++, day = next_day(day)) {
		time_t open[GR_HOURS_MAX], close[GR_HOURS_MAX], s;
		int n = day_ranges(c, day, open, close);

		for (int k = 0; k < n; k++) {
			s = t > open[k] ? t : open[k];
			if (s >= close[k])
				continue;
			if (secs < close[k] - s) {
				*out = s + secs;
				return GR_OK;
			}
			if (secs > 0 && secs == close[k] - s) {
				/* Ends at closing: the last quarter before it. */
				*out = close[k] - 900 > s ? close[k] - 900 : s;
				return GR_OK;
			}
			secs -= (long)(close[k] - s);
		}
	}
	return no_hours(err);
}

static gr_status
due_business_days(const bh_ctx *c, int n, time_t from, time_t *out,
                  gr_error *err)
{
	struct icaltimetype day, lt;
	time_t start, open = 0, close = 0, t;
	gr_status st;
	int tod;

	st = add_open_time(c, from, 0, &start, err);
	if (st != GR_OK)
		return st;
	lt = icaltime_from_timet_with_zone(start, 0, c->tz);
	tod = lt.hour * 60 + lt.minute;
	day = local_day(c, start);
	for (int i = 0; n > 0 && i < BH_MAX_DAYS; i++) {
		day = next_day(day);
		if (day_hours(c, day, &open, &close) == 0)
			n--;
	}
	if (n > 0 || day_hours(c, day, &open, &close) < 0)
		return no_hours(err);
	t = local_to_t(c, day, tod);
	if (t < open)
		t = open;
	if (t >= close)
		return add_open_time(c, close, 0, out, err);
	/* In a break between ranges: the next opening. */
	return add_open_time(c, t, 0, out, err);
}

static gr_status
due_next_morning(const bh_ctx *c, time_t from, time_t *out, gr_error *err)
{
	struct icaltimetype day = local_day(c, from);

	for (int i = 0; i < BH_MAX_DAYS; i++, day = next_day(day)) {
		time_t open, close;

		if (day_hours(c, day, &open, &close) < 0 || open <= from)
			continue;
		*out = open + 3600 < close ? open + 3600 : open;
		return GR_OK;
	}
	return no_hours(err);
}

static gr_status
due_days(const bh_ctx *c, int n, time_t from, time_t *out, gr_error *err)
{
	struct icaltimetype lt = icaltime_from_timet_with_zone(from, 0, c->tz);

	icaltime_adjust(&lt, n, 0, 0, 0);
	lt.zone = c->tz;
	return add_open_time(c, icaltime_as_timet_with_zone(lt, c->tz), 0, out,
	                     err);
}

/* The open interval holding t, or -1. */
static int
open_at(const bh_ctx *c, time_t t, time_t *open, time_t *close)
{
	time_t o[GR_HOURS_MAX], e[GR_HOURS_MAX];
	int n = day_ranges(c, local_day(c, t), o, e);

	for (int k = 0; k < n; k++)
		if (t >= o[k] && t < e[k]) {
			*open = o[k];
			*close = e[k];
			return 0;
		}
	return -1;
}

/* t (inside the hours) on a quarter hour of local time: up when that
 * stays inside the same open interval, else down, else t. */
static time_t
quarter(const bh_ctx *c, time_t t)
{
	struct icaltimetype lt = icaltime_from_timet_with_zone(t, 0, c->tz);
	long into = (lt.minute % 15) * 60 + lt.second;
	time_t open, close, up, down;

	if (into == 0 || open_at(c, t, &open, &close) < 0)
		return t;
	up = t + (900 - into);
	down = t - into;
	if (up < close)
		return up;
	return down >= open ? down : t;
}

gr_status
gr_due_compute(const gr_profile *p, const gr_due *due, time_t from,
               time_t *out, gr_error *err)
{
	bh_ctx c;
	gr_status st;

	st = bh_open(p, &c, err);
	if (st != GR_OK)
		return st;
	if (due->amount < 0 || due->amount > BH_MAX_AMOUNT)
		return gr_error_set(err, GR_E_CONFIG, "due: amount %d out of range",
		                    due->amount);
	switch (due->kind) {
	case GR_DUE_BUSINESS_HOURS:
		st = add_open_time(&c, from, (long)due->amount * 3600, out, err);
		break;
	case GR_DUE_BUSINESS_DAYS:
		st = due_business_days(&c, due->amount, from, out, err);
		break;
	case GR_DUE_NEXT_MORNING:
		st = due_next_morning(&c, from, out, err);
		break;
	case GR_DUE_DAYS:
		st = due_days(&c, due->amount, from, out, err);
		break;
	default:
		return gr_error_set(err, GR_E_INTERNAL, "due: unknown kind %d",
		                    (int)due->kind);
	}
	if (st == GR_OK)
		*out = quarter(&c, *out);
	return st;
}

int
gr_in_business_hours(const gr_profile *p, time_t t)
{
	bh_ctx c;
	time_t open, close;

	if (bh_open(p, &c, NULL) != GR_OK)
		return 0;
	return open_at(&c, t, &open, &close) == 0;
}
