/* SPDX-License-Identifier: MIT */
/*
 * lang.c - language of a message by its function words, and its formality.
 *
 * Each language has a list of words that are frequent in any mail written
 * in it and rare in the other five (a word two languages share, such as
 * "de" or "que", is listed for neither: it cannot tell them apart).  The
 * text's words are folded to lower case and counted against the lists; a
 * few letters add to one language's count.  The winner needs 3 points and
 * a clear lead over the second.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/lang.h"

#define LANG_MAX_SCAN   (16u << 10)
#define LANG_MAX_WORD   32

static const char *const codes[GR_LANG_COUNT] = {
	"", "en", "es", "pt", "fr", "de", "it"
};

static const char *const words[GR_LANG_COUNT] = {
	"",
	/* en */
	"the and you your is are we our to of for with that this have would "
	"could can be it my me i was will not what about just thanks thank "
	"hi hello please if or at on from looking know do does how when there "
	"they their an but so some any been us hey hope which who should "
	"we're i'm i'd i've don't it's you're let's i'll we've can't "
	"regards best wishes "
	"dear sincerely cheers into after before next week weekend",
	/* es */
	"el los las y por nuestro nuestra nuestros nuestras muy pero más "
	"gracias hola usted ustedes quisiera queremos estamos tenemos también "
	"sería podría podríamos buenas buenos días tardes saludos atentamente "
	"hay qué cuándo dónde muchas mucho puede pueden quiero necesito "
	"necesitamos estoy soy ya hasta cuando donde algo alguien aquí año "
	"años ahora después habla hablar sábado domingo lunes semana mañana "
	"casa vez tiene tienen usted estimado estimada señora señor cómo "
	"queríamos gustaría",
	/* pt */
	"não com uma um os do da dos das na nas em obrigado obrigada olá "
	"você vocês gostaria gostaríamos temos também muito muita está estou "
	"sou são seu sua nosso nossa ao pelo pela isso isto esse essa qual "
	"onde tudo bom boa dia cumprimentos atenciosamente abraço ainda já "
	"agora depois então mas mais pode posso preciso precisamos fazer "
	"orçamento tradução projeto meu minha semana sábado obrigadíssimo "
	"prezado prezada caro cara senhor senhora fico aguardo",
	/* fr */
	"le les des du et est je vous nous votre vos notre pour avec dans sur "
	"pas ne une ce cette ces qui mais ou où bonjour merci cordialement "
	"sommes suis avons avez êtes aussi très peut pouvez pourriez serait "
	"au aux il elle ils leur j' qu' c' n' s' l' d' j'ai c'est ai été être "
	"faire madame monsieur "
	"salutations bien souhaiterions souhaite semaine samedi mariage "
	"voudrais aimerions",
	/* de */
	"der die das und ist ich sie wir ihr ihre ihnen mit für nicht ein "
	"eine einen einem den dem des zu auf bei von auch wie wäre würde "
	"können könnten haben hallo danke grüße grüßen viele freundlichen "
	"sehr geehrte geehrter uns unser unsere bitte gerne gern noch schon "
	"oder aber wenn dass über nach heute woche termin büro wir haben "
	"möchte möchten herr frau guten tag liebe lieber",
	/* it */
	"il gli della dello delle degli di che è sono siamo abbiamo ho "
	"vorrei vorremmo grazie ciao buongiorno salve cordiali saluti "
	"gentile per nel nella alla alle anche molto questo questa quello "
	"sarebbe potrebbe possiamo può ufficio perché dove sul dal dalla più "
	"ancora già mio mia nostro nostra vostro vostra settimana sabato "
	"buonasera distinti egregio dell' all' nell' un' c'è l' d'",
};

typedef struct wentry {
	char w[LANG_MAX_WORD];
	unsigned mask;
} wentry;

static wentry *table;
static size_t ntable;
static int table_failed;

