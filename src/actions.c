/* SPDX-License-Identifier: MIT */
/*
 * actions.c - the "actions" policy of a rules directory, the tone lint of
 * its templates, and the plan of outputs (reminder .ics, draft .eml) for one
 * classified message.
 *
 * Implements the safety rule of RFC 3834 section 2: no draft is ever made
 * for machine-generated mail, whatever the policy says.
 * Output names follow RFC 5545 (UID) and RFC 5322 (msg-id) syntax.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "gravity/actions.h"
#include "gravity/bhours.h"
#include "gravity/buf.h"
#include "gravity/calendar.h"
#include "gravity/draft.h"
#include "gravity/fileio.h"
#include "gravity/template.h"
#include "gravity/util.h"

#define ACT_MAX_FILE    (1u << 20)
#define ACT_MAX_TEXT    (256u << 10)
#define ACT_EXCERPT     240     /* bytes of the excerpt */
#define ACT_QUOTE_LINES 40      /* default lines of the original quoted */
#define ACT_QUOTE_BYTES 4000

typedef enum act_role {
	ROLE_NONE = -1,
	ROLE_SENDER = 0,
	ROLE_NEW_CONTACT,
	ROLE_INTRODUCER,
	ROLE_PARTNER,
	ROLE_COUNT
} act_role;

static const char *const role_names[ROLE_COUNT] = {
	"sender", "new_contact", "introducer", "partner"
};

enum {
	COND_PARTNER    = 1 << 0,
	COND_NO_PARTNER = 1 << 1,
	COND_OPT_IN     = 1 << 2,
	COND_DIRECT     = 1 << 3,
	COND_KNOWN      = 1 << 4,
	COND_UNKNOWN    = 1 << 5,
};

static const struct {
	const char *name;
	unsigned bit;
} cond_names[] = {
	{ "partner", COND_PARTNER }, { "no-partner", COND_NO_PARTNER },
	{ "opt-in", COND_OPT_IN }, { "direct", COND_DIRECT },
	{ "known", COND_KNOWN }, { "unknown", COND_UNKNOWN },
};

typedef struct act_item {
	int is_draft;
	char *action;
	unsigned conds;         /* all must hold */
	gr_due due;             /* remind */
	act_role who;           /* remind: whose name the summary gives */
	gr_template *summary;   /* remind: NULL for the default */
	act_role to;            /* draft */
	unsigned cc, bcc;       /* draft: role bit sets */
	gr_template *tpl;       /* draft */
	int quote;              /* draft: -1 default, 0 no, 1 yes */
} act_item;

typedef struct act_list {
	act_item *v;
	size_t n;
} act_list;

struct gr_policy {
	const gr_rules *r;
	act_list cls[GR_CLASS_COUNT];
	int as_todo;
	int alarm_min;
	int duration_min;
	int direct;             /* introductions direct (else double opt-in) */
	int quote_lines;
	gr_due fu_after;        /* followup after WHEN */
	int fu_max;             /* followup max N */
	int keep_done;          /* keep-done N (days) */
	gr_template *fu_tpl;    /* templates/followup.txt, or NULL */
};

/* --- policy file -------------------------------------------------------- */

static void
item_free(act_item *it)
{
	free(it->action);
	gr_template_free(it->summary);
	gr_template_free(it->tpl);
}

void
gr_policy_free(gr_policy *p)
{
	if (!p)
		return;
	for (int c = 0; c < GR_CLASS_COUNT; c++) {
		for (size_t i = 0; i < p->cls[c].n; i++)
			item_free(&p->cls[c].v[i]);
		free(p->cls[c].v);
	}
	gr_template_free(p->fu_tpl);
	free(p);
}

static act_role
role_from(const char *s)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0 ||
		    (i == ROLE_NEW_CONTACT && strcmp(s, "new-contact") == 0))
			return (act_role)i;
	return ROLE_NONE;
}

static int
valid_action(const char *s)
{
	if (!*s || strlen(s) > 32)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* Parser state for one actions file. */
typedef struct act_parse {
	gr_policy *p;
	gr_conf *c;
	gr_diags *d;
	int cls;                /* current "on" block, -1 before the first */
} act_parse;

/* Load templates/NAME; diagnostics name the policy line when missing. */
static gr_template *
load_tpl(act_parse *ap, const gr_tok *tok)
{
	char rel[300];
	const char *path;
	gr_template *t = NULL;

	if (strchr(tok->text, '/') || tok->text[0] == '.' ||
	    snprintf(rel, sizeof rel, "templates/%s", tok->text) >=
	    (int)sizeof rel) {
		gr_conf_error(ap->c, ap->d, tok->col, "bad template name '%s'",
		              tok->text);
		return NULL;
	}
	path = gr_rules_file(ap->p->r, rel);
	if (!path) {
		gr_conf_error(ap->c, ap->d, tok->col, "no template '%s' in any "
		              "rules directory", rel);
		return NULL;
	}
	(void)gr_template_load(path, &t, ap->d);
	return t;
}

static int
num_arg(act_parse *ap, const gr_toks *t, int lo, int hi, int *out)
{
	char *end;
	long n;

	if (t->n != 2) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "'%s' wants one number",
		              t->v[0].text);
		return -1;
	}
	n = strtol(t->v[1].text, &end, 10);
	if (*end || end == t->v[1].text || n < lo || n > hi) {
		gr_conf_error(ap->c, ap->d, t->v[1].col, "'%s' wants a number "
		              "from %d to %d", t->v[0].text, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* "followup after WHEN" or "followup max N". */
static void
followup_line(act_parse *ap, const gr_toks *t)
{
	gr_toks sub = *t;

	if (t->n == 3 && strcmp(t->v[1].text, "after") == 0) {
		if (gr_due_parse(t->v[2].text, &ap->p->fu_after) < 0)
			gr_conf_error(ap->c, ap->d, t->v[2].col, "bad due '%s' (Nbh, "
			              "Nbd, Nd or next-morning)", t->v[2].text);
	} else if (t->n == 3 && strcmp(t->v[1].text, "max") == 0) {
		sub.v = t->v + 1;
		sub.n = 2;
		(void)num_arg(ap, &sub, 0, 1, &ap->p->fu_max);
	} else {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "'followup' wants "
		              "'after WHEN' or 'max N' (0 or 1)");
	}
}

static void
top_line(act_parse *ap, const gr_toks *t)
{
	const char *k = t->v[0].text;
	gr_class cls;
	gr_template *tpl;

	if (strcmp(k, "on") == 0) {
		if (t->n != 2 || gr_class_from_name(t->v[t->n - 1].text, &cls) < 0) {
			gr_conf_error(ap->c, ap->d, t->v[t->n - 1].col, "'on' wants "
			              "one class name (inquiry, out_of_scope, "
			              "referral_intro, cold_pitch, automated, other)");
			ap->cls = -1;
			return;
		}
		ap->cls = (int)cls;
	} else if (strcmp(k, "reminders") == 0) {
		if (t->n == 2 && (strcmp(t->v[1].text, "event") == 0 ||
		                  strcmp(t->v[1].text, "todo") == 0))
			ap->p->as_todo = strcmp(t->v[1].text, "todo") == 0;
		else
			gr_conf_error(ap->c, ap->d, t->v[0].col, "'reminders' wants "
			              "'event' or 'todo'");
	} else if (strcmp(k, "introductions") == 0) {
		if (t->n == 2 && (strcmp(t->v[1].text, "opt-in") == 0 ||
		                  strcmp(t->v[1].text, "direct") == 0))
			ap->p->direct = strcmp(t->v[1].text, "direct") == 0;
		else
			gr_conf_error(ap->c, ap->d, t->v[0].col, "'introductions' "
			              "wants 'opt-in' or 'direct'");
	} else if (strcmp(k, "alarm") == 0) {
		(void)num_arg(ap, t, 0, 10080, &ap->p->alarm_min);
	} else if (strcmp(k, "duration") == 0) {
		(void)num_arg(ap, t, 1, 1440, &ap->p->duration_min);
	} else if (strcmp(k, "quote") == 0) {
		(void)num_arg(ap, t, 0, 500, &ap->p->quote_lines);
	} else if (strcmp(k, "followup") == 0) {
		followup_line(ap, t);
	} else if (strcmp(k, "keep-done") == 0) {
		(void)num_arg(ap, t, 0, 3650, &ap->p->keep_done);
	} else if (strcmp(k, "template") == 0 && t->n == 2) {
		tpl = load_tpl(ap, &t->v[1]);  /* checked (and linted) only */
		gr_template_free(tpl);
	} else {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "unknown keyword '%s' "
		              "(on, reminders, alarm, duration, introductions, "
		              "quote, followup, keep-done, template)", k);
	}
}

