/* SPDX-License-Identifier: MIT */
/*
 * extract.c - what a message says, from its sender's new text.  See
 * extract.h.
 *
 * The text is cleaned line by line (web-form field labels, "Sent from my
 * iPhone", the greeting, the sign-off and the name under it), cut into
 * paragraphs and sentences, and each sentence is read against short cue
 * lists in the six languages (weekdays, parts of the day, months, seasons,
 * "no rush"...).  Phone numbers, amounts and places are found by their
 * shape.  Cue words that mean something else in another language (Italian
 * "estate" is summer, English "estate" is not) are only read in their own
 * language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/extract.h"
#include "gravity/util.h"

#define EX_MAX_TEXT     (64u << 10)     /* bytes of new text read */
#define EX_MAX_LINES    2000
#define EX_MAX_PLACE    60

/* --- small helpers ------------------------------------------------------- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper_at(const unsigned char *p)
{
	return (p[0] >= 'A' && p[0] <= 'Z') ||
	       (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E && p[1] != 0x97);
}

static int
is_alpha_at(const unsigned char *p)
{
	return (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') ||
	       (p[0] >= 0xC3 && p[0] < 0xE0) || (p[0] >= 0xE0 &&
	        !(p[0] == 0xE2 && (p[1] == 0x80 || p[1] == 0x81)));
}

static int
word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static int
lower_c(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Length of phrase matched at s (ASCII case-insensitive, Latin-1 capitals
 * folded, a blank matching any run of blanks or line ends, ' matching a
 * curly apostrophe and a hyphen matching a blank), or 0.  The match must
 * end at a word boundary unless the phrase ends in a blank. */
static size_t
phrase_at(const char *s, const char *ph)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *q = (const unsigned char *)ph;

	while (*q) {
		if (*q == ' ') {
			if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			      *p == '-'))
				return 0;
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			       *p == '-')
				p++;
			while (*q == ' ')
				q++;
			continue;
		}
		if (*q == '\'' && p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) {
			q++, p += 3;
			continue;
		}
		if (*q == 0xC3 && p[0] == 0xC3 && q[1] &&
		    (p[1] == q[1] || (p[1] >= 0x80 && p[1] <= 0x9E &&
		                      p[1] + 0x20 == q[1]))) {
			q += 2, p += 2;
			continue;
		}
		if (lower_c(*p) != lower_c(*q))
			return 0;
		p++, q++;
	}
	if (q > (const unsigned char *)ph && q[-1] != ' ' && word_byte(q[-1]) &&
	    word_byte(*p))
		return 0;
	return (size_t)(p - (const unsigned char *)s);
}

/* Add to set the bytes (through lower_c) a match of phrase ph can start
 * with, as phrase_at matches its first byte. */
static void
first_bytes(unsigned char set[256], const char *ph)
{
	unsigned char q = (unsigned char)ph[0];

	if (q == ' ') {
		set[' '] = set['\t'] = set['\n'] = set['\r'] = set['-'] = 1;
		return;
	}
	if (q == '\'')
		set[0xE2] = 1;
	set[lower_c(q)] = 1;
}

/* 0 if phrase_at(t, ph) is 0 for sure, by t's first byte c: an empty
 * phrase, or one that starts with a byte that is not a blank or an
 * apostrophe (which match more) and differs from c caselessly. */
static int
may_start(const char *ph, char c)
{
	unsigned char q = (unsigned char)ph[0];

	return q && (q == ' ' || q == '\'' ||
	             lower_c(q) == lower_c((unsigned char)c));
}

/* First match of any of the NUL-separated, double-NUL-ended phrases in
 * text, at a word start.  Returns its start or NULL. */
static const char *
find_any(const char *text, const char *list, size_t *len)
{
	unsigned char set[256] = { 0 };

	for (const char *ph = list; *ph; ph += strlen(ph) + 1)
		first_bytes(set, ph);
	for (const char *t = text; *t; t++) {
		if (t > text && word_byte((unsigned char)t[-1]) &&
		    word_byte((unsigned char)*t))
			continue;
		if (!set[lower_c((unsigned char)*t)])
			continue;       /* no phrase starts so */
		for (const char *ph = list; *ph; ph += strlen(ph) + 1) {
			size_t n = may_start(ph, *t) ? phrase_at(t, ph) : 0;

			if (n) {
				if (len)
					*len = n;
				return t;
			}
		}
	}
	return NULL;
}

int
gr_extract_phrase_in(const char *text, const gr_strv *phrases,
                     const char **which)
{
	unsigned char set[256] = { 0 };

	if (which)
		*which = NULL;
	if (!text || !phrases)
		return 0;
	for (size_t i = 0; i < phrases->n; i++)
		if (phrases->v[i][0])
			first_bytes(set, phrases->v[i]);
	for (const char *t = text; *t; t++) {
		if (t > text && word_byte((unsigned char)t[-1]) &&
		    word_byte((unsigned char)*t))
			continue;
		if (!set[lower_c((unsigned char)*t)])
			continue;       /* no phrase starts so */
		for (size_t i = 0; i < phrases->n; i++)
			if (may_start(phrases->v[i], *t) &&
			    phrase_at(t, phrases->v[i])) {
				if (which)
					*which = phrases->v[i];
				return 1;
			}
	}
	return 0;
}

/* --- cue lists (NUL-separated, double-NUL-ended) ------------------------ */

/* Greetings that open a mail. */
static const char greet_words[] =
	"hi\0hello\0hey\0dear\0good morning\0good afternoon\0good evening\0"
	"greetings\0hiya\0hola\0buenas tardes\0buenas noches\0buenos d\xc3\xad" "as\0"
	"buen d\xc3\xad" "a\0buenas\0estimado\0estimada\0estimados\0"
	"ol\xc3\xa1\0ola\0oi\0bom dia\0boa tarde\0boa noite\0prezado\0prezada\0"
	"caro\0cara\0bonjour\0bonsoir\0salut\0madame\0monsieur\0cher\0"
	"ch\xc3\xa8re\0hallo\0guten tag\0guten morgen\0guten abend\0"
	"sehr geehrte\0sehr geehrter\0liebe\0lieber\0moin\0servus\0ciao\0"
	"buongiorno\0buonasera\0gentile\0gentili\0salve\0egregio\0egregia\0"
	"to whom it may concern\0";

/* Closings above the name. */
static const char closing_words[] =
	"thanks\0thank you\0thanks so much\0thanks again\0many thanks\0thx\0"
	"best\0best regards\0best wishes\0regards\0kind regards\0"
	"warm regards\0warmly\0cheers\0sincerely\0yours\0all the best\0"
	"take care\0talk soon\0love\0xo\0atentamente\0saludos\0un saludo\0"
	"muchas gracias\0gracias\0cordialmente\0un abrazo\0abrazos\0"
	"saludos cordiales\0obrigado\0obrigada\0muito obrigado\0"
	"muito obrigada\0cumprimentos\0atenciosamente\0abra\xc3\xa7o\0"
	"abra\xc3\xa7os\0beijos\0merci\0merci beaucoup\0cordialement\0"
	"bien \xc3\xa0 vous\0bonne journ\xc3\xa9" "e\0\xc3\xa0 bient\xc3\xb4t\0"
	"amiti\xc3\xa9s\0bises\0viele gr\xc3\xbc\xc3\x9f" "e\0beste gr\xc3\xbc\xc3\x9f" "e\0"
	"liebe gr\xc3\xbc\xc3\x9f" "e\0mit freundlichen gr\xc3\xbc\xc3\x9f" "en\0"
	"freundliche gr\xc3\xbc\xc3\x9f" "e\0lg\0vg\0mfg\0danke\0vielen dank\0"
	"grazie\0grazie mille\0cordiali saluti\0saluti\0un saluto\0a presto\0"
	"distinti saluti\0";

/* Mobile-client footers. */
static const char footer_words[] =
	"sent from my\0get outlook for\0enviado desde mi\0enviado do meu\0"
	"enviado de meu\0envoy\xc3\xa9 de mon\0von meinem\0inviato da\0"
	"sent from yahoo\0sent via\0";

/* Notes that someone was moved to Bcc. */
static const char bcc_words[] =
	"to bcc\0to bcc'\0in bcc\0into bcc\0a bcc\0a cco\0en cco\0para cco\0"
	"em cco\0para bcc\0en cci\0en copie cach\xc3\xa9" "e\0in bcc gesetzt\0"
	"ins bcc\0in ccn\0in copia nascosta\0";

