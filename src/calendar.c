/* SPDX-License-Identifier: MIT */
/*
 * calendar.c - follow-up reminders as iCalendar objects.
 *
 * Implements: RFC 5545 (iCalendar: VEVENT + VALARM, VTODO, VTIMEZONE),
 * RFC 2392 (mid: URLs), RFC 3986 (percent-encoding).  All text is written
 * and escaped by libical; control characters and invalid UTF-8 are removed
 * from every value before libical sees it, so no value can start a new
 * property or line.  DTSTART/DUE are set with icalcomponent_set_dtstart /
 * set_due so the TZID parameter is kept, and each zone used gets one
 * VTIMEZONE truncated to the reminders' time span.
 */
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/buf.h"
#include "gravity/calendar.h"
#include "gravity/util.h"

#define CAL_PRODID      "-//gravity//gravity follow-up reminders//EN"
#define CAL_MAX_TEXT    (16u << 10)
#define CAL_MAX_OUT     (64u << 20)
#define CAL_MAX_ZONES   16

/* RFC 3986 percent-encoding of everything but unreserved and "@". */
static gr_status
pct_encode(gr_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	gr_status st = GR_OK;

	for (; *s && st == GR_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c))
			st = gr_buf_addc(b, (char)c);
		else
			st = gr_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	return st;
}

/* t as wall-clock time in tz.  libical 3.0's icaltime_from_timet_with_zone
 * converts the clock but leaves the zone marked UTC: set it ourselves. */
static struct icaltimetype
zoned_time(time_t t, icaltimezone *tz)
{
	struct icaltimetype tt = icaltime_from_timet_with_zone(t, 0, tz);

	tt.zone = tz;
	return tt;
}

static icaltimezone *
find_zone(const char *tzid)
{
	if (!tzid || !*tzid || strcmp(tzid, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(tzid);
}

/* DESCRIPTION: the caller's text, then the message links. */
static char *
make_description(const gr_reminder *r, const char *mid)
{
	gr_buf b;
	char *d = gr_text_clean(r->description, GR_NL_KEEP, CAL_MAX_TEXT);
	gr_status st;
	size_t n;

	if (!d)
		return NULL;
	n = strlen(d);
	while (n && d[n - 1] == '\n')
		d[--n] = '\0';
	if (!mid || !*mid)
		return d;
	gr_buf_init(&b, CAL_MAX_TEXT * 2);
	st = gr_buf_printf(&b, "%s%sMessage-ID: <%s>\nOpen in Mail: "
	                   "message://%%3c", d, *d ? "\n\n" : "", mid);
	if (st == GR_OK)
		st = pct_encode(&b, mid);
	if (st == GR_OK)
		st = gr_buf_addstr(&b, "%3e");
	free(d);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return NULL;
	}
	return gr_buf_steal(&b);
}

static char *
make_mid_url(const char *mid)
{
	gr_buf b;

	gr_buf_init(&b, CAL_MAX_TEXT);
	if (gr_buf_addstr(&b, "mid:") != GR_OK || pct_encode(&b, mid) != GR_OK) {
		gr_buf_free(&b);
		return NULL;
	}
	return gr_buf_steal(&b);
}

static icalcomponent *
make_alarm(const gr_reminder *r, const char *summary)
{
	int before = r->alarm_min > 0 ? r->alarm_min : 0;

	return icalcomponent_vanew(ICAL_VALARM_COMPONENT,
		icalproperty_new_action(ICAL_ACTION_DISPLAY),
		icalproperty_new_trigger(icaltriggertype_from_int(-before * 60)),
		icalproperty_new_description(*summary ? summary : "Reminder"),
		(void *)0);
}

/* Properties both kinds share. */
static void
add_common(icalcomponent *c, const gr_reminder *r, const char *uid,
           const char *summary, const char *desc, const char *url)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	icalcomponent_add_property(c, icalproperty_new_uid(uid));
	icalcomponent_add_property(c, icalproperty_new_dtstamp(
		icaltime_from_timet_with_zone(r->dtstamp, 0, utc)));
	icalcomponent_add_property(c, icalproperty_new_sequence(
		r->sequence > 0 ? r->sequence : 0));
	icalcomponent_add_property(c, icalproperty_new_summary(summary));
	if (desc && *desc)
		icalcomponent_add_property(c, icalproperty_new_description(desc));
	if (url)
		icalcomponent_add_property(c, icalproperty_new_url(url));
}

