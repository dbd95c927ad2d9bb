/* SPDX-License-Identifier: MIT */
/*
 * tone.h - the tone lint of draft templates.  The "tone" file of a rules
 * directory lists pushy phrases, one a line (a blank matches any run of
 * blanks, the word N any number, an apostrophe ' and U+2019), and
 * "allow-caps WORD..." lines; a template is flagged where it uses a listed
 * phrase, an ALL-CAPS word of three letters or more that is not allowed,
 * or "!!".  {{placeholders}} are not checked.
 */
#ifndef GRAVITY_TONE_H
#define GRAVITY_TONE_H

#include "gravity/conf.h"
#include "gravity/util.h"

/* Lint every template file in templates against the tone file tone_path
 * (NULL: no phrase list, capitals and "!!" only).  Each finding is an
 * error at the template's FILE:LINE:COL; a listed phrase names its own
 * FILE:LINE.  Unreadable templates are skipped (their loader says so). */
void gr_tone_lint(const char *tone_path, const gr_strv *templates,
                  gr_diags *d);

#endif