/* Asking to stay in copy. */
static const char copy_words[] =
	"copy me\0cc me\0keep me copied\0keep me in copy\0keep me cc'd\0"
	"keep me cc\0keep me in the loop\0loop me in\0copiarme\0"
	"ponerme en copia\0mant\xc3\xa9ngame en copia\0me copie\0"
	"me mantenha em c\xc3\xb3pia\0mettez-moi en copie\0me mettre en copie\0"
	"mich in cc\0mich in kopie\0setzen sie mich in cc\0"
	"mettermi in copia\0tenermi in copia\0";

static const char call_words[] =
	"call me\0give me a call\0a call\0phone call\0quick call\0"
	"call you\0call us\0ring me\0talk on the phone\0llamarme\0"
	"llamarnos\0una llamada\0llamar\0liga\xc3\xa7\xc3\xa3o\0ligar-me\0"
	"me ligar\0uma chamada\0telefonema\0m'appeler\0nous appeler\0"
	"un appel\0appelez\0anrufen\0anruf\0telefonieren\0r\xc3\xbc" "ckruf\0"
	"chiamarmi\0una telefonata\0una chiamata\0sentirci al telefono\0";

static const char norush_words[] =
	"no rush\0not in a rush\0no hurry\0in no hurry\0not in a hurry\0"
	"not urgent\0no pressure\0whenever suits\0sin prisa\0no hay prisa\0"
	"no tenemos prisa\0sem pressa\0n\xc3\xa3o h\xc3\xa1 pressa\0"
	"pas press\xc3\xa9\0rien ne presse\0pas d'urgence\0keine eile\0"
	"eilt nicht\0nicht eilig\0nessuna fretta\0senza fretta\0con calma\0";

/* Sentences on when someone can talk or meet, per language. */
static const char avail_en[] =
	"monday\0tuesday\0wednesday\0thursday\0friday\0saturday\0sunday\0"
	"mondays\0tuesdays\0wednesdays\0thursdays\0fridays\0saturdays\0"
	"sundays\0weekday\0weekdays\0weekend\0weekends\0this weekend\0"
	"morning\0mornings\0afternoon\0afternoons\0evening\0evenings\0"
	"tonight\0tomorrow\0today\0this week\0next week\0"
	"anytime\0any time\0i'm available\0i am available\0we're available\0"
	"we are available\0available most\0available any\0available on\0"
	"available after\0available in the\0are you free\0free for a\0"
	"free on\0best time\0best after\0lunch\0";
static const char avail_es[] =
	"lunes\0martes\0mi\xc3\xa9rcoles\0jueves\0viernes\0s\xc3\xa1" "bado\0"
	"s\xc3\xa1" "bados\0domingo\0domingos\0fin de semana\0entre semana\0"
	"por la ma\xc3\xb1" "ana\0por la tarde\0por las tardes\0por la noche\0"
	"disponible\0esta semana\0la pr\xc3\xb3xima semana\0"
	"la semana que viene\0despu\xc3\xa9s de las\0antes de las\0";
static const char avail_pt[] =
	"segunda\0ter\xc3\xa7" "a\0quarta\0quinta\0sexta\0s\xc3\xa1" "bado\0"
	"domingo\0fim de semana\0de manh\xc3\xa3\0\xc3\xa0 tarde\0\xc3\xa0 noite\0"
	"dispon\xc3\xadvel\0esta semana\0pr\xc3\xb3xima semana\0depois das\0"
	"antes das\0";
static const char avail_fr[] =
	"lundi\0mardi\0mercredi\0jeudi\0vendredi\0samedi\0dimanche\0"
	"week-end\0matin\0apr\xc3\xa8s-midi\0soir\0soir\xc3\xa9" "e\0disponible\0"
	"cette semaine\0semaine prochaine\0";
static const char avail_de[] =
	"montag\0dienstag\0mittwoch\0donnerstag\0freitag\0samstag\0sonntag\0"
	"montags\0dienstags\0mittwochs\0donnerstags\0freitags\0wochenende\0"
	"vormittag\0vormittags\0nachmittag\0nachmittags\0abend\0abends\0"
	"morgens\0erreichbar\0diese woche\0n\xc3\xa4" "chste woche\0uhr\0";
static const char avail_it[] =
	"luned\xc3\xac\0marted\xc3\xac\0mercoled\xc3\xac\0gioved\xc3\xac\0"
	"venerd\xc3\xac\0sabato\0domenica\0fine settimana\0mattina\0"
	"pomeriggio\0sera\0disponibile\0questa settimana\0"
	"settimana prossima\0dopo le\0";

/* Sentences on the timeline of what they want. */
static const char time_en[] =
	"january\0february\0march\0april\0june\0july\0august\0september\0"
	"october\0november\0december\0spring\0summer\0fall\0autumn\0winter\0"
	"next year\0this year\0holidays\0school year\0asap\0as soon as\0"
	"in a few weeks\0in a few months\0by the end of\0deadline\0"
	"lease runs\0closing\0no rush\0not in a rush\0soon\0months\0weeks\0";
static const char time_es[] =
	"enero\0febrero\0marzo\0abril\0mayo\0junio\0julio\0agosto\0"
	"septiembre\0octubre\0noviembre\0diciembre\0primavera\0verano\0"
	"oto\xc3\xb1o\0invierno\0el pr\xc3\xb3ximo a\xc3\xb1o\0"
	"el a\xc3\xb1o que viene\0este a\xc3\xb1o\0lo antes posible\0"
	"cuanto antes\0meses\0semanas\0";
static const char time_pt[] =
	"janeiro\0fevereiro\0mar\xc3\xa7o\0abril\0maio\0junho\0julho\0"
	"agosto\0setembro\0outubro\0novembro\0dezembro\0primavera\0"
	"ver\xc3\xa3o\0outono\0inverno\0pr\xc3\xb3ximo ano\0este ano\0"
	"o mais r\xc3\xa1pido\0o quanto antes\0prazo\0meses\0semanas\0";
static const char time_fr[] =
	"janvier\0f\xc3\xa9vrier\0mars\0avril\0mai\0juin\0juillet\0"
	"ao\xc3\xbbt\0septembre\0octobre\0novembre\0d\xc3\xa9" "cembre\0"
	"printemps\0cet \xc3\xa9t\xc3\xa9\0l'\xc3\xa9t\xc3\xa9\0automne\0"
	"hiver\0l'ann\xc3\xa9" "e prochaine\0cette ann\xc3\xa9" "e\0"
	"d\xc3\xa8s que possible\0mois\0semaines\0";
static const char time_de[] =
	"januar\0februar\0m\xc3\xa4rz\0april\0juni\0juli\0august\0"
	"september\0oktober\0november\0dezember\0fr\xc3\xbchling\0"
	"fr\xc3\xbchjahr\0sommer\0herbst\0winter\0n\xc3\xa4" "chstes jahr\0"
	"dieses jahr\0so bald wie m\xc3\xb6glich\0baldm\xc3\xb6glichst\0"
	"monaten\0wochen\0bis ende\0";
static const char time_it[] =
	"gennaio\0febbraio\0marzo\0aprile\0maggio\0giugno\0luglio\0agosto\0"
	"settembre\0ottobre\0novembre\0dicembre\0primavera\0estate\0"
	"autunno\0inverno\0l'anno prossimo\0il prossimo anno\0quest'anno\0"
	"prima possibile\0mesi\0settimane\0";

/* A later season or year: the follow-up can wait. */
static const char later_words[] =
	"next spring\0next summer\0next fall\0next autumn\0next winter\0"
	"next year\0in the spring\0in the summer\0in the fall\0"
	"la pr\xc3\xb3xima primavera\0el pr\xc3\xb3ximo a\xc3\xb1o\0"
	"el a\xc3\xb1o que viene\0pr\xc3\xb3ximo ano\0pr\xc3\xb3xima primavera\0"
	"l'ann\xc3\xa9" "e prochaine\0au printemps\0n\xc3\xa4" "chstes jahr\0"
	"im fr\xc3\xbchjahr\0im fr\xc3\xbchling\0l'anno prossimo\0"
	"il prossimo anno\0in primavera\0";

/* Amounts read as a budget when the sentence has one of these. */
static const char budget_words[] =
	"budget\0presupuesto\0or\xc3\xa7" "amento\0around\0about\0roughly\0"
	"up to\0max\0maximum\0under\0below\0approximately\0approx\0"
	"between\0thinking\0pre-approved\0preapproved\0afford\0spend\0"
	"price range\0alrededor de\0hasta\0m\xc3\xa1ximo\0entre\0cerca de\0"
	"at\xc3\xa9\0por volta de\0environ\0jusqu'\xc3\xa0\0autour de\0"
	"bis zu\0etwa\0ca.\0circa\0rund\0fino a\0intorno a\0massimo\0";

