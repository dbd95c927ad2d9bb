/* SPDX-License-Identifier: MIT */
/*
 * greet.c - names from display names, and greetings by language and
 * register.  See greet.h.
 */
#include <stdio.h>
#include <string.h>

#include "gravity/greet.h"

#define NAME_PART_MAX   64
#define NAME_MAX_TOKENS 8

/* Titles before a name, with the gender they give (0 none, 1 F, 2 M). */
static const struct {
	const char *t;
	int g;
} titles[] = {
	{ "dr", 0 }, { "dr.", 0 }, { "dra", 1 }, { "dra.", 1 }, { "prof", 0 },
	{ "prof.", 0 }, { "mr", 2 }, { "mr.", 2 }, { "mrs", 1 }, { "mrs.", 1 },
	{ "ms", 1 }, { "ms.", 1 }, { "miss", 1 }, { "mx.", 0 }, { "sr", 2 },
	{ "sr.", 2 }, { "sra", 1 }, { "sra.", 1 }, { "srta", 1 },
	{ "srta.", 1 }, { "herr", 2 }, { "frau", 1 }, { "m.", 2 }, { "mme", 1 },
	{ "mme.", 1 }, { "mlle", 1 }, { "monsieur", 2 }, { "madame", 1 },
	{ "sig.", 2 }, { "sig.ra", 1 }, { "dott.", 2 }, { "dott.ssa", 1 },
	{ "don", 2 }, { "do\xc3\xb1" "a", 1 }, { "med.", 0 }, { "ing.", 0 },
	{ "eng.", 0 }, { "avv.", 0 },
};

/* Common given names whose gender is not in doubt. */
static const char female[] =
	" ada adjoa alicia ama amanda ana andrea angela ann anna anne anya ashley "
	"beatriz birgit bri camille carla carmen carolina catarina charlotte "
	"chidinma christine claire clara claudia cl\xc3\xa1udia c\xc3\xa1tia "
	"daniela deborah deepa efua elena elisa elizabeth elodie \xc3\xa9lodie "
	"emily emma esther eva fatima francesca friederike gabriela giulia "
	"giuseppina gloria grace hannah helena henrike ines in\xc3\xaas isabel "
	"jana jennifer jessica joana josefa jos\xc3\xa9" "e julia juliana julie "
	"karin katja kate katrin kayla laura lauren larissa leah lena leonie "
	"linda lucia luc\xc3\xad" "a lucy maren margarita maria mar\xc3\xad" "a "
	"mariana marie marisol marta megan meghan mei mira monika nadia natalia "
	"nina noor olivia patricia petra priya rachel rebecca rosa sandra "
	"sara sarah simone siobh\xc3\xa1n sofia sof\xc3\xad" "a sophie stefanie "
	"stephanie susanne tess ulrike valentina yaa zainab ";

static const char male[] =
	" adam ahmed alberto alejandro alessandro \xc3\xa1lvaro andreas "
	"antonio arjun ben benjamin bj\xc3\xb6rn brent brian bruno callum carlos "
	"chris christian daniel david dennis derek diego eduardo emre erik "
	"ethan felix fernando francesco frank gary giovanni giuseppe greg "
	"gregory hans h\xc3\xa9lder hugo ivan jake james javier jean jens joao "
	"jo\xc3\xa3o john jonas jorge jos\xc3\xa9 jose juan kemal kofi kwabena "
	"kyle lucas luca luis lu\xc3\xads malik manuel marco marcus mario mark "
	"martin mathieu matt matteo michael miguel nate nuno oliver olivier "
	"omar pablo paolo paul paulo pedro peter rafael rahul ravi robert ron "
	"rui ryan sebastian sergio stefan sven thomas tiago tim tobias tom "
	"tyler vasco walter yaw ";

/* First names that take a second given name after them ("María Elena",
 * "Jean Paul"), when the second is itself a known given name. */
static const char compound_first[] =
	" mar\xc3\xad" "a maria jos\xc3\xa9 jose juan ana anna jean marie anne "
	"mary luis lu\xc3\xads jo\xc3\xa3o joao pier gian rosa ";

