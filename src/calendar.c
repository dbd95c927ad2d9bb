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
 *
 * TZIDs are the plain IANA names ("America/Chicago"): libical names its
 * built-in zones "/freeassociation.sourceforge.net/America/Chicago", which
 * calendars show as is, so the TZID of every VTIMEZONE and every TZID
 * parameter is rewritten to the zone's location.  The feed carries its
 * name twice, as NAME (RFC 7986) and as X-WR-CALNAME (what Apple, Google
 * and Outlook read).  RELATED-TO (RFC 5545 3.8.4.5) links a reminder to
 * the one it follows from.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The plain IANA name of a zone ("America/Chicago"), or NULL for UTC. */
static const char *
plain_tzid(icaltimezone *tz)
{
	const char *loc;

	if (!tz || tz == icaltimezone_get_utc_timezone())
		return NULL;
	loc = icaltimezone_get_location(tz);
	return loc && *loc ? loc : icaltimezone_get_tzid(tz);
}

/* Set the TZID parameter of c's property kind to tzid. */
static void
plain_param(icalcomponent *c, icalproperty_kind kind, const char *tzid)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);
	icalparameter *tp;

	if (!p || !tzid)
		return;
	tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (tp)
		icalparameter_set_tzid(tp, tzid);
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
	if (r->related_to && *r->related_to) {
		char *rel = gr_text_clean(r->related_to, GR_NL_DROP, 255);

		if (rel && *rel)
			icalcomponent_add_property(c,
			                           icalproperty_new_relatedto(rel));
		free(rel);
	}
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
	plain_param(c, ICAL_DTSTART_PROPERTY, plain_tzid(tz));
	plain_param(c, ICAL_DTEND_PROPERTY, plain_tzid(tz));
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
	plain_param(c, ICAL_DUE_PROPERTY, plain_tzid(tz));
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

/* The zones of tzids, each once, without UTC; GR_E_CONFIG for an unknown
 * one. */
static gr_status
distinct_zones(const char *const *tzids, size_t n, icaltimezone **zones,
               size_t *nz, gr_error *err)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	*nz = 0;
	for (size_t i = 0; i < n; i++) {
		icaltimezone *tz = find_zone(tzids[i]);
		size_t j;

		if (!tz)
			return gr_error_set(err, GR_E_CONFIG, "calendar: unknown "
			                    "time zone \"%s\"", tzids[i]);
		if (tz == utc)
			continue;
		for (j = 0; j < *nz && zones[j] != tz; j++)
			;
		if (j < *nz)
			continue;
		if (*nz == CAL_MAX_ZONES)
			return gr_error_set(err, GR_E_LIMIT, "calendar: more than %d "
			                    "time zones", CAL_MAX_ZONES);
		zones[(*nz)++] = tz;
	}
	return GR_OK;
}

/* One VTIMEZONE per zone, covering [lo, hi] with a margin. */
static gr_status
add_zones(icalcomponent *cal, icaltimezone *const *zones, size_t nz,
          time_t lo, time_t hi, gr_error *err)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();

	for (size_t j = 0; j < nz; j++) {
		icalcomponent *vtz = icalcomponent_new_clone(
			icaltimezone_get_component(zones[j]));

		if (!vtz)
			return gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
		icalproperty *idp;

		icaltimezone_truncate_vtimezone(vtz,
			icaltime_from_timet_with_zone(lo - 400 * 86400, 0, utc),
			icaltime_from_timet_with_zone(hi + 400 * 86400, 0, utc), 1);
		open_last_rules(vtz);
		idp = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
		if (idp && plain_tzid(zones[j]))
			icalproperty_set_tzid(idp, plain_tzid(zones[j]));
		icalcomponent_add_component(cal, vtz);
	}
	return GR_OK;
}

/* libical's text of c in *out (owned by caller), at most CAL_MAX_OUT. */
static gr_status
as_text(icalcomponent *c, char **out, gr_error *err)
{
	char *s = icalcomponent_as_ical_string_r(c);

	*out = NULL;
	if (s && strlen(s) <= CAL_MAX_OUT)
		*out = gr_strdup(s);
	icalmemory_free_buffer(s);
	if (!*out)
		return gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
	return GR_OK;
}

gr_status
gr_calendar_feed_head(const char *const *tzids, size_t n, time_t lo,
                      time_t hi, char **out, gr_error *err)
{
	return gr_calendar_feed_head_named(tzids, n, lo, hi, NULL, out, err);
}