static icalcomponent *
make_event(const gr_reminder *r, icaltimezone *tz, const char *summary)
{
	icalcomponent *c = icalcomponent_new_vevent();
	struct icaltimetype t = zoned_time(r->due, tz);
	int dur = r->duration_min > 0 ? r->duration_min : 15;

	icalcomponent_set_dtstart(c, t);
	icaltime_adjust(&t, 0, 0, dur, 0);
	icalcomponent_set_dtend(c, t);
	icalcomponent_add_property(c, icalproperty_new_transp(
		ICAL_TRANSP_TRANSPARENT));
	icalcomponent_add_property(c, icalproperty_new_status(
		r->status == GR_REM_DONE ? ICAL_STATUS_CANCELLED :
		ICAL_STATUS_CONFIRMED));
	if (r->status != GR_REM_DONE)
		icalcomponent_add_component(c, make_alarm(r, summary));
	return c;
}

static icalcomponent *
make_todo(const gr_reminder *r, icaltimezone *tz)
{
	icalcomponent *c = icalcomponent_new_vtodo();
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	icalcomponent_set_due(c, zoned_time(r->due, tz));
	if (r->status == GR_REM_DONE) {
		icalcomponent_add_property(c, icalproperty_new_status(
			ICAL_STATUS_COMPLETED));
		icalcomponent_add_property(c, icalproperty_new_completed(
			icaltime_from_timet_with_zone(r->dtstamp, 0, utc)));
	} else {
		icalcomponent_add_property(c, icalproperty_new_status(
			ICAL_STATUS_NEEDSACTION));
	}
	return c;
}

static gr_status
make_component(const gr_reminder *r, icalcomponent **out, gr_error *err)
{
	icaltimezone *tz = find_zone(r->tzid);
	char *uid = NULL, *summary = NULL, *desc = NULL, *url = NULL;
	const char *mid = r->message_id;
	gr_status st = GR_OK;

	*out = NULL;
	if (!tz)
		return gr_error_set(err, GR_E_CONFIG, "reminder %s: unknown time "
		                    "zone \"%s\"", r->uid ? r->uid : "?", r->tzid);
	uid = gr_text_clean(r->uid, GR_NL_BLANK, 255);
	summary = gr_text_clean(r->summary, GR_NL_BLANK, 1024);
	desc = make_description(r, mid);
	if (mid && *mid)
		url = make_mid_url(mid);
	if (!uid || !summary || !desc || (mid && *mid && !url)) {
		st = gr_error_set(err, GR_E_NOMEM, "reminder: out of memory");
		goto out;
	}
	if (!*uid) {
		st = gr_error_set(err, GR_E_INTERNAL, "reminder without a UID");
		goto out;
	}
	*out = r->as_todo ? make_todo(r, tz) : make_event(r, tz, summary);
	add_common(*out, r, uid, summary, desc, url);
out:
	free(uid);
	free(summary);
	free(desc);
	free(url);
	return st;
}

/* After truncation, the rules still in force at the end of the span carry
 * an UNTIL that only marks where the truncation stopped.  Drop it (the rule
 * goes on, as the zone's does) when no observance starts after it: readers
 * such as Python's icalendar 4.0 (collective/icalendar#708) cannot expand a
 * VTIMEZONE rule whose UNTIL is in UTC, although RFC 5545 3.8.3 wants it so. */