/* Lowercase particles of family names. */
static const char particles[] =
	" de da do das dos del della di van von der den la le du y e ";

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 if the folded word w is in the space-framed list. */
static int
listed(const char *list, const char *w)
{
	char key[NAME_PART_MAX + 3];
	size_t n = strlen(w);

	if (!n || n > NAME_PART_MAX)
		return 0;
	key[0] = ' ';
	memcpy(key + 1, w, n);
	key[n + 1] = ' ';
	key[n + 2] = '\0';
	return strstr(list, key) != NULL;
}

static void
fold(const char *s, char *out, size_t outlen)
{
	gr_lang_fold(s, strlen(s), out, outlen);
}

/* Copy s into out with control characters and the ASCII specials that
 * never belong to a name ("<>\"[]{}") blanked. */
static void
clean_copy(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; s && *s && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || strchr("<>\"[]{}", c))
			out[o++] = ' ';
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Cut s at the first occurrence of any of the separators. */
static void
cut_at(char *s, const char *const *seps)
{
	for (size_t i = 0; seps[i]; i++) {
		char *p = strstr(s, seps[i]);

		if (p)
			*p = '\0';
	}
}

static int
upper_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
lower_ascii(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

/* Case of a word: 1 all upper, 2 all lower, 0 mixed (as written). */
static int
word_case(const char *w)
{
	int up = 0, lo = 0;

	for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
		if (upper_ascii(*p) || (p[0] == 0xC3 && p[1] >= 0x80 &&
		                        p[1] <= 0x9E && p[1] != 0x97))
			up++;
		else if (lower_ascii(*p) || (p[0] == 0xC3 && p[1] >= 0xA0 &&
		                             p[1] <= 0xBF && p[1] != 0xB7))
			lo++;
		if (p[0] == 0xC3 && p[1])
			p++;
	}
	return up && !lo ? 1 : lo && !up ? 2 : 0;
}

/* Upper-case the letter at p (ASCII or Latin-1 in UTF-8). */
static void
up_at(unsigned char *p)
{
	if (lower_ascii(*p))
		*p = (unsigned char)(*p - 32);
	else if (p[0] == 0xC3 && p[1] >= 0xA0 && p[1] <= 0xBE && p[1] != 0xB7)
		p[1] = (unsigned char)(p[1] - 0x20);
}

/* "JORDAN" / "jordan" to "Jordan"; "o'brien" to "O'Brien"; "jean-pierre"
 * to "Jean-Pierre".  Mixed case ("McDonald") is kept. */
static void
capitalise(char *w, int first)
{
	char f[NAME_PART_MAX * 2];
	int start = 1;

	if (word_case(w) == 0)
		return;
	fold(w, f, sizeof f);
	if (!first && listed(particles, f)) {
		strcpy(w, f);
		return;
	}
	strcpy(w, f);
	for (unsigned char *p = (unsigned char *)w; *p; p++) {
		if (start)
			up_at(p);
		start = *p == '-' || *p == '\'';
		if (p[0] == 0xC3 && p[1])
			p++;
	}
}

static int
title_gender(const char *w, int *g)
{
	char f[NAME_PART_MAX * 2];

	fold(w, f, sizeof f);
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (strcmp(f, titles[i].t) == 0) {
			*g = titles[i].g;
			return 1;
		}
	return 0;
}

static gr_gender
name_gender(const char *given)
{
	char first[NAME_PART_MAX + 1], f[NAME_PART_MAX * 2];
	size_t n = strcspn(given, " -");

	if (n > NAME_PART_MAX)
		return GR_GENDER_UNKNOWN;
	memcpy(first, given, n);
	first[n] = '\0';
	fold(first, f, sizeof f);
	if (listed(female, f))
		return GR_GENDER_F;
	if (listed(male, f))
		return GR_GENDER_M;
	return GR_GENDER_UNKNOWN;
}

/* 1 if the string holds a letter outside Latin scripts (CJK, Cyrillic...):
 * such names are kept whole. */
static int
non_latin(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xD0)
			return 1;
	return 0;
}

static void
put(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.*s", NAME_PART_MAX, src);
}