static int
cmp_w(const void *a, const void *b)
{
	return strcmp(((const wentry *)a)->w, ((const wentry *)b)->w);
}

/* Built once; the lists are constant, so a second build would be the same. */
static void
table_build(void)
{
	size_t cap = 0;

	if (table || table_failed)
		return;
	for (int l = 1; l < GR_LANG_COUNT; l++)
		for (const char *p = words[l]; *p; p++)
			cap += *p == ' ';
	cap += GR_LANG_COUNT;
	table = calloc(cap, sizeof *table);
	if (!table) {
		table_failed = 1;
		return;
	}
	for (int l = 1; l < GR_LANG_COUNT; l++) {
		const char *p = words[l];

		while (*p) {
			size_t n = strcspn(p, " ");

			if (n && n < LANG_MAX_WORD && ntable < cap) {
				size_t i;

				for (i = 0; i < ntable; i++)
					if (strlen(table[i].w) == n &&
					    memcmp(table[i].w, p, n) == 0)
						break;
				if (i == ntable) {
					memcpy(table[ntable].w, p, n);
					table[ntable].w[n] = '\0';
					ntable++;
				}
				table[i].mask |= 1u << l;
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	qsort(table, ntable, sizeof *table, cmp_w);
}

const char *
gr_lang_code(gr_lang l)
{
	return (unsigned)l < GR_LANG_COUNT ? codes[l] : "";
}

gr_lang
gr_lang_from_code(const char *code)
{
	char c[3];

	if (!code || strlen(code) != 2)
		return GR_LANG_UNKNOWN;
	c[0] = (char)(code[0] | 0x20);
	c[1] = (char)(code[1] | 0x20);
	c[2] = '\0';
	for (int l = 1; l < GR_LANG_COUNT; l++)
		if (strcmp(c, codes[l]) == 0)
			return (gr_lang)l;
	return GR_LANG_UNKNOWN;
}

/* Length of the UTF-8 sequence at s (1 for a stray byte). */
static size_t
u8len(const unsigned char *s)
{
	if (s[0] < 0xC0)
		return 1;
	if (s[0] < 0xE0)
		return s[1] ? 2 : 1;
	if (s[0] < 0xF0)
		return s[1] && s[2] ? 3 : 1;
	return s[1] && s[2] && s[3] ? 4 : 1;
}

/* 1 if the character at s is part of a word: ASCII letters and digits,
 * and non-ASCII characters but Latin-1 punctuation (U+0080-U+00BF, the
 * multiplication and division signs) and general punctuation (U+2000-
 * U+206F: curly quotes, dashes, the no-break spaces). */
static int
word_char(const unsigned char *s)
{
	if (s[0] < 0x80)
		return (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
		       (s[0] >= '0' && s[0] <= '9');
	if (s[0] == 0xC2)
		return 0;
	if (s[0] == 0xC3 && (s[1] == 0x97 || s[1] == 0xB7))
		return 0;
	if (s[0] == 0xE2 && (s[1] == 0x80 || s[1] == 0x81))
		return 0;
	return s[0] >= 0xC3;
}

size_t
gr_lang_fold(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] == 0x99) {
			out[o++] = '\'';      /* U+2019 as an apostrophe */
			i += 2;
			continue;
		}

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (c >= 0x80 && c <= 0x9E && i > 0 &&
		         (unsigned char)s[i - 1] == 0xC3 && c != 0x97)
			c = (unsigned char)(c + 0x20);  /* À-Þ to à-þ */
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

static unsigned
lookup(const char *w)
{
	wentry key, *e;

	if (!table || strlen(w) >= LANG_MAX_WORD)
		return 0;
	memset(&key, 0, sizeof key);
	strcpy(key.w, w);
	e = bsearch(&key, table, ntable, sizeof *table, cmp_w);
	return e ? e->mask : 0;
}

/* Letters one language uses and the others (nearly) never do. */
static void
letters(const unsigned char *p, int *sc)
{
	if (p[0] == 0xC3 && (p[1] == 0xB1 || p[1] == 0x91))
		sc[GR_LANG_ES] += 1;            /* ñ */
	else if (p[0] == 0xC2 && (p[1] == 0xBF || p[1] == 0xA1))
		sc[GR_LANG_ES] += 2;            /* ¿ ¡ */
	else if (p[0] == 0xC3 && (p[1] == 0xA3 || p[1] == 0xB5))
		sc[GR_LANG_PT] += 1;            /* ã õ */
	else if (p[0] == 0xC3 && p[1] == 0x9F)
		sc[GR_LANG_DE] += 1;            /* ß */
}

void
gr_lang_scores(const char *text, int sc[GR_LANG_COUNT])
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	const unsigned char *end;
	size_t len = strlen((const char *)p);

	memset(sc, 0, GR_LANG_COUNT * sizeof *sc);
	table_build();
	if (len > LANG_MAX_SCAN)
		len = LANG_MAX_SCAN;
	end = p + len;
	while (p < end && *p) {
		const unsigned char *w = p;
		char fold[LANG_MAX_WORD * 2];
		unsigned mask;

		if (!word_char(p)) {
			letters(p, sc);
			p += u8len(p);
			continue;
		}
		while (p < end && *p) {
			size_t ap = *p == '\'' ? 1 :
			            (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) ? 3 : 0;

			if (ap && p + ap < end && word_char(p + ap) && p > w) {
				p += ap;
				continue;
			}
			if (!word_char(p))
				break;
			letters(p, sc);
			p += u8len(p);
		}
		if ((size_t)(p - w) >= LANG_MAX_WORD)
			continue;
		gr_lang_fold((const char *)w, (size_t)(p - w), fold, sizeof fold);
		mask = lookup(fold);
		/* Elision: "j'ai", "l'ufficio", "we're": the whole word, else
		 * its first part with the apostrophe ("j'", "dell'"). */
		if (!mask && strchr(fold, '\'')) {
			fold[strcspn(fold, "'") + 1] = '\0';
			mask = lookup(fold);
		}
		for (int l = 1; l < GR_LANG_COUNT; l++)
			sc[l] += (mask >> l) & 1;
	}
	/* Portuguese -ção/-ções endings. */
	if (text && (strstr(text, "\xc3\xa7\xc3\xa3o") ||
	             strstr(text, "\xc3\xa7\xc3\xb5" "es")))
		sc[GR_LANG_PT] += 2;
}

gr_lang
gr_lang_detect(const char *text)
{
	int sc[GR_LANG_COUNT];
	int best = 0, second = 0;

	gr_lang_scores(text, sc);
	for (int l = 1; l < GR_LANG_COUNT; l++) {
		if (sc[l] > sc[best]) {
			second = best;
			best = l;
		} else if (l != best && sc[l] > sc[second]) {
			second = l;
		}
	}
	if (best == 0 || sc[best] < 3 || sc[best] * 2 < sc[second] * 3)
		return GR_LANG_UNKNOWN;
	return (gr_lang)best;
}

/* --- formality ----------------------------------------------------------- */

/* Count the cues of list (words or phrases, "|"-separated) in text: each
 * match must start and end at a word boundary.  When cased, the match is
 * exact (German "Sie"), else ASCII case is ignored. */
static int
cues(const char *text, const char *list, int cased)
{
	int n = 0;
	const char *p = list;
	unsigned char low[256];         /* tolower, as strncasecmp takes it */

	for (int c = 0; c < 256; c++)
		low[c] = (unsigned char)tolower(c);
	while (*p) {
		size_t k = strcspn(p, "|");

		for (const char *t = text; *t; t++) {
			int eq;

			/* the first byte as the comparison takes it, inline */
			if (k > 0 && (cased ? *t != *p :
			              low[(unsigned char)*t] !=
			              low[(unsigned char)*p]))
				continue;
			eq = cased ? strncmp(t, p, k) == 0 :
			     strncasecmp(t, p, k) == 0;
			const unsigned char *a = (const unsigned char *)t;

			if (!eq)
				continue;
			if (t > text && word_char(a - 1) && (a[-1] < 0x80))
				continue;
			if (word_char(a + k) && a[k] < 0x80)
				continue;
			n++;
			/* German "Sie" at the start of a sentence is "she" or
			 * "they" as often as it is "you": count it mid-sentence
			 * only. */
			if (cased && t > text) {
				const char *b = t - 1;

				while (b > text && (*b == ' ' || *b == '\n'))
					b--;
				if (b == text || *b == '.' || *b == '?' ||
				    *b == '!' || *b == ':')
					n--;
			}
		}
		p += k;
		if (*p == '|')
			p++;
	}
	return n;
}

int
gr_lang_formal(gr_lang l, const char *text)
{
	int f = 0, i = 0;

	if (!text)
		return 0;
	switch (l) {
	case GR_LANG_ES:
		f = cues(text, "usted|ustedes|Sr.|Sra.|Srta.|Estimado|Estimada|"
		         "Atentamente|Saludos cordiales|cordialmente|le saluda|"
		         "Buenas tardes|Buenos d\xc3\xad" "as|su tiempo|su "
		         "p\xc3\xa1gina|muy amable", 0);
		i = cues(text, "t\xc3\xba|tienes|puedes|quieres|te|un abrazo|"
		         "besos|qu\xc3\xa9 tal|hola", 0);
		return f > i;
	case GR_LANG_PT:
		f = cues(text, "o senhor|a senhora|Exmo|Exma|Prezado|Prezada|"
		         "Caro|Cara|Atenciosamente|Cumprimentos|os melhores "
		         "cumprimentos|V. Exa|Sr.|Sra.|Dr.|Dra.|Bom dia|Boa tarde", 0);
		i = cues(text, "tu|oi|abra\xc3\xa7o|abra\xc3\xa7os|beijos|"
		         "beijinhos|ol\xc3\xa1|podes|queres|tens", 0);
		return f > i;
	case GR_LANG_FR:
		f = cues(text, "vous|votre|vos|Madame|Monsieur|Cordialement|"
		         "Bien \xc3\xa0 vous|salutations|Veuillez", 0);
		i = cues(text, "tu|te|ton|ta|tes|toi|salut|bises|bisous|"
		         "\xc3\xa0 plus", 0);
		return f >= i;
	case GR_LANG_DE:
		f = cues(text, "Sie|Ihnen|Ihr|Ihre|Ihrer|Ihrem|Ihren", 1) +
		    cues(text, "Sehr geehrte|Sehr geehrter|Mit freundlichen|"
		         "Guten Tag|Herr|Frau|freundliche Gr\xc3\xbc\xc3\x9f" "e", 0);
		i = cues(text, "du|dich|dir|dein|deine|deinen|euch|euer|"
		         "Liebe Gr\xc3\xbc\xc3\x9f" "e|LG|Hallo|Hi|Hey|Servus|"
		         "Moin|Ciao", 0);
		return f >= i;
	case GR_LANG_IT:
		f = cues(text, "Lei|La ringrazio|Le scrivo|Gentile|Egregio|"
		         "Egregia|Cordiali saluti|Distinti saluti|Buongiorno|"
		         "Spettabile|Dott.|Sig.|Sig.ra", 0);
		i = cues(text, "ciao|tu|ti|puoi|vuoi|un abbraccio|baci|"
		         "grazie mille", 0);
		return f > i;
	case GR_LANG_EN:
	default:
		f = cues(text, "Dear|Ms.|Mr.|Mrs.|Dr.|Sincerely|Regards|"
		         "Respectfully|Yours truly|Good morning|Good afternoon", 0);
		i = cues(text, "Hi|Hey|Cheers|Thanks!|xo|Hiya", 0);
		return f > i;
	}
}