static void
open_last_rules(icalcomponent *vtz)
{
	icalcomponent *obs[64], *o;
	size_t n = 0;

	/* Collect first: libical has one child iterator per component. */
	for (o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	     o && n < 64;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT))
		obs[n++] = o;
	for (size_t i = 0; i < n; i++) {
		icalproperty *rp = icalcomponent_get_first_property(obs[i],
			ICAL_RRULE_PROPERTY);
		struct icalrecurrencetype rr;
		int later = 0;

		if (!rp)
			continue;
		rr = icalproperty_get_rrule(rp);
		if (icaltime_is_null_time(rr.until))
			continue;
		for (size_t j = 0; j < n && !later; j++) {
			icalproperty *dp = icalcomponent_get_first_property(obs[j],
				ICAL_DTSTART_PROPERTY);

			later = j != i && dp && icaltime_compare_date_only(
				icalproperty_get_dtstart(dp), rr.until) > 0;
		}
		if (later)
			continue;
		rr.until = icaltime_null_time();
		icalproperty_set_rrule(rp, rr);
	}
}

/* One VTIMEZONE per distinct zone, covering the reminders' span. */
static gr_status
add_zones(icalcomponent *cal, const gr_reminder *const *v, size_t n,
          gr_error *err)
{
	icaltimezone *zones[CAL_MAX_ZONES];
	size_t nz = 0;
	time_t lo = 0, hi = 0;
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	for (size_t i = 0; i < n; i++) {
		icaltimezone *tz = find_zone(v[i]->tzid);
		size_t j;

		if (i == 0 || v[i]->due < lo)
			lo = v[i]->due;
		if (i == 0 || v[i]->due > hi)
			hi = v[i]->due;
		if (!tz || tz == utc)
			continue;
		for (j = 0; j < nz && zones[j] != tz; j++)
			;
		if (j < nz)
			continue;
		if (nz == CAL_MAX_ZONES)
			return gr_error_set(err, GR_E_LIMIT, "calendar: more than %d "
			                    "time zones", CAL_MAX_ZONES);
		zones[nz++] = tz;
	}
	for (size_t j = 0; j < nz; j++) {
		icalcomponent *vtz = icalcomponent_new_clone(
			icaltimezone_get_component(zones[j]));

		if (!vtz)
			return gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
		icaltimezone_truncate_vtimezone(vtz,
			icaltime_from_timet_with_zone(lo - 400 * 86400, 0, utc),
			icaltime_from_timet_with_zone(hi + 400 * 86400, 0, utc), 1);
		open_last_rules(vtz);
		icalcomponent_add_component(cal, vtz);
	}
	return GR_OK;
}

gr_status
gr_calendar_render_feed(const gr_reminder *const *v, size_t n, char **out,
                        gr_error *err)
{
	icalcomponent *cal;
	char *s;
	gr_status st;

	*out = NULL;
	cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT,
		icalproperty_new_version("2.0"),
		icalproperty_new_prodid(CAL_PRODID),
		icalproperty_new_calscale("GREGORIAN"),
		(void *)0);
	if (!cal)
		return gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
	st = add_zones(cal, v, n, err);
	for (size_t i = 0; i < n && st == GR_OK; i++) {
		icalcomponent *c;

		st = make_component(v[i], &c, err);
		if (st == GR_OK)
			icalcomponent_add_component(cal, c);
	}
	if (st == GR_OK) {
		s = icalcomponent_as_ical_string_r(cal);
		if (s && strlen(s) <= CAL_MAX_OUT)
			*out = gr_strdup(s);
		icalmemory_free_buffer(s);
		if (!*out)
			st = gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
	}
	icalcomponent_free(cal);
	return st;
}

gr_status
gr_calendar_render(const gr_reminder *r, char **out, gr_error *err)
{
	const gr_reminder *one[1] = { r };

	return gr_calendar_render_feed(one, 1, out, err);
}