/* "if COND..." at t->v[i]; returns tokens used or 0 on error. */
static size_t
parse_conds(act_parse *ap, const gr_toks *t, size_t i, unsigned *out)
{
	size_t j;

	if (i + 1 >= t->n) {
		gr_conf_error(ap->c, ap->d, t->v[i].col, "'if' wants a condition");
		return 0;
	}
	for (j = i + 1; j < t->n; j++) {
		size_t k;

		for (k = 0; k < sizeof cond_names / sizeof cond_names[0]; k++)
			if (strcmp(t->v[j].text, cond_names[k].name) == 0)
				break;
		if (k == sizeof cond_names / sizeof cond_names[0]) {
			gr_conf_error(ap->c, ap->d, t->v[j].col, "unknown condition "
			              "'%s' (partner, no-partner, opt-in, direct, "
			              "known, unknown)", t->v[j].text);
			return 0;
		}
		*out |= cond_names[k].bit;
	}
	return j - i;
}

/* Options of a remind/draft line from t->v[3] on.  0 on success. */
static int
item_opts(act_parse *ap, const gr_toks *t, act_item *it)
{
	for (size_t i = 2; i < t->n;) {
		const gr_tok *k = &t->v[i], *v = i + 1 < t->n ? &t->v[i + 1] : NULL;
		const char *s = k->text;
		act_role r;
		size_t used = 2;

		if (strcmp(s, "if") == 0) {
			used = parse_conds(ap, t, i, &it->conds);
			if (!used)
				return -1;
		} else if (it->is_draft && (strcmp(s, "quote") == 0 ||
		                            strcmp(s, "no-quote") == 0)) {
			it->quote = s[0] == 'q';
			used = 1;
		} else if (!v) {
			gr_conf_error(ap->c, ap->d, k->col, "'%s' wants a value", s);
			return -1;
		} else if (!it->is_draft && strcmp(s, "due") == 0) {
			if (gr_due_parse(v->text, &it->due) < 0) {
				gr_conf_error(ap->c, ap->d, v->col, "bad due '%s' (Nbh, "
				              "Nbd, Nd or next-morning)", v->text);
				return -1;
			}
		} else if (!it->is_draft && strcmp(s, "summary") == 0) {
			if (gr_template_load_mem(gr_conf_path(ap->c), v->text,
			                         strlen(v->text), &it->summary,
			                         ap->d) != GR_OK)
				return -1;
		} else if (strcmp(s, "template") == 0 && it->is_draft) {
			if (!(it->tpl = load_tpl(ap, v)))
				return -1;
		} else if ((r = role_from(v->text)) == ROLE_NONE) {
			gr_conf_error(ap->c, ap->d, v->col, "unknown role '%s' "
			              "(sender, new_contact, introducer, partner)",
			              v->text);
			return -1;
		} else if (!it->is_draft && strcmp(s, "for") == 0) {
			it->who = r;
		} else if (it->is_draft && strcmp(s, "to") == 0) {
			it->to = r;
		} else if (it->is_draft && strcmp(s, "cc") == 0) {
			it->cc |= 1u << r;
		} else if (it->is_draft && strcmp(s, "bcc") == 0) {
			it->bcc |= 1u << r;
		} else {
			gr_conf_error(ap->c, ap->d, k->col, "unknown %s option '%s'",
			              it->is_draft ? "draft" : "remind", s);
			return -1;
		}
		i += used;
	}
	return 0;
}

static int
item_check(act_parse *ap, const gr_toks *t, act_item *it)
{
	act_list *l = &ap->p->cls[ap->cls];

	if (it->is_draft && ap->cls == GR_CLASS_AUTOMATED) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "no draft is ever made "
		              "for automated mail (RFC 3834)");
		return -1;
	}
	if (it->is_draft && (it->to == ROLE_NONE || !it->tpl)) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "a draft wants 'to ROLE' "
		              "and 'template NAME'");
		return -1;
	}
	if (!it->is_draft && it->due.amount < 0) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "a reminder wants "
		              "'due WHEN'");
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].action, it->action) == 0 &&
		    l->v[i].is_draft == it->is_draft &&
		    (l->v[i].conds & it->conds) == 0 && !l->v[i].conds == !it->conds) {
			gr_conf_error(ap->c, ap->d, t->v[1].col, "action '%s' twice in "
			              "'on %s'", it->action, gr_class_name(ap->cls));
			return -1;
		}
	}
	return 0;
}