/* Questions that only make conversation. */
static const char smalltalk[] =
	"how are you\0how are you doing\0how have you been\0how's it going\0"
	"hope you're well\0c\xc3\xb3mo est\xc3\xa1\0c\xc3\xb3mo est\xc3\xa1s\0"
	"qu\xc3\xa9 tal\0tudo bem\0como vai\0como est\xc3\xa1\0\xc3\xa7" "a va\0"
	"comment allez-vous\0comment vas-tu\0wie geht's\0wie geht es ihnen\0"
	"wie geht es dir\0come stai\0come sta\0";

/* Words that are never a place. */
static const char not_place[] =
	"january\0february\0march\0april\0may\0june\0july\0august\0"
	"september\0october\0november\0december\0monday\0tuesday\0"
	"wednesday\0thursday\0friday\0saturday\0sunday\0i\0cc\0bcc\0"
	"english\0spanish\0the\0our\0my\0your\0a\0an\0it\0this\0that\0"
	"enero\0febrero\0marzo\0abril\0mayo\0junio\0julio\0agosto\0"
	"septiembre\0octubre\0noviembre\0diciembre\0janeiro\0fevereiro\0"
	"janvier\0f\xc3\xa9vrier\0januar\0februar\0gennaio\0febbraio\0"
	"person\0total\0general\0particular\0";

/* Words of meeting, talking or preferring: a weekday or a clock time is
 * availability only next to one of these ("Saturday would be easiest",
 * not "the printer came on Friday"). */
static const char meet_words[] =
	"call\0meet\0see\0visit\0come by\0stop by\0drop by\0talk\0chat\0"
	"available\0free\0works\0work for\0easiest\0easier\0best\0suits\0"
	"suit\0convenient\0ideally\0prefer\0would be\0could do\0can do\0"
	"tour\0show\0viewing\0appointment\0reach me\0reach us\0zoom\0"
	"llamar\0llamada\0reunir\0ver\0visitar\0cita\0disponible\0mejor\0"
	"conviene\0preferimos\0prefiero\0podemos\0podr\xc3\xad" "amos\0"
	"podr\xc3\xad" "a\0hablar\0ligar\0chamada\0reunir\0dispon\xc3\xadvel\0"
	"melhor\0conv\xc3\xa9m\0preferimos\0poder\xc3\xad" "amos\0falar\0"
	"conversar\0marcar\0appeler\0appel\0rencontrer\0voir\0visiter\0"
	"mieux\0convient\0pr\xc3\xa9\x66\xc3\xa9rons\0pouvons\0pourrions\0"
	"parler\0visio\0rendez-vous\0passer\0anrufen\0telefonieren\0"
	"treffen\0vorbeikommen\0passt\0geht\0am besten\0k\xc3\xb6nnen\0"
	"k\xc3\xb6nnten\0erreichbar\0termin\0sprechen\0abstimmen\0vor ort\0"
	"gespr\xc3\xa4" "ch\0zur verf\xc3\xbcgung\0"
	"chiamare\0incontrare\0vedere\0vederci\0visitare\0disponibile\0"
	"meglio\0va bene\0preferiamo\0possiamo\0potremmo\0parlare\0"
	"sentirci\0appuntamento\0";

/* Platform boilerplate around a relayed message: never the person's
 * words. */
static const char boiler_words[] =
	"you have a new lead\0sent you a message\0has sent you a message\0"
	"this message was sent to\0not your account\0emails you get\0"
	"unsubscribe\0manage notifications\0manage your notifications\0"
	"email preferences\0you received this\0you're receiving this\0"
	"you are receiving this\0reply to this email to respond\0"
	"view message\0view the message\0reply directly\0tip:\0"
	"manage this lead\0invited you to\0";

int
gr_extract_boilerplate(const char *line)
{
	return line && find_any(line, boiler_words, NULL) != NULL;
}

/* Questions asked without a question mark. */
static const char indirect_q[] =
	"i'd like to know\0i would like to know\0i was wondering\0"
	"i'm wondering\0we're wondering\0we were wondering\0"
	"i'd also like to know\0i'd also like to get a sense\0"
	"i'd like to get a sense\0let me know if\0let me know whether\0"
	"please let me know\0could you tell me\0can you tell me\0"
	"quisiera saber\0me gustar\xc3\xad" "a saber\0quer\xc3\xad" "a saber\0"
	"gostaria de saber\0queria saber\0j'aimerais savoir\0"
	"je voudrais savoir\0pourriez-vous me dire\0"
	"ich w\xc3\xbcrde gerne wissen\0ich w\xc3\xbcrde gern wissen\0"
	"k\xc3\xb6nnten sie mir sagen\0vorrei sapere\0"
	"mi piacerebbe sapere\0potrebbe dirmi\0"
	/* Requests: what they ask for without a question mark. */
	"would appreciate\0please confirm\0please also confirm\0"
	"request a quote\0requesting a quote\0could you send\0"
	"please send\0agradecer\xc3\xad" "a\0agradecer\xc3\xad" "amos\0"
	"solicitar un presupuesto\0pedir um or\xc3\xa7" "amento\0"
	"agradecia que\0merci de me\0demander un devis\0"
	"je vous serais reconnaissant\0bitten um\0"
	"wir bitten\0um ein angebot\0richiedere un preventivo\0"
	"gradirei\0";

/* Words before a clock time ("after 5", "ab 17 Uhr"). */
static const char clock_before[] =
	"after\0before\0at\0from\0until\0till\0around\0ab\0nach\0bis\0um\0"
	"gegen\0apr\xc3\xa8s\0avant\0vers\0dopo le\0prima delle\0verso le\0"
	"despu\xc3\xa9s de las\0antes de las\0a las\0depois das\0antes das\0"
	"\xc3\xa0s\0";

/* 1 if s names a clock time: "after 6", "5pm", "5:30", "17h", "17 Uhr". */
static int
clock_cue(const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *q = p;
		int n = 0;

		if (!is_digit((unsigned char)*p) ||
		    (p > s && (is_digit((unsigned char)p[-1]) || p[-1] == '$' ||
		               p[-1] == '.' || p[-1] == ',')))
			continue;
		while (is_digit((unsigned char)*q) && q - p < 3)
			n = n * 10 + (*q++ - '0');
		if (is_digit((unsigned char)*q) || n > 24) {
			while (is_digit((unsigned char)p[1]))
				p++;
			continue;
		}
		if (*q == ':' && is_digit((unsigned char)q[1]) &&
		    is_digit((unsigned char)q[2]) && !is_digit((unsigned char)q[3]))
			return 1;
		{
			const char *r = q;

			while (*r == ' ')
				r++;
			if (strncasecmp(r, "am", 2) == 0 || strncasecmp(r, "pm", 2) == 0 ||
			    strncasecmp(r, "a.m", 3) == 0 ||
			    strncasecmp(r, "p.m", 3) == 0 ||
			    strncasecmp(r, "uhr", 3) == 0)
				if (!word_byte((unsigned char)r[2]) ||
				    strncasecmp(r, "uhr", 3) == 0 || r[1] == '.')
					return 1;
			if (r == q && (*q == 'h' || *q == 'H') &&
			    !word_byte((unsigned char)q[1]))
				return 1;
		}
		/* the word before */
		{
			const char *w = p;

			while (w > s && w[-1] == ' ')
				w--;
			while (w > s && word_byte((unsigned char)w[-1]))
				w--;
			for (const char *c = clock_before; *c; c += strlen(c) + 1) {
				size_t k = phrase_at(w, c);

				if (k && w + k <= p) {
					const char *b = w + k;

					while (b < p && *b == ' ')
						b++;
					if (b == p)
						return 1;
				}
			}
			/* two-word cues ("dopo le 18"): look one word further */
			if (w > s) {
				const char *w2 = w;

				while (w2 > s && w2[-1] == ' ')
					w2--;
				while (w2 > s && word_byte((unsigned char)w2[-1]))
					w2--;
				for (const char *c = clock_before; *c;
				     c += strlen(c) + 1) {
					size_t k = phrase_at(w2, c);

					if (k && strchr(c, ' ') && w2 + k <= p) {
						const char *b = w2 + k;

						while (b < p && *b == ' ')
							b++;
						if (b == p)
							return 1;
					}
				}
			}
		}
	}
	return 0;
}

/* 1 if s names a day of May ("May 15th", "15 May"): "may" is too often a
 * verb to be a timing cue alone, and the other months are in the lists. */
