/* SPDX-License-Identifier: MIT */
/*
 * greet.h - people's names as mail shows them, and the greeting a reply
 * opens with, in the language and register of the message it answers.
 *
 * A display name is read as a person would read it: "Lee, Dana" is Dana
 * Lee; "JORDAN AMES" and "jordan ames" are Jordan Ames; "Dr. Jordan Ames"
 * has the title Dr. and is greeted "Dear Dr. Ames," or "Hi Jordan,", never
 * "Hi Dr.,"; "María Elena Gutiérrez" has the given name María Elena;
 * "Courtney at Nestsite", "Ana (via Upwork)" and credentials after a comma
 * ("Siobhán Kearney, MSN, RN") are trimmed.  Grammatical gender, which
 * formal greetings need in Spanish, Portuguese, French and German, comes
 * from a title (Sra., Herr, Mme) or a short list of common given names;
 * when it is unknown the greeting uses a form without it.
 *
 * A leaf over lang.h.
 */
#ifndef GRAVITY_GREET_H
#define GRAVITY_GREET_H

#include "gravity/lang.h"

#define GR_NAME_MAX 128

typedef enum gr_gender {
	GR_GENDER_UNKNOWN = 0,
	GR_GENDER_F,
	GR_GENDER_M,
} gr_gender;

typedef struct gr_name {
	char title[24];         /* "Dr.", "Sra.", "Herr", or "" */
	char given[GR_NAME_MAX];        /* "María Elena", or "" */
	char family[GR_NAME_MAX];       /* "Gutiérrez", or "" */
	gr_gender gender;
} gr_name;

/* Read a display name (UTF-8, may be NULL or an address).  signoff, when
 * not NULL, is the name the person signed with; it supplies the given name
 * when the display name has none ("kbrennan@..." signed "Kayla").  At most
 * 64 bytes of each part are kept; control characters are dropped. */
void gr_name_parse(const char *display, const char *signoff, gr_name *out);

/* "Jordan Ames", "María Elena Gutiérrez"; "" when nothing is known.  out
 * holds at least GR_NAME_MAX * 2 bytes. */
void gr_name_full(const gr_name *n, char *out, size_t outlen);

/* The opening line of a reply: "Hi Kayla,", "Dear Dr. Ames,", "Estimada
 * María Elena:", "Guten Tag Frau Hartmann,", "Bonjour Madame Roy,",
 * "Gentile Marco Bianchi,", "Olá, Ana,"; a greeting without a name when
 * none is known ("Hi there,", "Hola:").  GR_LANG_UNKNOWN is English. */
void gr_greeting(gr_lang l, int formal, const gr_name *n, char *out,
                 size_t outlen);

#endif