static void
item_line(act_parse *ap, const gr_toks *t)
{
	act_item it;
	act_list *l;
	const char *k = t->v[0].text;

	memset(&it, 0, sizeof it);
	it.to = ROLE_NONE;
	it.who = ROLE_SENDER;
	it.quote = -1;
	it.due.amount = -1;
	if (ap->cls < 0) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "indented line outside "
		              "an 'on CLASS' block");
		return;
	}
	if (strcmp(k, "remind") != 0 && strcmp(k, "draft") != 0) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "unknown action kind '%s' "
		              "(remind, draft)", k);
		return;
	}
	it.is_draft = k[0] == 'd';
	if (t->n < 2 || !valid_action(t->v[1].text)) {
		gr_conf_error(ap->c, ap->d, t->n < 2 ? t->v[0].col : t->v[1].col,
		              "'%s' wants an action name ([a-z0-9_-], at most 32)",
		              k);
		return;
	}
	it.action = gr_strdup(t->v[1].text);
	if (!it.action || item_opts(ap, t, &it) < 0 || item_check(ap, t, &it) < 0)
		goto fail;
	l = &ap->p->cls[ap->cls];
	{
		act_item *nv = realloc(l->v, (l->n + 1) * sizeof *nv);

		if (!nv)
			goto fail;
		l->v = nv;
		l->v[l->n++] = it;
	}
	return;
fail:
	item_free(&it);
}

static gr_status
parse_actions(gr_policy *p, const char *path, gr_diags *d)
{
	act_parse ap = { p, NULL, d, -1 };
	gr_error err;
	const char *line;
	int indent;
	gr_status st;

	st = gr_conf_open(path, &ap.c, &err);
	if (st != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return st;
	}
	while ((st = gr_conf_next(ap.c, &line, &indent)) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(ap.c, line, &t, d) == GR_OK && t.n > 0) {
			if (indent > 0)
				item_line(&ap, &t);
			else
				top_line(&ap, &t);
		}
		gr_toks_free(&t);
	}
	gr_conf_close(ap.c);
	return st == GR_DONE ? GR_OK : st;
}

/* --- tone lint ---------------------------------------------------------- */

typedef struct tone {
	gr_strv phrases;
	gr_strv where;          /* "FILE:LINE" of each phrase */
	gr_strv allow;          /* ALL-CAPS words allowed */
} tone;

static void
tone_free(tone *tn)
{
	gr_strv_free(&tn->phrases);
	gr_strv_free(&tn->where);
	gr_strv_free(&tn->allow);
}

/* Read the tone file: one phrase a line; "allow-caps WORD..." lines. */
static void
tone_load(tone *tn, const char *path, gr_diags *d)
{
	gr_conf *c;
	gr_error err;
	const char *line;
	char where[1100];

	if (gr_conf_open(path, &c, &err) != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return;
	}
	while (gr_conf_next(c, &line, NULL) == GR_OK) {
		if (strncmp(line, "allow-caps", 10) == 0 &&
		    (line[10] == ' ' || line[10] == '\t')) {
			gr_toks t = { 0 };

			if (gr_conf_split(c, line, &t, d) == GR_OK)
				for (size_t i = 1; i < t.n; i++)
					gr_strv_push(&tn->allow, t.v[i].text);
			gr_toks_free(&t);
			continue;
		}
		snprintf(where, sizeof where, "%s:%u", path, gr_conf_lineno(c));
		gr_strv_push(&tn->phrases, line);
		gr_strv_push(&tn->where, where);
	}
	gr_conf_close(c);
}

static int
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch >= 0x80;
}