static int
may_date(const char *s)
{
	for (const char *p = s; *p; p++) {
		const char *q;

		if (strncasecmp(p, "may", 3) != 0 ||
		    (p > s && word_byte((unsigned char)p[-1])) || word_byte((unsigned char)p[3]))
			continue;
		if (p[3] == ' ' && is_digit((unsigned char)p[4]))
			return 1;       /* "May 15" */
		for (q = p - 1; q > s && *q == ' '; q--)
			;
		while (q > s && word_byte((unsigned char)*q) && !is_digit((unsigned char)*q))
			q--;            /* "15th May" */
		if (q < p - 1 && is_digit((unsigned char)*q))
			return 1;
	}
	return 0;
}

static const char *const avail_lists[GR_LANG_COUNT] = {
	NULL, avail_en, avail_es, avail_pt, avail_fr, avail_de, avail_it
};
static const char *const time_lists[GR_LANG_COUNT] = {
	NULL, time_en, time_es, time_pt, time_fr, time_de, time_it
};

/* 1 if sentence s has a cue of kind lists in language l (English always;
 * every language when l is unknown). */
static int
has_cue(const char *s, const char *const *lists, gr_lang l)
{
	for (int k = 1; k < GR_LANG_COUNT; k++) {
		if (l != GR_LANG_UNKNOWN && k != GR_LANG_EN && k != (int)l)
			continue;
		/* Italian "estate", "sera" are English words too. */
		if (l == GR_LANG_UNKNOWN && k == GR_LANG_IT && lists == time_lists)
			continue;
		if (find_any(s, lists[k], NULL))
			return 1;
	}
	return 0;
}

/* --- lines --------------------------------------------------------------- */

typedef struct line {
	char *s;                /* NUL-terminated, trimmed on the right */
	int drop;
} line;

typedef struct lines {
	line *v;
	size_t n;
	char *buf;
} lines;

static gr_status
split_lines(const char *text, lines *out)
{
	size_t n = 1;
	char *p;

	memset(out, 0, sizeof *out);
	out->buf = gr_strndup(text, strlen(text) > EX_MAX_TEXT ? EX_MAX_TEXT :
	                      strlen(text));
	if (!out->buf)
		return GR_E_NOMEM;
	for (p = out->buf; *p; p++)
		n += *p == '\n';
	if (n > EX_MAX_LINES)
		n = EX_MAX_LINES;
	out->v = calloc(n, sizeof *out->v);
	if (!out->v) {
		free(out->buf);
		return GR_E_NOMEM;
	}
	for (p = out->buf; p && out->n < n;) {
		char *nl = strchr(p, '\n');
		size_t len;

		if (nl)
			*nl = '\0';
		for (char *q = p; *q; q++)    /* control characters to blanks */
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = ' ';
		len = strlen(p);
		while (len && is_blank(p[len - 1]))
			p[--len] = '\0';
		out->v[out->n++].s = p;
		p = nl ? nl + 1 : NULL;
	}
	return GR_OK;
}

static int
empty_line(const line *l)
{
	const char *s = l->s;

	while (is_blank(*s))
		s++;
	return *s == '\0';
}

static const char *
skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* Web-form labels: 1 name, 2 email, 3 phone, 4 message, 5 other. */
static int
form_label(const char *s, const char **value)
{
	static const struct {
		const char *w;
		int kind;
	} labels[] = {
		{ "name", 1 }, { "your name", 1 }, { "full name", 1 },
		{ "from", 1 }, { "nombre", 1 }, { "nome", 1 }, { "nom", 1 },
		{ "email", 2 }, { "e-mail", 2 }, { "your email", 2 },
		{ "email address", 2 }, { "correo", 2 }, { "phone", 3 },
		{ "telephone", 3 }, { "tel", 3 }, { "phone number", 3 },
		{ "tel\xc3\xa9" "fono", 3 }, { "telefone", 3 },
		{ "t\xc3\xa9l\xc3\xa9phone", 3 }, { "telefon", 3 },
		{ "telefono", 3 }, { "message", 4 }, { "message body", 4 },
		{ "your message", 4 }, { "comments", 4 }, { "mensaje", 4 },
		{ "mensagem", 4 }, { "nachricht", 4 }, { "messaggio", 4 },
		{ "subject", 5 }, { "asunto", 5 }, { "assunto", 5 },
		{ "betreff", 5 }, { "oggetto", 5 }, { "objet", 5 },
		{ "company", 5 }, { "website", 5 }, { "budget", 8 },
		{ "presupuesto", 8 }, { "or\xc3\xa7" "amento", 8 },
	};
	static const char place_l[] = "location\0city\0address\0where\0venue\0"
		"lieu\0ville\0ort\0ciudad\0cidade\0luogo\0localidad\0";
	static const char date_l[] = "date\0fecha\0data\0datum\0when\0";
	const char *p = skip_blanks(s), *colon;
	size_t ln;

	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		size_t n = strlen(labels[i].w);

		if (strncasecmp(p, labels[i].w, n) == 0 && p[n] == ':') {
			*value = skip_blanks(p + n + 1);
			return labels[i].kind;
		}
	}
	/* Any short "Label: value" line of a form ("Event date (if any):
	 * 08/21/2027", "What are you looking for?: Wedding"). */
	colon = strchr(p, ':');
	ln = colon ? (size_t)(colon - p) : 0;
	if (!colon || ln == 0 || ln > 40 || strlen(p) > 120 ||
	    !is_upper_at((const unsigned char *)p) ||
	    (colon[1] != ' ' && colon[1] != '\0') || memchr(p, '.', ln))
		return 0;
	*value = skip_blanks(colon + 1);
	{
		char lab[48];

		memcpy(lab, p, ln);
		lab[ln] = '\0';
		if (find_any(lab, place_l, NULL))
			return 6;
		if (find_any(lab, date_l, NULL))
			return 7;
	}
	return 9;
}

/* A line that is only a name: 1 to 4 words, each capitalised (or an
 * initial), no digits, at most 48 bytes, no sentence punctuation. */
static int
name_line(const char *s)
{
	const unsigned char *p = (const unsigned char *)skip_blanks(s);
	int words = 0;

	if (strlen((const char *)p) > 48 || !*p)
		return 0;
	while (*p) {
		if (!is_upper_at(p))
			return 0;
		words++;
		while (*p && *p != ' ') {
			if (is_digit(*p) || strchr(",:;!?@/()|", *p))
				return 0;
			p++;
		}
		while (*p == ' ')
			p++;
	}
	return words >= 1 && words <= 4;
}

/* A closing line: a closing phrase, then at most punctuation (and, on the
 * same line, a name: "Thanks, Kayla"). */
static int
closing_line(const char *s, char **name)
{
	const char *p = skip_blanks(s);
	size_t n;

	*name = NULL;
	if (strlen(p) > 60 || !find_any(p, closing_words, &n) ||
	    find_any(p, closing_words, NULL) != p)
		return 0;
	p += n;
	while (*p && strchr(" ,.!:-\xe2", *p) && !(p[0] == '\xe2' &&
	                                            p[1] != '\x80'))
		p++;
	if (!*p)
		return 1;
	if (name_line(p)) {
		*name = gr_strdup(p);
		return 1;
	}
	return 0;
}

static int
phone_only(const char *s)
{
	const char *p = skip_blanks(s);
	int digits = 0;

	for (; *p; p++) {
		if (is_digit((unsigned char)*p))
			digits++;
		else if (!strchr(" +-.()/", *p) && !(strncasecmp(p, "tel", 3) == 0) &&
		         !(strncasecmp(p, "cell", 4) == 0) &&
		         !(strncasecmp(p, "mobile", 6) == 0))
			return 0;
		else if (*p == 't' || *p == 'T' || *p == 'c' || *p == 'C' ||
		         *p == 'm' || *p == 'M')
			p += strcspn(p, " :+0123456789") - 1;
	}
	return digits >= 7;
}

/* The greeting at the start of s: its length (the whole line when it is
 * short and ends like a greeting, "Buenas tardes, Sra. Torres:"; else
 * through the first comma, colon or exclamation mark, "Hi Maya, we're
 * looking..."), with the blanks after; or 0. */
static size_t
greeting_len(const char *s)
{
	size_t n, len = strlen(s);
	const char *g = find_any(s, greet_words, &n), *p;

	if (g != s)
		return 0;
	if (len < 64 && len && strchr(",:!", s[len - 1]))
		return len;
	for (p = s + n; *p && p - s < 64; p++)
		if (*p == ',' || *p == ':' || *p == '!' ||
		    (p[0] == '\xe2' && p[1] == '\x80' && p[2] == '\x94')) {
			p += *p == '\xe2' ? 3 : 1;
			while (*p == '!' || *p == ',')
				p++;
			return (size_t)(skip_blanks(p) - s);
		}
	/* "Hi Maya" alone on its line. */
	if (len < 48 && !strpbrk(s, ".?"))
		return len;
	return 0;
}