void
gr_name_parse(const char *display, const char *signoff, gr_name *out)
{
	static const char *const seps[] = {
		" via ", " at ", " | ", " \xe2\x80\x93 ", " \xe2\x80\x94 ", " - ",
		" (", NULL
	};
	char buf[512], *tok[NAME_MAX_TOKENS], *comma, *p;
	size_t nt = 0, i = 0;
	int g = 0;

	memset(out, 0, sizeof *out);
	clean_copy(display, buf, sizeof buf);
	if (strchr(buf, '@') || !*buf) {
		buf[0] = '\0';
	}
	cut_at(buf, seps);
	/* "Lee, Dana" is Dana Lee; "Ames, MD" and "Kearney, MSN, RN" carry
	 * credentials. */
	if ((comma = strchr(buf, ',')) != NULL) {
		char *rest = comma + 1;
		int creds = 1;

		while (is_space(*rest))
			rest++;
		for (char *q = rest; *q; q++)
			if (lower_ascii((unsigned char)*q))
				creds = 0;
		*comma = '\0';
		if (!creds && !strchr(rest, ',') && *rest) {
			char tmp[512];

			snprintf(tmp, sizeof tmp, "%s %s", rest, buf);
			snprintf(buf, sizeof buf, "%s", tmp);
		}
	}
	for (p = strtok(buf, " \t"); p && nt < NAME_MAX_TOKENS;
	     p = strtok(NULL, " \t"))
		tok[nt++] = p;
	if (nt && non_latin(tok[0]) && nt == 1) {
		put(out->given, sizeof out->given, tok[0]);
		return;
	}
	while (i < nt && title_gender(tok[i], &g)) {
		size_t have = strlen(out->title);

		if (have + strlen(tok[i]) + 2 <= sizeof out->title)
			snprintf(out->title + have, sizeof out->title - have, "%s%s",
			         have ? " " : "", tok[i]);
		if (g)
			out->gender = g == 1 ? GR_GENDER_F : GR_GENDER_M;
		i++;
	}
	for (size_t k = i; k < nt; k++)
		capitalise(tok[k], k == i);
	if (*out->title) {
		/* "Dr." keeps its form; "herr", "SRA." are written the usual
		 * way. */
		capitalise(out->title, 1);
	}
	if (nt - i == 1 && *out->title) {
		put(out->family, sizeof out->family, tok[i]);
	} else if (nt - i >= 1) {
		size_t gn = 1;
		char f0[NAME_PART_MAX * 2], f1[NAME_PART_MAX * 2];

		fold(tok[i], f0, sizeof f0);
		if (nt - i >= 3) {
			fold(tok[i + 1], f1, sizeof f1);
			if (listed(compound_first, f0) &&
			    (listed(female, f1) || listed(male, f1)))
				gn = 2;
		}
		if (gn == 2) {
			char t[GR_NAME_MAX];

			snprintf(t, sizeof t, "%.*s %.*s", NAME_PART_MAX / 2,
			         tok[i], NAME_PART_MAX / 2, tok[i + 1]);
			put(out->given, sizeof out->given, t);
		} else {
			put(out->given, sizeof out->given, tok[i]);
		}
		for (size_t k = i + gn; k < nt; k++) {
			size_t l = strlen(out->family);

			if (l + strlen(tok[k]) + 2 > NAME_PART_MAX)
				break;
			snprintf(out->family + l, sizeof out->family - l, "%s%s",
			         l ? " " : "", tok[k]);
		}
	}
	if (!*out->given && !*out->family && signoff && *signoff) {
		gr_name s;

		gr_name_parse(signoff, NULL, &s);
		if (*s.given && !*s.title) {
			memcpy(out->given, s.given, sizeof out->given);
			memcpy(out->family, s.family, sizeof out->family);
		}
	}
	if (out->gender == GR_GENDER_UNKNOWN && *out->given)
		out->gender = name_gender(out->given);
}

void
gr_name_full(const gr_name *n, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s%s", n->given, *n->given && *n->family ?
	         " " : "", n->family);
}

/* Title as a word of greeting in language l ("Dr.", "Sra.", "Herr"),
 * with the gender's title when none was given and gender is known. */
static const char *
title_for(gr_lang l, const gr_name *n)
{
	int f = n->gender == GR_GENDER_F, m = n->gender == GR_GENDER_M;

	if (*n->title && !(l == GR_LANG_FR && (m || f)) &&
	    !(l == GR_LANG_DE && (m || f)))
		return n->title;
	switch (l) {
	case GR_LANG_ES:
		return f ? "Sra." : m ? "Sr." : NULL;
	case GR_LANG_PT:
		return f ? "Sra." : m ? "Sr." : NULL;
	case GR_LANG_FR:
		return f ? "Madame" : m ? "Monsieur" : NULL;
	case GR_LANG_DE:
		return f ? "Frau" : m ? "Herr" : NULL;
	case GR_LANG_IT:
		return NULL;
	default:
		return f ? "Ms." : m ? "Mr." : NULL;
	}
}

