/* SPDX-License-Identifier: MIT */
/*
 * calendar.h - follow-up reminders as iCalendar (RFC 5545) made with
 * libical: a VEVENT with a VALARM (default) or a VTODO with DUE, in the
 * owner's time zone with its VTIMEZONE.  TZIDs are plain IANA names
 * ("America/Chicago").
 */
#ifndef GRAVITY_CALENDAR_H
#define GRAVITY_CALENDAR_H

#include <stddef.h>
#include <time.h>
#include "gravity/status.h"

typedef enum gr_rem_status {
	GR_REM_PENDING = 0,
	GR_REM_DONE,            /* COMPLETED (todo) or CANCELLED (event) */
} gr_rem_status;

/* Strings are owned by the caller. */
typedef struct gr_reminder {
	const char *uid;        /* stable per message and action */
	int sequence;           /* 0 first, raised on every change */
	gr_rem_status status;
	int as_todo;            /* 1: VTODO with DUE; 0: VEVENT + VALARM */
	time_t due;             /* instant the reminder is for */
	int duration_min;       /* event length (default 15) */
	int alarm_min;          /* alarm this many minutes before (default 0) */
	const char *tzid;       /* IANA zone of the owner */
	const char *summary;
	const char *description;
	const char *message_id; /* without <>; used for URL:mid: links */
	const char *related_to; /* UID of the reminder this one follows
	                         * from (RELATED-TO), or NULL */
	time_t dtstamp;         /* when this version was made */
} gr_reminder;

/* One VCALENDAR holding r; its VTIMEZONE covers r's due year and 400 days
 * on either side.  *out (NUL-terminated) owned by caller. */
gr_status gr_calendar_render(const gr_reminder *r, char **out, gr_error *err);

/* The same, with the truncated VTIMEZONEs kept in c from one reminder to
 * the next (c may be NULL; the output is the same).  One cache per poll,
 * owned by whoever made it. */
typedef struct gr_calcache gr_calcache;
gr_calcache *gr_calcache_new(void);     /* NULL when out of memory */
void gr_calcache_free(gr_calcache *c);
gr_status gr_calendar_render_with(gr_calcache *c, const gr_reminder *r,
                                  char **out, gr_error *err);


/* The feed in pieces, so that it never has to be whole in memory: the
 * head (VCALENDAR properties and one VTIMEZONE per zone of tzids, NULL or
 * "UTC" needing none, truncated to cover [lo, hi]), then one component
 * per reminder, then GR_CALENDAR_FEED_TAIL.  *out owned by caller. */
#define GR_CALENDAR_FEED_TAIL "END:VCALENDAR\r\n"
gr_status gr_calendar_feed_head(const char *const *tzids, size_t n, time_t lo,
                                time_t hi, char **out, gr_error *err);
/* The same head with the calendar's name (RFC 7986 NAME and
 * X-WR-CALNAME), e.g. "gravity: Maya Torres"; NULL for none. */
gr_status gr_calendar_feed_head_named(const char *const *tzids, size_t n,
                                      time_t lo, time_t hi,
                                      const char *calname, char **out,
                                      gr_error *err);
gr_status gr_calendar_render_component(const gr_reminder *r, char **out,
                                       gr_error *err);

#endif