/* --- sentences ----------------------------------------------------------- */

static const char abbrevs[] =
	"dr\0mr\0mrs\0ms\0st\0sr\0sra\0srta\0jr\0vs\0etc\0e.g\0i.e\0approx\0"
	"no\0nr\0dott\0sig\0ca\0bzw\0z.b\0av\0ave\0blvd\0prof\0dra\0mme\0"
	"inc\0ltd\0co\0apt\0tel\0ext\0";

/* 1 if the word ending just before the '.' at e is an abbreviation or an
 * initial. */
static int
abbrev_before(const char *start, const char *e)
{
	const char *w = e;
	char buf[16];
	size_t n;

	while (w > start && (word_byte((unsigned char)w[-1]) || w[-1] == '.'))
		w--;
	n = (size_t)(e - w);
	if (n == 1 && is_upper_at((const unsigned char *)w))
		return 1;               /* an initial: "J. Smith" */
	if (n == 0 || n >= sizeof buf)
		return 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)lower_c((unsigned char)w[i]);
	buf[n] = '\0';
	for (const char *a = abbrevs; *a; a += strlen(a) + 1)
		if (strcmp(a, buf) == 0)
			return 1;
	return 0;
}

/* Bounded copy of [s, s+n) with blanks collapsed; cut at a word with "…"
 * past max bytes. */
static char *
sentence_copy(const char *s, size_t n, size_t max)
{
	gr_buf b;
	int blank = 0;

	gr_buf_init(&b, max + 8);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			blank = b.len > 0;
			continue;
		}
		if (blank)
			gr_buf_addc(&b, ' ');
		blank = 0;
		gr_buf_addc(&b, (char)c);
		if (b.len >= max)
			break;
	}
	if (b.len >= max) {
		while (b.len && b.data[b.len - 1] != ' ')
			b.len--;
		while (b.len && b.data[b.len - 1] == ' ')
			b.len--;
		if (b.data)
			b.data[b.len] = '\0';
		gr_buf_addstr(&b, "\xe2\x80\xa6");
	}
	if (!b.data)
		gr_buf_addstr(&b, "");
	return gr_buf_steal(&b);
}

/* Sentences, each with the paragraph it belongs to. */
typedef struct sentv {
	char **v;
	int *para;
	size_t n, cap;
	int cur;                /* paragraph of the next push */
} sentv;

static void
sentv_free(sentv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	free(sv->para);
}

static gr_status
sentv_push(sentv *sv, char *s)
{
	if (!s)
		return GR_E_NOMEM;
	if (!*s || sv->n >= 512) {
		free(s);
		return GR_OK;
	}
	if (sv->n == sv->cap) {
		size_t nc = sv->cap ? sv->cap * 2 : 16;
		char **nv = realloc(sv->v, nc * sizeof *nv);
		int *np;

		if (!nv) {
			free(s);
			return GR_E_NOMEM;
		}
		sv->v = nv;
		np = realloc(sv->para, nc * sizeof *np);
		if (!np) {
			free(s);
			return GR_E_NOMEM;
		}
		sv->para = np;
		sv->cap = nc;
	}
	sv->para[sv->n] = sv->cur;
	sv->v[sv->n++] = s;
	return GR_OK;
}

/* Sentences of one paragraph. */
static gr_status
split_sentences(const char *para, sentv *out)
{
	out->cur++;
	const char *s = para, *p = para;
	gr_status st = GR_OK;

	while (*p && st == GR_OK) {
		const char *e;

		if (!(*p == '.' || *p == '?' || *p == '!' ||
		      (p[0] == '\xe2' && p[1] == '\x80' && p[2] == '\xa6'))) {
			p++;
			continue;
		}
		e = p;
		while (*e == '.' || *e == '?' || *e == '!' ||
		       (e[0] == '\xe2' && e[1] == '\x80' && e[2] == '\xa6'))
			e += *e == '\xe2' ? 3 : 1;
		while (*e == ')' || *e == '"' || *e == '\'' ||
		       (e[0] == '\xe2' && e[1] == '\x80' &&
		        (e[2] == '\x9d' || e[2] == '\x99')) ||
		       (e[0] == '\xc2' && e[1] == '\xbb'))
			e += (unsigned char)*e >= 0x80 ? ((unsigned char)*e == 0xC2 ?
			                                  2 : 3) : 1;
		if (*p == '.' && p > s && is_digit((unsigned char)p[-1]) &&
		    is_digit((unsigned char)p[1])) {
			p++;
			continue;       /* 2.5, 7.125% */
		}
		if (*p == '.' && e == p + 1 && abbrev_before(s, p)) {
			p++;
			continue;
		}
		if (*e && *e != ' ') {
			p = e;
			continue;       /* "torreshomes.com", "?!x" */
		}
		{
			const unsigned char *nx = (const unsigned char *)e;

			while (*nx == ' ')
				nx++;
			/* A '.' before a lower-case word is no sentence end
			 * ("approx. 40"); '?' and '!' always end one. */
			if (*p == '.' && *nx && !is_upper_at(nx) && !is_digit(*nx) &&
			    !strchr("\"'(\xc2\xe2", *nx)) {
				p = e;
				continue;
			}
		}
		st = sentv_push(out, sentence_copy(s, (size_t)(e - s),
		                                   GR_EXTRACT_MAX_SENTENCE));
		s = p = e;
		while (*s == ' ')
			s++, p++;
	}
	if (st == GR_OK && *skip_blanks(s))
		st = sentv_push(out, sentence_copy(s, strlen(s),
		                                   GR_EXTRACT_MAX_SENTENCE));
	return st;
}

static int
is_question(const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ')' || s[n - 1] == '"' || s[n - 1] == ' ' ||
	             (unsigned char)s[n - 1] >= 0x80)) {
		/* skip closing quotes and emoji at the end */
		if ((unsigned char)s[n - 1] >= 0x80) {
			size_t k = n - 1;

			while (k && ((unsigned char)s[k] & 0xC0) == 0x80)
				k--;
			/* "？" fullwidth question mark */
			if (n - k == 3 && memcmp(s + k, "\xef\xbc\x9f", 3) == 0)
				return 1;
			n = k;
			continue;
		}
		n--;
	}
	return n && s[n - 1] == '?';
}

/* --- shapes: phones, amounts, places ------------------------------------- */

void
gr_extract_tel(const char *phone, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = phone; p && *p && o + 1 < outlen; p++) {
		if (*p == '+' && o == 0)
			out[o++] = '+';
		else if (is_digit((unsigned char)*p))
			out[o++] = *p;
	}
	out[o] = '\0';
}

/* A phone number starting at p: its length, or 0.  Groups of digits
 * joined by single blanks, hyphens or dots, an optional leading "+" or
 * "(area)": 10 to 13 digits, or 8 to 15 after "+", or 9 to 12 after a
 * leading 0 (a trunk prefix). */
static size_t
phone_at(const char *text, const char *p)
{
	const char *q = p;
	int digits = 0, groups = 0, open = 0;
	int plus = *p == '+', paren = *p == '(';

	if (p > text && (word_byte((unsigned char)p[-1]) || p[-1] == '$' ||
	                 p[-1] == '.' || p[-1] == ',' || p[-1] == '-' ||
	                 p[-1] == '/' || p[-1] == ':'))
		return 0;
	if (plus || paren) {
		q++;
		open = paren;
		if (!is_digit((unsigned char)*q))
			return 0;
	} else if (!is_digit((unsigned char)*p)) {
		return 0;
	}
	for (;;) {
		if (!is_digit((unsigned char)*q))
			break;
		while (is_digit((unsigned char)*q))
			q++, digits++;
		groups++;
		if (open && *q == ')') {
			open = 0;
			q++;
			if (*q == ' ' && is_digit((unsigned char)q[1]))
				q++;
			continue;
		}
		if ((*q == '-' || *q == ' ' || *q == '.') &&
		    is_digit((unsigned char)q[1])) {
			q++;
			continue;
		}
		if (*q == ' ' && q[1] == '(' && is_digit((unsigned char)q[2])) {
			q += 2;
			open = 1;
			continue;
		}
		break;
	}
	if (open || word_byte((unsigned char)*q) || *q == '%' || *q == '/' ||
	    (*q == '.' && is_digit((unsigned char)q[1])))
		return 0;
	if (plus && digits >= 8 && digits <= 15 && groups >= 2)
		return (size_t)(q - p);
	if (digits >= 10 && digits <= 13 && (paren || groups >= 3))
		return (size_t)(q - p);
	if (*p == '0' && digits >= 9 && digits <= 12 && groups >= 2)
		return (size_t)(q - p);
	return 0;
}