void
gr_greeting(gr_lang l, int formal, const gr_name *n, char *out,
            size_t outlen)
{
	char full[GR_NAME_MAX * 2 + 2];
	const char *given = n->given, *fam = n->family, *t;
	int f = n->gender == GR_GENDER_F, m = n->gender == GR_GENDER_M;
	int has_dr = strncmp(n->title, "Dr", 2) == 0 ||
	             strncmp(n->title, "Prof", 4) == 0;
	const char *dr = has_dr ? n->title : "";

	gr_name_full(n, full, sizeof full);
	if (!*full) {
		static const char *const none[GR_LANG_COUNT][2] = {
			{ "Hi there,", "Hello," }, { "Hi there,", "Hello," },
			{ "Hola:", "Buenos d\xc3\xad" "as:" }, { "Ol\xc3\xa1,",
			  "Bom dia," }, { "Bonjour,", "Bonjour," },
			{ "Hallo,", "Guten Tag," }, { "Ciao,", "Buongiorno," },
		};

		snprintf(out, outlen, "%s", none[(unsigned)l < GR_LANG_COUNT ?
		         l : 0][formal ? 1 : 0]);
		return;
	}
	if (!*given)
		given = full;
	/* A title is a formal form of address: "Dr. Jordan Ames" is not
	 * "Hi Dr.," and a titled name gets the formal greeting. */
	if (*n->title && *fam)
		formal = 1;
	switch (l) {
	case GR_LANG_ES:
		if (!formal)
			snprintf(out, outlen, "Hola, %s:", given);
		else if (*n->title && *fam)
			snprintf(out, outlen, "%s %s %s:", f || (strcmp(n->title,
			         "Dra.") == 0) ? "Estimada" : "Estimado", n->title,
			         fam);
		else if (f || m)
			snprintf(out, outlen, "%s %s:", f ? "Estimada" : "Estimado",
			         given);
		else
			snprintf(out, outlen, "Hola, %s:", given);
		return;
	case GR_LANG_PT:
		if (!formal)
			snprintf(out, outlen, "Ol\xc3\xa1, %s,", given);
		else if (*n->title && *fam)
			snprintf(out, outlen, "%s %s %s,", f ? "Cara" : "Caro",
			         n->title, fam);
		else if (f || m)
			snprintf(out, outlen, "%s %s,", f ? "Cara" : "Caro", given);
		else
			snprintf(out, outlen, "Bom dia, %s,", given);
		return;
	case GR_LANG_FR:
		t = title_for(l, n);
		if (formal && t && *fam && (f || m))
			snprintf(out, outlen, "Bonjour %s %s,", t, fam);
		else if (formal && has_dr && *fam)
			snprintf(out, outlen, "Bonjour Docteur %s,", fam);
		else
			snprintf(out, outlen, "Bonjour %s,", formal ? full : given);
		return;
	case GR_LANG_DE:
		t = title_for(l, n);
		if (!formal)
			snprintf(out, outlen, "Hallo %s,", given);
		else if (t && (f || m) && *fam)
			snprintf(out, outlen, "Guten Tag %s %s%s%s,", t, dr,
			         *dr ? " " : "", fam);
		else if (has_dr && *fam)
			snprintf(out, outlen, "Guten Tag %s %s,", dr, fam);
		else
			snprintf(out, outlen, "Guten Tag %s,", full);
		return;
	case GR_LANG_IT:
		if (!formal)
			snprintf(out, outlen, "Ciao %s,", given);
		else if (has_dr && *fam)
			snprintf(out, outlen, "Gentile Dott.%s %s,", f ? "ssa" : "",
			         fam);
		else
			snprintf(out, outlen, "Gentile %s,", full);
		return;
	default:
		t = title_for(l, n);
		if (!formal)
			snprintf(out, outlen, "Hi %s,", given);
		else if (t && *fam)
			snprintf(out, outlen, "Dear %s %s,", t, fam);
		else
			snprintf(out, outlen, "Dear %s,", full);
		return;
	}
}