static int
lower_c(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* Length of phrase matched at s (ASCII case-insensitive, ending on a word
 * boundary; a blank matches a run of blanks; the word "N" matches a number;
 * an apostrophe matches U+2019 too), or 0. */
static size_t
phrase_at(const char *s, const char *phrase)
{
	const char *p = s, *ph = phrase;

	while (*ph) {
		int word_n = ph[0] == 'N' && (ph == phrase || ph[-1] == ' ') &&
		             !is_alnum((unsigned char)ph[1]);

		if (*ph == ' ') {
			if (*p != ' ' && *p != '\t')
				return 0;
			while (*p == ' ' || *p == '\t')
				p++;
			while (*ph == ' ')
				ph++;
		} else if (word_n && *p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++;
			ph++;
		} else if (*ph == '\'' && strncmp(p, "\xe2\x80\x99", 3) == 0) {
			ph++, p += 3;
		} else if (lower_c((unsigned char)*ph) == lower_c((unsigned char)*p)) {
			ph++, p++;
		} else {
			return 0;
		}
	}
	if (p > s && is_alnum((unsigned char)p[-1]) && is_alnum((unsigned char)*p))
		return 0;
	return (size_t)(p - s);
}

/* Check one line of a template. */
static void
lint_line(const tone *tn, const char *file, unsigned lineno, const char *ln,
          gr_diags *d)
{
	int in_ph = 0;

	for (const char *p = ln; *p; p++) {
		int start = p == ln || !is_alnum((unsigned char)p[-1]);

		if (p[0] == '{' && p[1] == '{')
			in_ph = 1;
		if (in_ph) {
			if (p[0] == '}' && p[1] == '}')
				in_ph = 0, p++;
			continue;
		}
		if (p[0] == '!' && p[1] == '!' && (p == ln || p[-1] != '!'))
			gr_diag_add(d, file, lineno, (unsigned)(p - ln) + 1,
			            "tone: \"!!\" sounds pushy; one '!' at most");
		for (size_t i = 0; start && i < tn->phrases.n; i++)
			if (phrase_at(p, tn->phrases.v[i]))
				gr_diag_add(d, file, lineno, (unsigned)(p - ln) + 1,
				            "tone: pushy phrase \"%s\" (listed at %s)",
				            tn->phrases.v[i], tn->where.v[i]);
		if (start && *p >= 'A' && *p <= 'Z') {
			size_t n = 0;
			char word[64];

			while (p[n] >= 'A' && p[n] <= 'Z')
				n++;
			if (n >= 3 && !is_alnum((unsigned char)p[n]) &&
			    n < sizeof word) {
				memcpy(word, p, n);
				word[n] = '\0';
				if (!gr_strv_contains_ci(&tn->allow, word))
					gr_diag_add(d, file, lineno,
					            (unsigned)(p - ln) + 1, "tone: ALL-CAPS "
					            "word \"%s\" reads as shouting (allow "
					            "it with 'allow-caps %s' in tone)",
					            word, word);
			}
		}
	}
}

static void
lint_file(const tone *tn, const char *path, gr_diags *d)
{
	char *data, *line, *save = NULL;
	gr_error err;
	unsigned lineno = 0;
	char *p;

	if (gr_read_file(path, ACT_MAX_FILE, &data, NULL, &err) != GR_OK)
		return;         /* gr_template_load reported it */
	for (p = data; p; p = save) {
		save = strchr(p, '\n');
		if (save)
			*save++ = '\0';
		line = p;
		lineno++;
		lint_line(tn, path, lineno, line, d);
	}
	free(data);
}

static void
lint_all(const gr_policy *p, const char *tone_path, gr_strv *tpl_paths,
         gr_diags *d)
{
	tone tn = { { 0 }, { 0 }, { 0 } };

	if (tone_path)
		tone_load(&tn, tone_path, d);
	for (size_t i = 0; i < tpl_paths->n; i++)
		lint_file(&tn, tpl_paths->v[i], d);
	(void)p;
	tone_free(&tn);
}

/* Every template file the policy read (each once). */
static void
collect_templates(const gr_policy *p, const char *actions, gr_strv *out)
{
	gr_conf *c;
	const char *line;

	for (int k = 0; k < GR_CLASS_COUNT; k++)
		for (size_t i = 0; i < p->cls[k].n; i++) {
			const gr_template *t = p->cls[k].v[i].tpl;

			if (t && !gr_strv_contains_ci(out, gr_template_name(t)))
				gr_strv_push(out, gr_template_name(t));
		}
	/* "template NAME" lines: checked for later use. */
	if (gr_conf_open(actions, &c, NULL) != GR_OK)
		return;
	while (gr_conf_next(c, &line, NULL) == GR_OK) {
		char rel[300];
		const char *path;

		if (strncmp(line, "template ", 9) != 0)
			continue;
		snprintf(rel, sizeof rel, "templates/%s", gr_str_trim((char *)line + 9));
		path = gr_rules_file(p->r, rel);
		if (path && !gr_strv_contains_ci(out, path))
			gr_strv_push(out, path);
	}
	gr_conf_close(c);
}

gr_status
gr_policy_load(const gr_rules *r, gr_policy **out, gr_diags *diags)
{
	gr_policy *p;
	const char *path, *fu;
	size_t before = gr_diags_errors(diags);
	gr_strv tpls = { 0 };
	gr_status st;

	*out = NULL;
	path = gr_rules_file(r, "actions");
	if (!path) {
		gr_diag_add(diags, "actions", 0, 0, "no 'actions' file in any "
		            "rules directory");
		return GR_E_CONFIG;
	}
	p = calloc(1, sizeof *p);
	if (!p)
		return GR_E_NOMEM;
	p->r = r;
	p->quote_lines = ACT_QUOTE_LINES;
	p->fu_after.kind = GR_DUE_BUSINESS_DAYS;
	p->fu_after.amount = 5;
	p->fu_max = 1;
	p->keep_done = 30;
	st = parse_actions(p, path, diags);
	if (st == GR_OK && p->fu_max > 0 &&
	    (fu = gr_rules_file(r, "templates/followup.txt")) != NULL) {
		(void)gr_template_load(fu, &p->fu_tpl, diags);
		gr_strv_push(&tpls, fu);        /* a follow-up is linted too */
	}
	if (st == GR_OK) {
		collect_templates(p, path, &tpls);
		lint_all(p, gr_rules_file(r, "tone"), &tpls, diags);
		gr_strv_free(&tpls);
	}
	if (st == GR_OK && gr_diags_errors(diags) > before)
		st = GR_E_CONFIG;
	if (st != GR_OK) {
		gr_policy_free(p);
		return st == GR_E_NOMEM ? st : GR_E_CONFIG;
	}
	*out = p;
	return GR_OK;
}

/* --- plan --------------------------------------------------------------- */

/* Everything one plan needs, with the strings it makes. */
typedef struct act_run {
	const gr_policy *p;
	const gr_profile *prof;
	const gr_message *m;
	const gr_verdict *v;
	const gr_plan_ctx *ctx;
	char id[17];
	int automated;
	time_t arrival;
	gr_addr who[ROLE_COUNT];        /* borrowed; addr NULL if unknown */
	gr_var vars[32];
	size_t nvars;
	gr_strv owned;                  /* values made for vars */
	gr_plan *out;
	gr_error *err;
	const char *why;                /* replaces the classifier's reasons */
} act_run;

static const char *
first_name_of(act_run *ar, const char *name)
{
	char *s, *comma;
	size_t n;

	if (!name || !*name)
		return "";
	s = gr_strdup(name);
	if (!s || gr_strv_push_owned(&ar->owned, s) != GR_OK)
		return "";
	comma = strchr(s, ',');                 /* "Lee, Dana" */
	if (comma)
		s = comma + 1;
	s = gr_str_trim(s);
	if (*s == '"' || *s == '\'')
		s++;
	n = strcspn(s, " \t\"'");
	s[n] = '\0';
	return s;
}

static void
var_add(act_run *ar, const char *name, const char *value)
{
	if (ar->nvars < sizeof ar->vars / sizeof ar->vars[0]) {
		ar->vars[ar->nvars].name = name;
		ar->vars[ar->nvars].value = value ? value : "";
		ar->nvars++;
	}
}

static const char *
own(act_run *ar, char *s)
{
	if (!s || gr_strv_push_owned(&ar->owned, s) != GR_OK)
		return "";
	return s;
}

/* The first sentences of the new text, blanks collapsed, at most
 * ACT_EXCERPT bytes, cut at a character boundary. */
static char *
make_excerpt(const char *text)
{
	gr_buf b;
	int sentences = 0, blank = 0;
	const char *p;

	gr_buf_init(&b, ACT_EXCERPT + 8);
	for (p = text ? text : ""; *p && b.len < ACT_EXCERPT; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			blank = b.len > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (blank && gr_buf_addc(&b, ' ') != GR_OK)
			break;
		blank = 0;
		if (gr_buf_addc(&b, (char)c) != GR_OK)
			break;
		if ((c == '.' || c == '?' || c == '!') &&
		    (p[1] == ' ' || p[1] == '\n' || !p[1]) && ++sentences == 2)
			break;
	}
	if (*p && b.len >= ACT_EXCERPT) {
		while (b.len && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80)
			b.len--;
		if (b.len && (unsigned char)b.data[b.len - 1] >= 0xC0)
			b.len--;
		if (b.data)
			b.data[b.len] = '\0';
		gr_buf_addstr(&b, "...");
	}
	return gr_buf_steal(&b);
}

/* "Tue 24 Nov 2026" or, with clock, "Tue 24 Nov 13:00 PST" in the
 * owner's zone. */
static char *
local_date(const gr_profile *prof, time_t t, int clock)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	                                  "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	                                  "Jun", "Jul", "Aug", "Sep", "Oct",
	                                  "Nov", "Dec" };
	icaltimezone *tz = prof->timezone ?
	                   icaltimezone_get_builtin_timezone(prof->timezone) : NULL;
	struct icaltimetype lt;
	char buf[96], abbr[16] = "UTC";
	int dow;

	if (!tz)
		tz = icaltimezone_get_utc_timezone();
	lt = icaltime_from_timet_with_zone(t, 0, tz);
	dow = icaltime_day_of_week(lt) - 1;
	if (clock) {
		int dst = 0;
		const char *names = icaltimezone_get_tznames(tz);

		lt.zone = tz;
		(void)icaltimezone_get_utc_offset(tz, &lt, &dst);
		if (names && *names) {
			const char *slash = strchr(names, '/');
			const char *nm = slash && dst ? slash + 1 : names;
			size_t n = slash && !dst ? (size_t)(slash - names) : strlen(nm);

			snprintf(abbr, sizeof abbr, "%.*s", (int)n, nm);
		}
		snprintf(buf, sizeof buf, "%s %d %s %02d:%02d %s",
		         wd[(dow + 7) % 7], lt.day, mo[(lt.month + 11) % 12],
		         lt.hour, lt.minute, abbr);
	} else {
		snprintf(buf, sizeof buf, "%s %d %s %d", wd[(dow + 7) % 7], lt.day,
		         mo[(lt.month + 11) % 12], lt.year);
	}
	return gr_strdup(buf);
}