static gr_status
add_phones(const char *text, const char *exclude, gr_strv *out)
{
	gr_status st = GR_OK;

	for (const char *p = text; p && *p && st == GR_OK; p++) {
		size_t n = phone_at(text, p);
		char *ph, tel[32], other[32];
		int dup = 0;

		if (!n)
			continue;
		ph = sentence_copy(p, n, 40);
		if (!ph)
			return GR_E_NOMEM;
		gr_extract_tel(ph, tel, sizeof tel);
		for (size_t i = 0; i < out->n && !dup; i++) {
			gr_extract_tel(out->v[i], other, sizeof other);
			dup = strcmp(other, tel) == 0;
		}
		for (const char *x = exclude; x && *x && !dup; x++) {
			size_t m = phone_at(exclude, x);

			if (m) {
				char *xp = gr_strndup(x, m);

				if (xp) {
					gr_extract_tel(xp, other, sizeof other);
					dup = strcmp(other, tel) == 0;
					free(xp);
				}
				x += m - 1;
			}
		}
		if (dup || out->n >= GR_EXTRACT_MAX_ITEMS)
			free(ph);
		else
			st = gr_strv_push_owned(out, ph);
		p += n - 1;
	}
	return st;
}

/* An amount at p: "$525-575k", "$480,000", "2.000 €", "R$ 3.500". */
static size_t
amount_at(const char *p)
{
	const char *q = p;
	int cur = 0;

	if (*q == '$' || strncmp(q, "\xe2\x82\xac", 3) == 0 ||
	    strncmp(q, "\xc2\xa3", 2) == 0 || strncmp(q, "R$", 2) == 0 ||
	    strncmp(q, "US$", 3) == 0) {
		q += *q == '$' ? 1 : *q == 'R' ? 2 : *q == 'U' ? 3 :
		     *q == '\xe2' ? 3 : 2;
		cur = 1;
		while (*q == ' ')
			q++;
	}
	if (!is_digit((unsigned char)*q))
		return 0;
	for (int range = 0; range < 2; range++) {
		while (is_digit((unsigned char)*q) || ((*q == ',' || *q == '.') &&
		       is_digit((unsigned char)q[1])))
			q++;
		if (*q == 'k' || *q == 'K' || *q == 'm' || *q == 'M')
			if (!word_byte((unsigned char)q[1]))
				q++;
		if (range == 0 && (*q == '-' || strncmp(q, "\xe2\x80\x93", 3) == 0) &&
		    (is_digit((unsigned char)q[*q == '-' ? 1 : 3]) ||
		     q[*q == '-' ? 1 : 3] == '$')) {
			q += *q == '-' ? 1 : 3;
			q += *q == '$';
			continue;
		}
		break;
	}
	if (!cur) {
		const char *r = q;

		while (*r == ' ')
			r++;
		if (strncmp(r, "\xe2\x82\xac", 3) == 0)
			return (size_t)(r + 3 - p);
		if (strncasecmp(r, "euros", 5) == 0 || strncasecmp(r, "eur", 3) == 0 ||
		    strncasecmp(r, "dollars", 7) == 0 || strncasecmp(r, "usd", 3) == 0 ||
		    strncasecmp(r, "reais", 5) == 0 || strncasecmp(r, "chf", 3) == 0)
			return (size_t)(r + strcspn(r, " ,.;)") - p);
		return 0;
	}
	return (size_t)(q - p);
}

static char *
find_budget(const sentv *sents)
{
	for (size_t i = 0; i < sents->n; i++) {
		const char *s = sents->v[i];

		if (!find_any(s, budget_words, NULL))
			continue;
		for (const char *p = s; *p; p++) {
			size_t n = amount_at(p);

			if (n && !(p > s && word_byte((unsigned char)p[-1]) &&
			           *p != '$'))
				return sentence_copy(p, n, 60);
		}
	}
	return NULL;
}

static const char place_preps[] =
	"in\0near\0around\0close to\0outside\0looking at\0en\0cerca de\0por\0"
	"em\0no\0na\0"
	"perto de\0\xc3\xa0\0pr\xc3\xa8s de\0dans\0bei\0nahe\0in der n\xc3\xa4he von\0"
	"a\0vicino a\0";
static const char place_joins[] =
	"and\0or\0y\0o\0e\0ou\0und\0oder\0&\0";

static size_t
cap_word(const char *p)
{
	const unsigned char *q = (const unsigned char *)p;
	char w[32];
	size_t n;

	if (!is_upper_at(q))
		return 0;
	while (*q && (is_alpha_at(q) || *q == '-' || *q == '\'' || *q == '.')) {
		if (*q == '.' && !(q[1] && is_alpha_at(q + 1)))
			break;
		q += *q >= 0xC0 ? (*q >= 0xE0 ? 3 : 2) : 1;
	}
	n = (size_t)(q - (const unsigned char *)p);
	if (n >= sizeof w)
		return n;
	for (size_t i = 0; i < n; i++)
		w[i] = (char)lower_c((unsigned char)p[i]);
	w[n] = '\0';
	for (const char *x = not_place; *x; x += strlen(x) + 1)
		if (strcmp(x, w) == 0)
			return 0;
	/* all capitals of 4 letters or more: an acronym, not a place */
	return n;
}

static gr_status
add_places(const char *s, gr_strv *out)
{
	for (const char *p = s; *p && out->n < GR_EXTRACT_MAX_ITEMS; p++) {
		size_t n, w;
		const char *a, *e;

		if (p > s && word_byte((unsigned char)p[-1]))
			continue;
		n = 0;
		for (const char *pr = place_preps; *pr; pr += strlen(pr) + 1)
			if ((n = phrase_at(p, pr)) != 0 && p[n] == ' ')
				break;
			else
				n = 0;
		if (!n)
			continue;
		a = p + n + 1;
		if (strncmp(a, "the ", 4) == 0)
			a += 4;
		e = a;
		while ((w = cap_word(e)) != 0) {
			const char *nx = e + w;
			size_t j;

			e = nx;
			if (*nx == ' ' && cap_word(nx + 1) != 0) {
				e = nx + 1;
				continue;
			}
			if (*nx == ' ') {
				for (const char *jn = place_joins; *jn;
				     jn += strlen(jn) + 1)
					if ((j = phrase_at(nx + 1, jn)) != 0 &&
					    nx[1 + j] == ' ' && cap_word(nx + 2 + j)) {
						e = nx + 2 + j;
						break;
					}
				if (e != nx)
					continue;
			}
			break;
		}
		if (e > a && (size_t)(e - a) <= EX_MAX_PLACE) {
			char *pl = sentence_copy(a, (size_t)(e - a), EX_MAX_PLACE);

			if (!pl)
				return GR_E_NOMEM;
			if (gr_strv_contains_ci(out, pl))
				free(pl);
			else if (gr_strv_push_owned(out, pl) != GR_OK)
				return GR_E_NOMEM;
			p = e - 1;
		}
	}
	return GR_OK;
}

/* --- the reading --------------------------------------------------------- */

/* 1 if line s starts with the first word of name (any case). */
static int
same_first(const char *s, const char *name)
{
	size_t a, b;

	if (!name || !*name)
		return 0;
	s = skip_blanks(s);
	name = skip_blanks(name);
	a = strcspn(s, " ,");
	b = strcspn(name, " ,");
	return a == b && a > 1 && strncasecmp(s, name, a) == 0;
}

