/* SPDX-License-Identifier: MIT */
/*
 * bhours.h - business-time arithmetic in the owner's time zone: "within 4
 * business hours", "next business morning", "7 days later, inside business
 * hours".  Never yields a time outside the owner's hours or on a holiday.
 */
#ifndef GRAVITY_BHOURS_H
#define GRAVITY_BHOURS_H

#include <time.h>
#include "gravity/status.h"
#include "gravity/owner.h"

typedef enum gr_due_kind {
	GR_DUE_BUSINESS_HOURS,  /* "4bh": N business hours after arrival */
	GR_DUE_BUSINESS_DAYS,   /* "2bd": N business days, same time of day */
	GR_DUE_NEXT_MORNING,    /* "next-morning": next business day opening + 1h */
	GR_DUE_DAYS,            /* "7d": N calendar days, then into business hours */
} gr_due_kind;

typedef struct gr_due {
	gr_due_kind kind;
	int amount;
} gr_due;

/* Parse "4bh", "2bd", "next-morning", "7d".  0 on success, -1 if invalid. */
int gr_due_parse(const char *s, gr_due *out);

/* When something that arrived at from is due, for the profile's zone, hours
 * and holidays.  GR_E_CONFIG if the zone is unknown or no day is open. */
gr_status gr_due_compute(const gr_profile *p, const gr_due *due, time_t from,
                         time_t *out, gr_error *err);

/* 1 if t falls inside the profile's business hours. */
int gr_in_business_hours(const gr_profile *p, time_t t);

#endif