gr_status
gr_calendar_feed_head_named(const char *const *tzids, size_t n, time_t lo,
                            time_t hi, const char *calname, char **out,
                            gr_error *err)
{
	icaltimezone *zones[CAL_MAX_ZONES];
	size_t nz, len, tl = strlen(GR_CALENDAR_FEED_TAIL);
	icalcomponent *cal;
	gr_status st;

	*out = NULL;
	if ((st = distinct_zones(tzids, n, zones, &nz, err)) != GR_OK)
		return st;
	cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT,
		icalproperty_new_version("2.0"),
		icalproperty_new_prodid(CAL_PRODID),
		icalproperty_new_calscale("GREGORIAN"),
		(void *)0);
	if (!cal)
		return gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
	if (calname && *calname) {
		char *nm = gr_text_clean(calname, GR_NL_BLANK, 200);
		icalproperty *x;

		if (nm && *nm) {
			icalcomponent_add_property(cal, icalproperty_new_name(nm));
			x = icalproperty_new_x(nm);
			icalproperty_set_x_name(x, "X-WR-CALNAME");
			icalcomponent_add_property(cal, x);
		}
		free(nm);
	}
	st = add_zones(cal, zones, nz, lo, hi, err);
	if (st == GR_OK)
		st = as_text(cal, out, err);
	icalcomponent_free(cal);
	if (st != GR_OK)
		return st;
	/* Everything but the closing line, which comes after the reminders. */
	len = strlen(*out);
	if (len < tl || strcmp(*out + len - tl, GR_CALENDAR_FEED_TAIL) != 0) {
		free(*out);
		*out = NULL;
		return gr_error_set(err, GR_E_INTERNAL, "calendar: libical did "
		                    "not end the calendar with END:VCALENDAR");
	}
	(*out)[len - tl] = '\0';
	return GR_OK;
}

gr_status
gr_calendar_render_component(const gr_reminder *r, char **out, gr_error *err)
{
	icalcomponent *c;
	gr_status st = make_component(r, &c, err);

	*out = NULL;
	if (st != GR_OK)
		return st;
	st = as_text(c, out, err);
	icalcomponent_free(c);
	return st;
}

/* --- one reminder, its zone kept ---------------------------------------- */

/*
 * A lone reminder's VTIMEZONE covers its due year and 400 days on either
 * side, so that every reminder of a year shares one: truncating a zone is
 * most of libical's work for a reminder, and the cache below does it once
 * per zone and year.  With or without the cache the output is the same.
 */
#define CACHE_SLOTS 8

struct gr_calcache {
	struct slot {
		icaltimezone *tz;
		int year;
		char *head;     /* owned: gr_calendar_feed_head() of it */
	} v[CACHE_SLOTS];
	size_t n;
};

gr_calcache *
gr_calcache_new(void)
{
	return calloc(1, sizeof(gr_calcache));
}

void
gr_calcache_free(gr_calcache *c)
{
	for (size_t i = 0; c && i < c->n; i++)
		free(c->v[i].head);
	free(c);
}

/* The calendar's head for r (owned by c when *kept, else by the caller). */
static gr_status
lone_head(gr_calcache *c, const gr_reminder *r, char **head, int *kept,
          gr_error *err)
{
	icaltimezone *tz = find_zone(r->tzid);
	struct tm tm = { 0 };
	time_t lo, hi;
	int year;
	gr_status st;

	*head = NULL;
	*kept = 0;
	if (!tz)
		return gr_error_set(err, GR_E_CONFIG, "reminder %s: unknown time "
		                    "zone \"%s\"", r->uid ? r->uid : "?", r->tzid);
	if (!gmtime_r(&r->due, &tm))
		return gr_error_set(err, GR_E_INTERNAL, "reminder %s: due time "
		                    "out of range", r->uid ? r->uid : "?");
	year = tm.tm_year + 1900;
	for (size_t i = 0; c && i < c->n; i++)
		if (c->v[i].tz == tz && c->v[i].year == year) {
			*head = c->v[i].head;
			*kept = 1;
			return GR_OK;
		}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mday = 1;
	lo = timegm(&tm);
	tm.tm_year++;
	hi = timegm(&tm) - 1;
	st = gr_calendar_feed_head(&r->tzid, 1, lo, hi, head, err);
	if (st == GR_OK && c && c->n < CACHE_SLOTS) {
		c->v[c->n].tz = tz;
		c->v[c->n].year = year;
		c->v[c->n++].head = *head;
		*kept = 1;
	}
	return st;
}

gr_status
gr_calendar_render_with(gr_calcache *c, const gr_reminder *r, char **out,
                        gr_error *err)
{
	char *head, *comp = NULL;
	int kept;
	gr_buf b;
	gr_status st = lone_head(c, r, &head, &kept, err);

	*out = NULL;
	if (st == GR_OK)
		st = gr_calendar_render_component(r, &comp, err);
	gr_buf_init(&b, CAL_MAX_OUT);
	if (st == GR_OK && (gr_buf_addstr(&b, head) != GR_OK ||
	                    gr_buf_addstr(&b, comp) != GR_OK ||
	                    gr_buf_addstr(&b, GR_CALENDAR_FEED_TAIL) != GR_OK))
		st = gr_error_set(err, GR_E_NOMEM, "calendar: out of memory");
	if (!kept)
		free(head);
	free(comp);
	if (st != GR_OK) {
		gr_buf_free(&b);
		return st;
	}
	*out = gr_buf_steal(&b);
	return GR_OK;
}

gr_status
gr_calendar_render(const gr_reminder *r, char **out, gr_error *err)
{
	return gr_calendar_render_with(NULL, r, out, err);
}