static void
role_vars(act_run *ar, act_role r)
{
	static const char *const names[ROLE_COUNT][3] = {
		{ "sender_name", "sender_first_name", "sender_email" },
		{ "new_contact_name", "new_contact_first_name",
		  "new_contact_email" },
		{ "introducer_name", "introducer_first_name", "introducer_email" },
		{ "partner_name", "partner_first_name", "partner_email" },
	};
	const gr_addr *a = &ar->who[r];

	var_add(ar, names[r][0], a->name);
	var_add(ar, names[r][1], first_name_of(ar, a->name));
	var_add(ar, names[r][2], a->addr);
}

static void
resolve_roles(act_run *ar)
{
	const gr_message *m = ar->m;
	const gr_verdict *v = ar->v;
	const gr_addr *ra = gr_message_reply_addr(m);

	memset(ar->who, 0, sizeof ar->who);
	if (ra && ra->addr) {
		ar->who[ROLE_SENDER] = *ra;
		if (!ra->name || !*ra->name)
			ar->who[ROLE_SENDER].name = m->from.name;
	}
	if (v->introducer.addr)
		ar->who[ROLE_INTRODUCER] = v->introducer;
	if (v->new_contact.addr)
		ar->who[ROLE_NEW_CONTACT] = v->new_contact;
	else if (v->cls == GR_CLASS_REFERRAL_INTRO && ra && ra->addr &&
	         !gr_strcaseeq(ra->addr, v->introducer.addr))
		ar->who[ROLE_NEW_CONTACT] = ar->who[ROLE_SENDER];
	if (v->partner && v->partner->email) {
		ar->who[ROLE_PARTNER].name = v->partner->name;
		ar->who[ROLE_PARTNER].addr = v->partner->email;
	}
}

static void
build_vars(act_run *ar)
{
	const gr_profile *prof = ar->prof;
	const gr_verdict *v = ar->v;

	var_add(ar, "owner_name", prof->name);
	var_add(ar, "owner_first_name", first_name_of(ar, prof->name));
	var_add(ar, "owner_email", prof->emails.n ? prof->emails.v[0] : "");
	var_add(ar, "owner_org", prof->org);
	for (int r = 0; r < ROLE_COUNT; r++)
		role_vars(ar, (act_role)r);
	var_add(ar, "partner_org", v->partner ? v->partner->org : "");
	var_add(ar, "subject", ar->m->subject);
	var_add(ar, "service", v->service ? v->service->key : "");
	var_add(ar, "service_label", v->service ? v->service->label : "");
	var_add(ar, "excerpt", own(ar, make_excerpt(ar->m->new_text ?
	                                            ar->m->new_text : ar->m->text)));
	var_add(ar, "signature", prof->signature);
	var_add(ar, "date", ar->m->date ? own(ar, local_date(prof, ar->m->date,
	                                                       0)) : "");
}

static int
conds_hold(const act_run *ar, unsigned c)
{
	int partner = ar->who[ROLE_PARTNER].addr != NULL;

	return !((c & COND_PARTNER && !partner) ||
	         (c & COND_NO_PARTNER && partner) ||
	         (c & COND_OPT_IN && ar->p->direct) ||
	         (c & COND_DIRECT && !ar->p->direct) ||
	         (c & COND_KNOWN && !ar->v->sender_known) ||
	         (c & COND_UNKNOWN && ar->v->sender_known));
}