static void
clean_lines(lines *L, gr_extract *x, gr_strv *form_phones, const char *sender)
{
	size_t first = 0, nform = 0, seen = 0;
	int in_para_start = 1, paras = 0;

	/* A web form: two field lines or more among the first lines. */
	for (size_t i = 0; i < L->n && seen < 12; i++) {
		const char *v;

		if (empty_line(&L->v[i]))
			continue;
		seen++;
		if (form_label(L->v[i].s, &v))
			nform++;
		else if (find_any(L->v[i].s, boiler_words, NULL))
			nform++;        /* "You have a new lead!" */
	}
	x->web_form = nform >= 2;
	for (size_t i = 0; i < L->n; i++) {
		line *l = &L->v[i];
		const char *v;
		int kind;

		if (x->web_form && (kind = form_label(l->s, &v)) != 0) {
			if (kind == 1 && !x->form_name && *v) {
				x->form_name = gr_strndup(v, strcspn(v, "<"));
				if (x->form_name)
					gr_str_trim(x->form_name);
			} else if (kind == 2 && !x->form_email && *v) {
				x->form_email = gr_strdup(v);
			} else if (kind == 3 && *v) {
				gr_strv_push(form_phones, v);
			}
			if (kind == 6 && *v && x->places.n < GR_EXTRACT_MAX_ITEMS)
				gr_strv_push(&x->places, v);
			if (kind == 7 && *v && x->timing.n < GR_EXTRACT_MAX_ITEMS)
				gr_strv_push(&x->timing, skip_blanks(l->s));
			if (kind == 8 && *v && !x->budget)
				x->budget = gr_strndup(v, 60);
			if (kind == 4 && *v)
				memmove(l->s, v, strlen(v) + 1);
			else
				l->drop = 1;
			continue;
		}
		if (strlen(l->s) < 80 && find_any(skip_blanks(l->s) +
		    (*skip_blanks(l->s) == '('), footer_words, NULL) ==
		    skip_blanks(l->s) + (*skip_blanks(l->s) == '(')) {
			l->drop = 1;
			continue;
		}
		if (find_any(l->s, bcc_words, NULL)) {
			x->moved_to_bcc = 1;
			if (strlen(l->s) < 100)
				l->drop = 1;
		}
		if (find_any(l->s, copy_words, NULL))
			x->copy_asked = 1;
	}
	/* The greeting: at the start of the first two paragraphs. */
	for (size_t i = 0; i < L->n && paras < 2; i++) {
		line *l = &L->v[i];
		size_t g;

		if (l->drop)
			continue;
		if (empty_line(l)) {
			in_para_start = 1;
			continue;
		}
		if (!in_para_start)
			continue;
		in_para_start = 0;
		paras++;
		g = greeting_len(skip_blanks(l->s));
		if (g) {
			char *s = (char *)skip_blanks(l->s);

			memmove(s, s + g, strlen(s + g) + 1);
			if (!*skip_blanks(s))
				l->drop = 1;
			else if (*s >= 'a' && *s <= 'z')
				*s = (char)(*s - 32);   /* "nice to meet you" */
		} else if (paras == 1 && name_line(l->s) && strlen(l->s) < 24 &&
		           (i + 1 == L->n || empty_line(&L->v[i + 1]))) {
			l->drop = 1;    /* "Maya," alone: name_line rejects ',' */
		}
		first = i;
	}
	(void)first;
	/* The sign-off from the bottom: phone lines, the name, the closing. */
	for (int pass = 0; pass < 8; pass++) {
		size_t k = L->n;
		char *nm = NULL;

		while (k > 0 && (L->v[k - 1].drop || empty_line(&L->v[k - 1])))
			k--;
		if (k == 0)
			break;
		if (phone_only(L->v[k - 1].s)) {
			gr_strv_push(form_phones, L->v[k - 1].s);
			L->v[k - 1].drop = 1;
		} else if (closing_line(L->v[k - 1].s, &nm)) {
			L->v[k - 1].drop = 1;
			if (nm && !x->signoff)
				x->signoff = nm;
			else
				free(nm);
			break;
		} else if (name_line(L->v[k - 1].s) && !x->signoff &&
		           ((k >= 2 && (closing_line(L->v[k - 2].s, &nm) ||
		                        empty_line(&L->v[k - 2]) ||
		                        phone_only(L->v[k - 2].s))) ||
		            same_first(L->v[k - 1].s, sender) ||
		            same_first(L->v[k - 1].s, x->form_name))) {
			free(nm);
			x->signoff = gr_strdup(skip_blanks(L->v[k - 1].s));
			L->v[k - 1].drop = 1;
		} else {
			break;
		}
	}
}

static gr_status
read_sentences(gr_extract *x, const lines *L, sentv *sents, gr_buf *clean)
{
	gr_buf para;
	gr_status st = GR_OK;
	int in_item = 0;

	gr_buf_init(&para, EX_MAX_TEXT);
	for (size_t i = 0; i <= L->n && st == GR_OK; i++) {
		const line *l = i < L->n ? &L->v[i] : NULL;
		const char *s = l ? skip_blanks(l->s) : "";
		int item = l && (strncmp(s, "- ", 2) == 0 ||
		                 strncmp(s, "* ", 2) == 0 ||
		                 strncmp(s, "\xe2\x80\xa2 ", 4) == 0 ||
		                 (is_digit((unsigned char)s[0]) &&
		                  (s[1] == '.' || s[1] == ')') && s[2] == ' '));
		/* A list item wrapped onto the next line ("- how many words
		 * per\n  week?"): indented, or going on in lower case. */
		int more = l && in_item && !item && !empty_line(l) &&
		           (s != l->s || (*s >= 'a' && *s <= 'z'));

		if (l && l->drop)
			continue;
		if (!l || empty_line(l) || item || (in_item && !more)) {
			if (para.len) {
				st = split_sentences(para.data, sents);
				para.len = 0;
				para.data[0] = '\0';
			}
			if (!l)
				break;
			if (empty_line(l)) {
				in_item = 0;
				if (clean->len && clean->data[clean->len - 1] != '\n')
					gr_buf_addstr(clean, "\n");
				else if (clean->len > 1 &&
				         clean->data[clean->len - 2] != '\n')
					gr_buf_addstr(clean, "\n");
				continue;
			}
		}
		in_item = item || more;
		if (para.len)
			gr_buf_addc(&para, ' ');
		gr_buf_addstr(&para, item ? s + (s[0] == '\xe2' ? 4 : 2) : s);
		gr_buf_addstr(clean, s);
		gr_buf_addc(clean, '\n');
	}
	gr_buf_free(&para);
	(void)x;
	return st;
}

static gr_status
push_item(gr_strv *v, const char *s)
{
	if (v->n >= GR_EXTRACT_MAX_ITEMS || gr_strv_contains_ci(v, s))
		return GR_OK;
	return gr_strv_push(v, s);
}

/* Words that open a sentence leaning on the one before ("Could we set one
 * up?", "Is it still available?"). */
static const char leaning[] =
	"it\0is it\0one\0that\0this\0those\0these\0could we\0can we\0"
	"would you\0do you\0does it\0is that\0lo\0la\0eso\0esto\0"
	"isso\0isto\0\xc3\xa7" "a\0cela\0das\0dies\0questo\0ci\xc3\xb2\0";

/* The asks: runs of consecutive asking sentences of one paragraph, quoted
 * together (with the sentence before when the first leans on it), one
 * item each. */
static gr_status
build_asks(gr_extract *x, const sentv *sents, const unsigned char *ask)
{
	gr_status st = GR_OK;
	unsigned char *used = calloc(sents->n ? sents->n : 1, 1);

	if (!used)
		return GR_E_NOMEM;
	for (size_t i = 0; i < sents->n && st == GR_OK &&
	     x->asks.n < GR_EXTRACT_MAX_ITEMS; i++) {
		size_t a = i, b = i;
		gr_buf blk;

		if (!ask[i])
			continue;
		while (b + 1 < sents->n && ask[b + 1] &&
		       sents->para[b + 1] == sents->para[i] && b - a < 3)
			b++;
		if (a > 0 && !used[a - 1] && !ask[a - 1] &&
		    sents->para[a - 1] == sents->para[a] &&
		    (strlen(sents->v[a]) < 60 || find_any(sents->v[a], leaning,
		                                           NULL) == sents->v[a]) &&
		    strlen(sents->v[a - 1]) < GR_EXTRACT_MAX_SENTENCE / 2)
			a--;
		gr_buf_init(&blk, GR_EXTRACT_MAX_SENTENCE * 5);
		for (size_t k = a; k <= b; k++) {
			if (k > a)
				gr_buf_addc(&blk, ' ');
			gr_buf_addstr(&blk, sents->v[k]);
			used[k] = 1;
		}
		if (blk.data)
			st = push_item(&x->asks, blk.data);
		gr_buf_free(&blk);
		i = b;
	}
	free(used);
	return st;
}

static gr_status
classify_sentences(gr_extract *x, sentv *sents)
{
	gr_status st = GR_OK;
	unsigned char *ask = calloc(sents->n ? sents->n : 1, 1);

	if (!ask)
		return GR_E_NOMEM;
	for (size_t i = 0; i < sents->n && st == GR_OK; i++) {
		const char *s = sents->v[i];
		int q;

		if (find_any(s, boiler_words, NULL)) {
			const char *sy = find_any(s, "sent you a message\0"
			                          "has sent you a message\0", NULL);

			/* "Nadia Haddad sent you a message": her name */
			if (sy && !x->form_name && sy > s) {
				char *nm = gr_strndup(s, (size_t)(sy - s));

				if (nm && name_line(gr_str_trim(nm)))
					x->form_name = nm;
				else
					free(nm);
			}
			sents->v[i][0] = '\0';   /* the platform's, not theirs */
			continue;
		}
		q = (is_question(s) && find_any(s, smalltalk, NULL) != s) ||
		        find_any(s, indirect_q, NULL);
		int av;
		int tm;

		av = (has_cue(s, avail_lists, x->lang) || clock_cue(s)) &&
		         find_any(s, meet_words, NULL);
		tm = has_cue(s, time_lists, x->lang) || may_date(s);

		if (q)
			st = push_item(&x->questions, s);
		if (st == GR_OK && av)
			st = push_item(&x->availability, s);
		if (st == GR_OK && tm)
			st = push_item(&x->timing, s);
		ask[i] = (unsigned char)(q || av);
		if (find_any(s, call_words, NULL))
			x->wants_call = 1;
		if (find_any(s, norush_words, NULL))
			x->no_rush = 1;
		if (find_any(s, later_words, NULL))
			x->later = 1;
		if (st == GR_OK)
			st = add_places(s, &x->places);
	}
	if (st == GR_OK)
		st = build_asks(x, sents, ask);
	free(ask);
	return st;
}

static char *
make_excerpt(const sentv *sents)
{
	gr_buf b;

	gr_buf_init(&b, GR_EXTRACT_MAX_EXCERPT + 8);
	for (size_t i = 0, used = 0; i < sents->n; i++) {
		size_t n = strlen(sents->v[i]);

		if (!n)
			continue;
		if (used++ >= 3)
			break;
		if (b.len && b.len + 1 + n > GR_EXTRACT_MAX_EXCERPT)
			break;
		if (b.len)
			gr_buf_addc(&b, ' ');
		if (n > GR_EXTRACT_MAX_EXCERPT) {
			char *c = sentence_copy(sents->v[i], n,
			                        GR_EXTRACT_MAX_EXCERPT);

			gr_buf_addstr(&b, c ? c : "");
			free(c);
			break;
		}
		gr_buf_addstr(&b, sents->v[i]);
	}
	if (!b.data)
		gr_buf_addstr(&b, "");
	return gr_buf_steal(&b);
}

void
gr_extract_free(gr_extract *x)
{
	if (!x)
		return;
	free(x->text);
	gr_strv_free(&x->questions);
	gr_strv_free(&x->availability);
	gr_strv_free(&x->timing);
	gr_strv_free(&x->asks);
	free(x->budget);
	gr_strv_free(&x->phones);
	gr_strv_free(&x->places);
	free(x->excerpt);
	free(x->signoff);
	free(x->form_name);
	free(x->form_email);
	memset(x, 0, sizeof *x);
}

static gr_status
extract_run(const char *text, const char *signature,
            const char *exclude_phones, const char *sender, gr_extract *x)
{
	lines L;
	sentv sents = { 0 };
	gr_strv form_phones = { 0 };
	gr_buf clean;
	gr_status st;

	memset(x, 0, sizeof *x);
	st = split_lines(text ? text : "", &L);
	if (st != GR_OK)
		return st;
	clean_lines(&L, x, &form_phones, sender);
	gr_buf_init(&clean, EX_MAX_TEXT);
	st = read_sentences(x, &L, &sents, &clean);
	if (st == GR_OK) {
		while (clean.len && clean.data[clean.len - 1] == '\n')
			clean.data[--clean.len] = '\0';
		x->text = clean.data ? gr_buf_steal(&clean) : gr_strdup("");
		x->lang = gr_lang_detect(x->text);
		if (x->lang == GR_LANG_UNKNOWN)
			x->lang = gr_lang_detect(text);
		x->formal = gr_lang_formal(x->lang, text);
		st = x->text ? classify_sentences(x, &sents) : GR_E_NOMEM;
	}
	if (st == GR_OK) {
		if (!x->budget)         /* a form's budget field first */
			x->budget = find_budget(&sents);
		x->excerpt = make_excerpt(&sents);
		if (!x->excerpt)
			st = GR_E_NOMEM;
	}
	for (size_t i = 0; st == GR_OK && i < form_phones.n; i++)
		st = add_phones(form_phones.v[i], exclude_phones, &x->phones);
	if (st == GR_OK && x->text)
		st = add_phones(x->text, exclude_phones, &x->phones);
	if (st == GR_OK && signature)
		st = add_phones(signature, exclude_phones, &x->phones);
	gr_buf_free(&clean);
	gr_strv_free(&form_phones);
	sentv_free(&sents);
	free(L.v);
	free(L.buf);
	if (st != GR_OK)
		gr_extract_free(x);
	return st;
}

gr_status
gr_extract_text(const char *text, const char *signature,
                const char *exclude_phones, gr_extract *x)
{
	return extract_run(text, signature, exclude_phones, NULL, x);
}

gr_status
gr_extract_message(const gr_message *m, const char *exclude_phones,
                   gr_extract *x)
{
	const char *t = m->new_text && *m->new_text ? m->new_text : m->text;
	const gr_addr *ra = gr_message_reply_addr(m);
	const char *who = ra && ra->name && *ra->name ? ra->name : m->from.name;

	return extract_run(t, m->signature, exclude_phones, who, x);
}

/* --- authentication results (RFC 8601) ----------------------------------- */

/* 1 if the value at v (up to a blank or ';') names domain dom or a
 * subdomain of it ("@dom", "x@dom", "dom", "mail.dom"). */
static int
names_domain(const char *v, const char *dom)
{
	size_t n = strcspn(v, " \t;()\r\n"), k = strlen(dom);
	const char *at = memchr(v, '@', n);

	if (at) {
		n -= (size_t)(at + 1 - v);
		v = at + 1;
	}
	if (n < k)
		return 0;
	if (strncasecmp(v + n - k, dom, k) != 0)
		return 0;
	return n == k || v[n - k - 1] == '.';
}

/* What one Authentication-Results value says of domain dom: 1 a pass for
 * it (a DMARC pass, a DKIM signature of dom, an SPF pass for dom), -1
 * results and none of them a pass, 0 no DKIM, SPF or DMARC result. */
static int
auth_value(const char *ar, const char *dom)
{
	int any = 0;

	/* Each result "method=result props..." up to the next ';' (the
	 * first piece is the authserv-id, which matches no method). */
	for (const char *p = ar; *p;) {
		size_t n = strcspn(p, ";");
		char res[1024];
		const char *q;

		snprintf(res, sizeof res, "%.*s", (int)(n < sizeof res ? n :
		         sizeof res - 1), p);
		q = res;
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (strncasecmp(q, "dmarc=pass", 10) == 0) {
			return 1;
		} else if (strncasecmp(q, "dkim=pass", 9) == 0 && *dom) {
			const char *d = strstr(res, "header.d=");
			const char *i = strstr(res, "header.i=");

			if ((d && names_domain(d + 9, dom)) ||
			    (i && names_domain(i + 9, dom)))
				return 1;
		} else if (strncasecmp(q, "spf=pass", 8) == 0 && *dom) {
			const char *mf = strstr(res, "smtp.mailfrom=");

			if (mf && names_domain(mf + 14, dom))
				return 1;
		}
		any |= strncasecmp(q, "dkim=", 5) == 0 ||
		       strncasecmp(q, "spf=", 4) == 0 ||
		       strncasecmp(q, "dmarc=", 6) == 0;
		p += n + (p[n] == ';');
	}
	return any ? -1 : 0;
}

/* 1 if the authserv-id of Authentication-Results value v (its first
 * word) is one of ids (ASCII case ignored). */
static int
authserv_in(const char *v, const gr_strv *ids)
{
	size_t n;

	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	n = strcspn(v, " \t\r\n;(");
	for (size_t i = 0; i < ids->n; i++)
		if (strlen(ids->v[i]) == n && strncasecmp(v, ids->v[i], n) == 0)
			return 1;
	return 0;
}

int
gr_extract_auth(const gr_message *m, const gr_strv *ids)
{
	const char *from = m->from.addr, *dom;
	int verdict = 0, run = 0;

	dom = from ? strchr(from, '@') : NULL;
	dom = dom ? dom + 1 : "";
	if (!ids || !ids->n) {
		const char *ar = gr_message_header(m, "Authentication-Results");

		return ar ? auth_value(ar, dom) : 0;
	}
	/* The owner's servers' fields: the first with one of their ids and
	 * those right below it (a server may write one per method).  Any
	 * further down stand among the fields the sender wrote. */
	for (size_t i = 0; i < m->n_headers; i++) {
		const gr_header *h = &m->headers[i];

		if (gr_strcaseeq(h->name, "Authentication-Results") &&
		    h->value && authserv_in(h->value, ids)) {
			int r = auth_value(h->value, dom);

			verdict = r > 0 || verdict > 0 ? 1 : r < 0 ? -1 : verdict;
			run = 1;
		} else if (run) {
			break;
		}
	}
	return verdict;
}