static gr_output *
new_output(act_run *ar, gr_output_kind kind, const char *action)
{
	gr_plan *pl = ar->out;
	gr_output *o, *nv = realloc(pl->v, (pl->n + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	pl->v = nv;
	o = &pl->v[pl->n];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->action = gr_strdup(action);
	if (!o->action)
		return NULL;
	pl->n++;
	return o;
}

static char *
name_of(act_run *ar, const char *dir, const char *action, const char *ext)
{
	char safe[64], path[128];

	gr_safe_name(action, safe, 32);
	snprintf(path, sizeof path, "%s/%s-%s.%s", dir, ar->id, safe, ext);
	return gr_strdup(path);
}

static char *
why_text(const act_run *ar)
{
	const gr_verdict *v = ar->v;
	gr_buf b;

	gr_buf_init(&b, 4096);
	gr_buf_printf(&b, "classified as %s", gr_class_name(v->cls));
	if (v->override)
		gr_buf_printf(&b, " by %s", v->override);
	for (size_t i = 0; i < v->n_hits && i < 6; i++)
		gr_buf_printf(&b, "%s%s%s%s%s", i ? "; " : ": ",
		              v->hits[i].rule ? v->hits[i].rule : "rule",
		              v->hits[i].desc ? " (" : "",
		              v->hits[i].desc ? v->hits[i].desc : "",
		              v->hits[i].desc ? ")" : "");
	return gr_buf_steal(&b);
}

static char *
reminder_description(act_run *ar)
{
	const gr_addr *s = &ar->who[ROLE_SENDER];
	char *why = ar->why ? gr_strdup(ar->why) : why_text(ar), *when = NULL;
	const char *ex = NULL;
	gr_buf b;

	for (size_t i = 0; i < ar->nvars; i++)
		if (strcmp(ar->vars[i].name, "excerpt") == 0)
			ex = ar->vars[i].value;
	if (ar->m->date)
		when = local_date(ar->prof, ar->m->date, 1);
	gr_buf_init(&b, 16384);
	gr_buf_printf(&b, "From: %s%s%s%s\nSubject: %s\n",
	              s->name ? s->name : "", s->name ? " <" : "",
	              s->addr ? s->addr : "(unknown)", s->name ? ">" : "",
	              ar->m->subject ? ar->m->subject : "");
	if (when)
		gr_buf_printf(&b, "%s: %s\n", ar->why ? "You wrote" : "Received",
		              when);
	if (ar->v->service)
		gr_buf_printf(&b, "Service: %s\n", ar->v->service->label);
	if (ar->who[ROLE_PARTNER].addr)
		gr_buf_printf(&b, "Partner: %s <%s>\n",
		              ar->who[ROLE_PARTNER].name ?
		              ar->who[ROLE_PARTNER].name : "",
		              ar->who[ROLE_PARTNER].addr);
	gr_buf_printf(&b, "Why: %s\n", why ? why : "");
	if (ex && *ex)
		gr_buf_printf(&b, "\n%s\n", ex);
	free(why);
	free(when);
	return gr_buf_steal(&b);
}

static char *
default_summary(act_run *ar, const act_item *it)
{
	const gr_addr *a = &ar->who[it->who];
	const char *who = a->name && *a->name ? a->name :
	                  a->addr ? a->addr : "the sender";
	const char *subj = ar->m->subject && *ar->m->subject ?
	                   ar->m->subject : "(no subject)";
	gr_buf b;

	gr_buf_init(&b, 2048);
	if (strcmp(it->action, "reply") == 0)
		gr_buf_printf(&b, "Reply to %s: %s", who, subj);
	else if (strncmp(it->action, "thank", 5) == 0)
		gr_buf_printf(&b, "Thank %s: %s", who, subj);
	else if (strcmp(it->action, "followup") == 0)
		gr_buf_printf(&b, "Follow up with %s: %s", who, subj);
	else
		gr_buf_printf(&b, "Follow up with %s (%s): %s", who, it->action,
		              subj);
	return gr_buf_steal(&b);
}

static gr_status
plan_reminder(act_run *ar, const act_item *it)
{
	gr_reminder rem;
	gr_output *o;
	char uid[128], *summary = NULL, *desc = NULL, *body = NULL, *when;
	gr_status st;
	int seq;

	memset(&rem, 0, sizeof rem);
	st = gr_due_compute(ar->prof, &it->due, ar->arrival, &rem.due, ar->err);
	if (st != GR_OK)
		return st;
	snprintf(uid, sizeof uid, "%s-%s@gravity", ar->id, it->action);
	seq = ar->ctx->sequence_of ? ar->ctx->sequence_of(ar->ctx->aux, uid) : -1;
	if (it->summary)
		st = gr_template_render(it->summary, ar->vars, ar->nvars, &body,
		                        &summary, ar->err);
	else
		summary = default_summary(ar, it);
	free(body);
	desc = reminder_description(ar);
	if (st != GR_OK || !summary || !desc)
		goto out;
	rem.uid = uid;
	rem.sequence = seq >= 0 ? seq + 1 : 0;
	rem.as_todo = ar->p->as_todo;
	rem.duration_min = ar->p->duration_min;
	rem.alarm_min = ar->p->alarm_min;
	rem.tzid = ar->prof->timezone;
	rem.summary = summary;
	rem.description = desc;
	rem.message_id = ar->m->message_id;
	rem.dtstamp = ar->ctx->now;
	st = GR_E_NOMEM;
	if (!(o = new_output(ar, GR_OUT_REMINDER, it->action)))
		goto out;
	st = gr_calendar_render_with(ar->ctx->cal, &rem, &o->content, ar->err);
	if (st != GR_OK)
		goto out;
	o->len = strlen(o->content);
	o->uid = gr_strdup(uid);
	o->sequence = rem.sequence;
	o->due = rem.due;
	o->rem_summary = gr_strdup(summary);
	o->rem_description = gr_strdup(desc);
	o->tzid = rem.tzid ? gr_strdup(rem.tzid) : NULL;
	o->peer = ar->who[it->who].addr ? gr_strdup(ar->who[it->who].addr) :
	          NULL;
	o->as_todo = rem.as_todo;
	o->duration_min = rem.duration_min;
	o->alarm_min = rem.alarm_min;
	o->relpath = name_of(ar, "reminders", it->action, "ics");
	when = local_date(ar->prof, rem.due, 1);
	o->summary = malloc(strlen(summary) + 64);
	if (o->summary)
		snprintf(o->summary, strlen(summary) + 64, "reminder: %s "
		         "\xe2\x80\x94 due %.40s", summary, when ? when : "?");
	free(when);
	st = o->uid && o->relpath && o->summary && o->rem_summary &&
	     o->rem_description ? GR_OK : GR_E_NOMEM;
out:
	if (st == GR_E_NOMEM)
		gr_error_set(ar->err, st, "plan: out of memory");
	free(summary);
	free(desc);
	return st;
}

/* Add role r's address to l unless unknown, the owner's or already in
 * seen; seen collects every address used. */
static gr_status
add_rcpt(act_run *ar, gr_addrlist *l, act_role r, gr_strv *seen)
{
	const gr_addr *a = &ar->who[r];
	gr_addr *nv;

	if (!a->addr || !gr_addr_spec_valid(a->addr) ||
	    gr_owner_is_owner(gr_rules_owner(ar->p->r), a->addr) ||
	    gr_strv_contains_ci(seen, a->addr))
		return GR_OK;
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return GR_E_NOMEM;
	l->v = nv;
	l->v[l->n++] = *a;
	if (gr_strv_push(seen, a->addr) != GR_OK)
		return GR_E_NOMEM;
	return GR_OK;
}

/* "On Tue 24 Nov 2026, Dana Lee wrote:" and "> " lines, bounded. */
static gr_status
add_quote(act_run *ar, gr_buf *b)
{
	const gr_message *m = ar->m;
	const char *t = m->new_text && *m->new_text ? m->new_text : m->text;
	const gr_addr *f = &m->from;
	char *when = m->date ? local_date(ar->prof, m->date, 0) : NULL;
	int lines = 0;
	size_t start = b->len;

	gr_buf_printf(b, "\n\nOn %s%s%s wrote:\n", when ? when : "",
	              when ? ", " : "", f->name && *f->name ? f->name :
	              f->addr ? f->addr : "you");
	free(when);
	while (t && *t && lines < ar->p->quote_lines &&
	       b->len - start < ACT_QUOTE_BYTES) {
		size_t n = strcspn(t, "\n");

		if (n && t[n - 1] == '\r')
			n--;
		if (gr_buf_printf(b, n ? "> %.*s\n" : ">\n", (int)n, t) != GR_OK)
			return GR_E_LIMIT;
		t += strcspn(t, "\n");
		t += *t == '\n';
		lines++;
	}
	if (t && *t)
		gr_buf_addstr(b, "> [...]\n");
	return GR_OK;
}

static char *
draft_body(act_run *ar, const act_item *it, const char *text)
{
	const char *sig = ar->prof->signature;
	int quote = it->quote >= 0 ? it->quote :
	            (it->to == ROLE_SENDER || it->to == ROLE_NEW_CONTACT);
	gr_buf b;

	gr_buf_init(&b, ACT_MAX_TEXT);
	gr_buf_addstr(&b, text);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (sig && *sig && !gr_template_uses(it->tpl, "signature"))
		gr_buf_printf(&b, "\n\n-- \n%s", sig);
	if (quote && ar->p->quote_lines > 0)
		add_quote(ar, &b);
	gr_buf_addc(&b, '\n');
	return gr_buf_steal(&b);
}

static char *
draft_summary(const gr_draft *d)
{
	gr_buf b;

	gr_buf_init(&b, 4096);
	gr_buf_addstr(&b, "draft to ");
	for (size_t i = 0; i < d->to.n; i++)
		gr_buf_printf(&b, "%s%s%s<%s>", i ? ", " : "",
		              d->to.v[i].name ? d->to.v[i].name : "",
		              d->to.v[i].name ? " " : "", d->to.v[i].addr);
	for (size_t i = 0; i < d->cc.n; i++)
		gr_buf_printf(&b, "%s<%s>", i ? ", " : " (cc ", d->cc.v[i].addr);
	gr_buf_addstr(&b, d->cc.n ? ")" : "");
	for (size_t i = 0; i < d->bcc.n; i++)
		gr_buf_printf(&b, "%s<%s>", i ? ", " : " (bcc ", d->bcc.v[i].addr);
	gr_buf_addstr(&b, d->bcc.n ? ")" : "");
	gr_buf_printf(&b, ": %s", d->subject ? d->subject : "");
	return gr_buf_steal(&b);
}

static gr_status
draft_output(act_run *ar, const act_item *it, gr_draft *d)
{
	const char *owner = ar->prof->emails.v[0];
	char mid[256];
	gr_output *o;
	gr_status st;

	snprintf(mid, sizeof mid, "gravity.%s.%s%s", ar->id, it->action,
	         strchr(owner, '@'));
	d->message_id = mid;
	if (!(o = new_output(ar, GR_OUT_DRAFT, it->action)))
		return gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	st = gr_draft_render(d, &o->content, ar->err);
	if (st != GR_OK)
		return st;
	o->len = strlen(o->content);
	o->uid = gr_strdup(mid);
	o->relpath = name_of(ar, "drafts", it->action, "eml");
	o->summary = draft_summary(d);
	if (!o->uid || !o->relpath || !o->summary)
		return gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
	return GR_OK;
}

static gr_status
plan_draft(act_run *ar, const act_item *it)
{
	gr_draft d;
	gr_strv seen = { 0 }, refs = { 0 };
	char *subj = NULL, *text = NULL, *body = NULL;
	int threaded = it->to != ROLE_PARTNER;
	gr_status st;

	memset(&d, 0, sizeof d);
	if (ar->automated || !ar->prof->emails.n)  /* RFC 3834: never */
		return ar->prof->emails.n ? GR_OK : gr_error_set(ar->err,
		       GR_E_CONFIG, "profile: no 'email' for the From of drafts");
	st = add_rcpt(ar, &d.to, it->to, &seen);
	for (int r = 0; r < ROLE_COUNT && st == GR_OK; r++)
		if (it->cc & (1u << r))
			st = add_rcpt(ar, &d.cc, (act_role)r, &seen);
	for (int r = 0; r < ROLE_COUNT && st == GR_OK; r++)
		if (it->bcc & (1u << r))
			st = add_rcpt(ar, &d.bcc, (act_role)r, &seen);
	if (st != GR_OK || d.to.n == 0)
		goto out;               /* nobody to write to: no draft */
	st = gr_template_render(it->tpl, ar->vars, ar->nvars, &subj, &text,
	                        ar->err);
	if (st != GR_OK)
		goto out;
	if (!subj || !*gr_str_trim(subj)) {
		free(subj);
		subj = gr_reply_subject(ar->m->subject);
	}
	body = draft_body(ar, it, text);
	d.from.name = ar->prof->name;
	d.from.addr = ar->prof->emails.v[0];
	d.subject = subj;
	d.date = ar->ctx->now;
	d.body = body;
	if (threaded && ar->m->message_id) {
		for (size_t i = 0; i < ar->m->references.n; i++)
			gr_strv_push(&refs, ar->m->references.v[i]);
		gr_strv_push(&refs, ar->m->message_id);
		d.in_reply_to = ar->m->message_id;
		d.references = &refs;
	}
	st = subj && body ? draft_output(ar, it, &d) :
	     gr_error_set(ar->err, GR_E_NOMEM, "plan: out of memory");
out:
	free(d.to.v);
	free(d.cc.v);
	free(d.bcc.v);
	gr_strv_free(&seen);
	gr_strv_free(&refs);
	free(subj);
	free(text);
	free(body);
	return st;
}

static void
make_id(act_run *ar)
{
	const gr_message *m = ar->m;
	char hex[65];
	gr_buf b;

	gr_buf_init(&b, 1u << 20);
	if (m->message_id && *m->message_id)
		gr_buf_addstr(&b, m->message_id);
	else if (ar->ctx->source_id && *ar->ctx->source_id)
		gr_buf_addstr(&b, ar->ctx->source_id);
	else
		gr_buf_printf(&b, "%s\n%lld\n%s\n%.65536s",
		              m->from.addr ? m->from.addr : "", (long long)m->date,
		              m->subject ? m->subject : "", m->text ? m->text : "");
	gr_sha256_hex(b.data ? b.data : "", b.len, hex);
	gr_buf_free(&b);
	memcpy(ar->id, hex, 16);
	ar->id[16] = '\0';
}

void
gr_plan_free(gr_plan *pl)
{
	for (size_t i = 0; pl && i < pl->n; i++) {
		free(pl->v[i].action);
		free(pl->v[i].relpath);
		free(pl->v[i].uid);
		free(pl->v[i].content);
		free(pl->v[i].summary);
		free(pl->v[i].rem_summary);
		free(pl->v[i].rem_description);
		free(pl->v[i].tzid);
		free(pl->v[i].peer);
	}
	if (pl) {
		free(pl->v);
		pl->v = NULL;
		pl->n = 0;
	}
}

gr_status
gr_actions_plan(const gr_policy *p, const gr_rules *r, const gr_message *m,
                const gr_verdict *v, const gr_plan_ctx *ctx, gr_plan *out,
                gr_error *err)
{
	act_run ar;
	const act_list *l;
	gr_status st = GR_OK;

	out->v = NULL;
	out->n = 0;
	if ((unsigned)v->cls >= GR_CLASS_COUNT)
		return gr_error_set(err, GR_E_INTERNAL, "plan: bad class %d",
		                    (int)v->cls);
	memset(&ar, 0, sizeof ar);
	ar.p = p;
	ar.prof = gr_owner_profile(gr_rules_owner(r));
	ar.m = m;
	ar.v = v;
	ar.ctx = ctx;
	ar.out = out;
	ar.err = err;
	ar.automated = v->cls == GR_CLASS_AUTOMATED ||
	               gr_message_auto_signs(m, NULL) != GR_AUTO_NONE;
	ar.arrival = m->date > 0 && m->date <= ctx->now ? m->date : ctx->now;
	make_id(&ar);
	resolve_roles(&ar);
	build_vars(&ar);
	l = &p->cls[v->cls];
	for (size_t i = 0; i < l->n && st == GR_OK; i++) {
		if (!conds_hold(&ar, l->v[i].conds))
			continue;
		st = l->v[i].is_draft ? plan_draft(&ar, &l->v[i]) :
		     plan_reminder(&ar, &l->v[i]);
	}
	gr_strv_free(&ar.owned);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}

void
gr_policy_followup(const gr_policy *p, gr_due *after, int *max)
{
	*after = p->fu_after;
	*max = p->fu_max;
}

int
gr_policy_keep_done(const gr_policy *p)
{
	return p->keep_done;
}

gr_status
gr_actions_followup(const gr_policy *p, const gr_rules *r,
                    const gr_followup *f, const gr_plan_ctx *ctx,
                    gr_plan *out, gr_error *err)
{
	gr_message m;
	gr_verdict v;
	act_run ar;
	act_item rem, dr;
	char *refs[2];
	char why[160];
	gr_status st;

	out->v = NULL;
	out->n = 0;
	if (!f->owner_msgid || !*f->owner_msgid || !f->peer_addr)
		return gr_error_set(err, GR_E_INTERNAL, "follow-up without the "
		                    "owner's message or a recipient");
	memset(&m, 0, sizeof m);
	memset(&v, 0, sizeof v);
	m.from.name = (char *)f->peer_name;
	m.from.addr = (char *)f->peer_addr;
	m.subject = (char *)(f->subject ? f->subject : "");
	m.message_id = (char *)f->owner_msgid;
	if (f->thread && strcmp(f->thread, f->owner_msgid) != 0) {
		refs[0] = (char *)f->thread;
		refs[1] = NULL;
		m.references.v = refs;
		m.references.n = 1;
	}
	m.date = f->last_out;
	m.text = m.new_text = m.quoted = m.signature = (char *)"";
	v.cls = GR_CLASS_OTHER;
	memset(&ar, 0, sizeof ar);
	ar.p = p;
	ar.prof = gr_owner_profile(gr_rules_owner(r));
	ar.m = &m;
	ar.v = &v;
	ar.ctx = ctx;
	ar.out = out;
	ar.err = err;
	ar.arrival = f->last_out > 0 && f->last_out <= ctx->now ? f->last_out :
	             ctx->now;
	snprintf(why, sizeof why, "you answered and have heard nothing back; "
	         "one gentle follow-up (\"followup max\" in actions)");
	ar.why = why;
	make_id(&ar);
	resolve_roles(&ar);
	build_vars(&ar);
	memset(&rem, 0, sizeof rem);
	rem.action = (char *)"followup";
	rem.due = p->fu_after;
	rem.who = ROLE_SENDER;
	rem.to = ROLE_NONE;
	st = plan_reminder(&ar, &rem);
	if (st == GR_OK && p->fu_tpl) {
		memset(&dr, 0, sizeof dr);
		dr.is_draft = 1;
		dr.action = (char *)"followup";
		dr.to = ROLE_SENDER;
		dr.tpl = p->fu_tpl;
		dr.quote = 0;
		st = plan_draft(&ar, &dr);
	}
	gr_strv_free(&ar.owned);
	if (st != GR_OK)
		gr_plan_free(out);
	return st;
}
