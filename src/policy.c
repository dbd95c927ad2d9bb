/* SPDX-License-Identifier: MIT */
/*
 * policy.c - read the "actions" policy file of a rules directory
 * (policy.h): the actions of each class, the settings, and the templates
 * they name, which are then linted for tone (tone.c).
 *
 * Implements the safety rule of RFC 3834 section 2 at load time: a draft
 * for automated mail is an error in the file (plan.c enforces it again
 * for every message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/lang.h"
#include "gravity/policy.h"
#include "gravity/tone.h"
#include "gravity/util.h"

#define POLICY_QUOTE_LINES 40   /* default lines of the original quoted */

static const char *const role_names[GR_ROLE_COUNT] = {
	"sender", "new_contact", "introducer", "partner"
};

static const struct {
	const char *name;
	unsigned bit;
} cond_names[] = {
	{ "partner", GR_IF_PARTNER }, { "no-partner", GR_IF_NO_PARTNER },
	{ "opt-in", GR_IF_OPT_IN }, { "direct", GR_IF_DIRECT },
	{ "known", GR_IF_KNOWN }, { "unknown", GR_IF_UNKNOWN },
};

typedef struct act_list {
	gr_action *v;
	size_t n;
} act_list;

/* A summary template and where its text sits in the actions file. */
typedef struct summary_at {
	char *text;
	unsigned line, col;
} summary_at;

struct gr_policy {
	act_list cls[GR_CLASS_COUNT];
	gr_policy_settings set;
	gr_strv tpl_rel;        /* "templates/es/inquiry.txt", loaded */
	gr_template **tpl;      /* parallel to tpl_rel */
	gr_strv care[GR_CARE_COUNT];    /* sensitive, urgent, decline, offer */
	summary_at *sums;
	size_t nsums;
};

/* --- policy file -------------------------------------------------------- */

static void
item_free(gr_action *it)
{
	free(it->action);
	free(it->tpl_name);
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
	gr_template_free(p->set.fu_tpl);
	for (size_t i = 0; i < p->tpl_rel.n; i++)
		gr_template_free(p->tpl[i]);
	free(p->tpl);
	gr_strv_free(&p->tpl_rel);
	for (int k = 0; k < GR_CARE_COUNT; k++)
		gr_strv_free(&p->care[k]);
	for (size_t i = 0; i < p->nsums; i++)
		free(p->sums[i].text);
	free(p->sums);
	free(p);
}

static gr_role
role_from(const char *s)
{
	for (int i = 0; i < GR_ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0 ||
		    (i == GR_ROLE_NEW_CONTACT && strcmp(s, "new-contact") == 0))
			return (gr_role)i;
	return GR_ROLE_NONE;
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
	const gr_rules *r;
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
	path = gr_rules_file(ap->r, rel);
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

/* "followup after WHEN", "followup later WHEN" or "followup max N". */
static void
followup_line(act_parse *ap, const gr_toks *t)
{
	gr_toks sub = *t;

	if (t->n == 3 && (strcmp(t->v[1].text, "after") == 0 ||
	                  strcmp(t->v[1].text, "later") == 0)) {
		if (gr_due_parse(t->v[2].text, t->v[1].text[0] == 'a' ?
		                 &ap->p->set.fu_after : &ap->p->set.fu_later) < 0)
			gr_conf_error(ap->c, ap->d, t->v[2].col, "bad due '%s' (Nbh, "
			              "Nbd, Nd or next-morning)", t->v[2].text);
	} else if (t->n == 3 && strcmp(t->v[1].text, "max") == 0) {
		sub.v = t->v + 1;
		sub.n = 2;
		(void)num_arg(ap, &sub, 0, 1, &ap->p->set.fu_max);
	} else {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "'followup' wants "
		              "'after WHEN', 'later WHEN' or 'max N' (0 or 1)");
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
			ap->p->set.as_todo = strcmp(t->v[1].text, "todo") == 0;
		else
			gr_conf_error(ap->c, ap->d, t->v[0].col, "'reminders' wants "
			              "'event' or 'todo'");
	} else if (strcmp(k, "introductions") == 0) {
		if (t->n == 2 && (strcmp(t->v[1].text, "opt-in") == 0 ||
		                  strcmp(t->v[1].text, "direct") == 0))
			ap->p->set.direct = strcmp(t->v[1].text, "direct") == 0;
		else
			gr_conf_error(ap->c, ap->d, t->v[0].col, "'introductions' "
			              "wants 'opt-in' or 'direct'");
	} else if (strcmp(k, "alarm") == 0) {
		(void)num_arg(ap, t, 0, 10080, &ap->p->set.alarm_min);
	} else if (strcmp(k, "duration") == 0) {
		(void)num_arg(ap, t, 1, 1440, &ap->p->set.duration_min);
	} else if (strcmp(k, "quote") == 0) {
		(void)num_arg(ap, t, 0, 500, &ap->p->set.quote_lines);
	} else if (strcmp(k, "followup") == 0) {
		followup_line(ap, t);
	} else if (strcmp(k, "keep-done") == 0) {
		(void)num_arg(ap, t, 0, 3650, &ap->p->set.keep_done);
	} else if (strcmp(k, "template") == 0 && t->n == 2) {
		tpl = load_tpl(ap, &t->v[1]);  /* checked (and linted) only */
		gr_template_free(tpl);
	} else if (strcmp(k, "language") == 0) {
		if (t->n == 2 && gr_lang_from_code(t->v[1].text) != GR_LANG_UNKNOWN)
			snprintf(ap->p->set.lang, sizeof ap->p->set.lang, "%s",
			         gr_lang_code(gr_lang_from_code(t->v[1].text)));
		else
			gr_conf_error(ap->c, ap->d, t->v[t->n > 1].col, "'language' "
			              "wants one of en, es, pt, fr, de, it (the "
			              "language of templates/ itself)");
	} else if (strcmp(k, "languages") == 0 && t->n >= 2) {
		ap->p->set.langs = 0;
		for (size_t i = 1; i < t->n; i++) {
			gr_lang l;

			gr_tok_strip_comma(&t->v[i]);
			l = gr_lang_from_code(t->v[i].text);
			if (l == GR_LANG_UNKNOWN)
				gr_conf_error(ap->c, ap->d, t->v[i].col, "unknown "
				              "language '%s' (en, es, pt, fr, de, it)",
				              t->v[i].text);
			else
				ap->p->set.langs |= 1u << l;
		}
	} else {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "unknown keyword '%s' "
		              "(on, reminders, alarm, duration, introductions, "
		              "quote, followup, keep-done, template, language, "
		              "languages)", k);
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
item_opts(act_parse *ap, const gr_toks *t, gr_action *it)
{
	for (size_t i = 2; i < t->n;) {
		const gr_tok *k = &t->v[i], *v = i + 1 < t->n ? &t->v[i + 1] : NULL;
		const char *s = k->text;
		gr_role r;
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
			summary_at *nv;

			if (gr_template_load_mem(gr_conf_path(ap->c), v->text,
			                         strlen(v->text), &it->summary,
			                         ap->d) != GR_OK)
				return -1;
			nv = realloc(ap->p->sums, (ap->p->nsums + 1) * sizeof *nv);
			if (nv) {     /* linted for tone once all is read */
				ap->p->sums = nv;
				nv[ap->p->nsums].text = gr_strdup(v->text);
				nv[ap->p->nsums].line = gr_conf_lineno(ap->c);
				nv[ap->p->nsums].col = v->col + 1;
				if (nv[ap->p->nsums].text)
					ap->p->nsums++;
			}
		} else if (strcmp(s, "template") == 0 && it->is_draft) {
			if (!(it->tpl = load_tpl(ap, v)))
				return -1;
			it->tpl_name = gr_strdup(v->text);
		} else if ((r = role_from(v->text)) == GR_ROLE_NONE) {
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
item_check(act_parse *ap, const gr_toks *t, gr_action *it)
{
	act_list *l = &ap->p->cls[ap->cls];

	if (it->is_draft && ap->cls == GR_CLASS_AUTOMATED) {
		gr_conf_error(ap->c, ap->d, t->v[0].col, "no draft is ever made "
		              "for automated mail (RFC 3834)");
		return -1;
	}
	if (it->is_draft && (it->to == GR_ROLE_NONE || !it->tpl)) {
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
	gr_action it;
	act_list *l;
	const char *k = t->v[0].text;

	memset(&it, 0, sizeof it);
	it.to = GR_ROLE_NONE;
	it.who = GR_ROLE_SENDER;
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
		gr_action *nv = realloc(l->v, (l->n + 1) * sizeof *nv);

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
parse_actions(gr_policy *p, const gr_rules *r, const char *path, gr_diags *d)
{
	act_parse ap = { p, r, NULL, d, -1 };
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

/* Read every template of templates/ and templates/LANG/ (each checked as
 * it loads); their paths go to paths for the tone lint. */
static void
load_all_templates(gr_policy *p, const gr_rules *r, gr_strv *paths,
                   gr_diags *d)
{
	gr_strv rels = { 0 };

	if (gr_rules_files_under(r, "templates/", &rels) != GR_OK)
		return;
	p->tpl = calloc(rels.n ? rels.n : 1, sizeof *p->tpl);
	if (!p->tpl) {
		gr_strv_free(&rels);
		return;
	}
	for (size_t i = 0; i < rels.n; i++) {
		const char *path = gr_rules_file(r, rels.v[i]);
		gr_template *t = NULL;

		if (!path)
			continue;
		if (gr_template_load(path, &t, d) != GR_OK)
			continue;
		p->tpl[p->tpl_rel.n] = t;
		if (gr_strv_push(&p->tpl_rel, rels.v[i]) != GR_OK) {
			gr_template_free(t);
			break;
		}
		gr_strv_push(paths, path);
	}
	gr_strv_free(&rels);
}

/* The "care" file: "sensitive PHRASE, ...", "urgent ...", "decline ..."
 * and "offer ...". */
static void
load_care(gr_policy *p, const gr_rules *r, gr_diags *d)
{
	const char *path = gr_rules_file(r, "care");
	gr_conf *c;
	gr_error err;
	const char *line;
	int indent, cur = -1;

	if (!path)
		return;
	if (gr_conf_open(path, &c, &err) != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return;
	}
	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };
		size_t from = 0;

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (indent == 0) {
			static const char *const kw[GR_CARE_COUNT] = {
				"sensitive", "urgent", "decline", "offer" };

			cur = -1;
			for (int k = 0; k < GR_CARE_COUNT && cur < 0; k++)
				if (strcmp(t.v[0].text, kw[k]) == 0)
					cur = k;
			if (cur < 0)
				gr_conf_error(c, d, t.v[0].col, "unknown care keyword "
				              "'%s' (sensitive, urgent, decline, "
				              "offer)", t.v[0].text);
			from = 1;
		}
		/* Phrases are separated by commas: "passed away, died". */
		{
			char ph[512];
			size_t o = 0;

			for (size_t i = from; cur >= 0 && i < t.n; i++) {
				size_t n = strlen(t.v[i].text);
				int end = n && t.v[i].text[n - 1] == ',';

				gr_tok_strip_comma(&t.v[i]);
				if (*t.v[i].text && o + strlen(t.v[i].text) + 2 <
				    sizeof ph)
					o += (size_t)snprintf(ph + o, sizeof ph - o,
					                      "%s%s", o ? " " : "",
					                      t.v[i].text);
				if ((end || i + 1 == t.n) && o) {
					gr_strv_push(&p->care[cur], ph);
					o = 0;
				}
			}
		}
		gr_toks_free(&t);
	}
	gr_conf_close(c);
}

/* "template NAME" lines: checked for later use. */
static void
collect_named(const gr_rules *r, const char *actions, gr_strv *out)
{
	gr_conf *c;
	const char *line;

	if (gr_conf_open(actions, &c, NULL) != GR_OK)
		return;
	while (gr_conf_next(c, &line, NULL) == GR_OK) {
		char rel[300];
		const char *path;

		if (strncmp(line, "template ", 9) != 0)
			continue;
		snprintf(rel, sizeof rel, "templates/%s", gr_str_trim((char *)line + 9));
		path = gr_rules_file(r, rel);
		if (path && !gr_strv_contains_ci(out, path))
			gr_strv_push(out, path);
	}
	gr_conf_close(c);
}

static void
lint_all(gr_policy *p, const gr_rules *r, const char *actions,
         const gr_strv *paths, gr_diags *d)
{
	gr_tone *t = NULL;

	if (gr_tone_load(r, &t, d) != GR_OK)
		return;
	for (size_t i = 0; i < paths->n; i++)
		gr_tone_check_file(t, paths->v[i], d);
	for (size_t i = 0; i < p->nsums; i++)
		gr_tone_check_text(t, actions, p->sums[i].line, p->sums[i].col,
		                   p->sums[i].text, d);
	gr_tone_free(t);
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
	p->set.quote_lines = POLICY_QUOTE_LINES;
	p->set.fu_after.kind = GR_DUE_BUSINESS_DAYS;
	p->set.fu_after.amount = 5;
	p->set.fu_later.kind = GR_DUE_BUSINESS_DAYS;
	p->set.fu_later.amount = 15;
	p->set.fu_max = 1;
	p->set.keep_done = 30;
	snprintf(p->set.lang, sizeof p->set.lang, "en");
	for (int l = 1; l < GR_LANG_COUNT; l++)
		p->set.langs |= 1u << l;
	st = parse_actions(p, r, path, diags);
	if (st == GR_OK && p->set.fu_max > 0 &&
	    (fu = gr_rules_file(r, "templates/followup.txt")) != NULL)
		(void)gr_template_load(fu, &p->set.fu_tpl, diags);
	if (st == GR_OK) {
		load_care(p, r, diags);
		load_all_templates(p, r, &tpls, diags);
		collect_named(r, path, &tpls);
		lint_all(p, r, path, &tpls, diags);
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


const gr_action *
gr_policy_actions(const gr_policy *p, gr_class c, size_t *n)
{
	if ((unsigned)c >= GR_CLASS_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = p->cls[c].n;
	return p->cls[c].v;
}

static const gr_template *
tpl_find(const gr_policy *p, const char *dir, const char *stem,
         const char *svc, const char *var, const char *ext)
{
	char rel[400];

	snprintf(rel, sizeof rel, "templates/%s%s%s%s%s%s%s", dir, *dir ? "/" : "",
	         stem, svc ? "-" : "", svc ? svc : "", var ? "-" : "",
	         var ? var : "");
	if (strlen(rel) + strlen(ext) + 1 > sizeof rel)
		return NULL;
	strcat(rel, ext);
	for (size_t i = 0; i < p->tpl_rel.n; i++)
		if (strcmp(p->tpl_rel.v[i], rel) == 0)
			return p->tpl[i];
	return NULL;
}

const gr_template *
gr_policy_template(const gr_policy *p, const char *lang, const char *name,
                   const char *service, const char *const *variants,
                   size_t nvariants, const char **lang_used)
{
	char stem[256];
	const char *dot = strrchr(name, '.'), *ext = dot ? dot : "";
	const char *dirs[2] = { "", "" };
	gr_lang l = gr_lang_from_code(lang);
	size_t nd = 0;

	if (lang_used)
		*lang_used = "";
	snprintf(stem, sizeof stem, "%.*s", (int)(dot ? (size_t)(dot - name) :
	         strlen(name)), name);
	if (l != GR_LANG_UNKNOWN && (p->set.langs & (1u << l)) &&
	    strcmp(gr_lang_code(l), p->set.lang) != 0)
		dirs[nd++] = gr_lang_code(l);
	dirs[nd++] = "";
	for (size_t k = 0; k < nd; k++) {
		const gr_template *t = NULL;

		for (size_t v = 0; v < nvariants && !t; v++) {
			if (service)
				t = tpl_find(p, dirs[k], stem, service, variants[v], ext);
			if (!t)
				t = tpl_find(p, dirs[k], stem, NULL, variants[v], ext);
		}
		if (!t && service)
			t = tpl_find(p, dirs[k], stem, service, NULL, ext);
		if (!t)
			t = tpl_find(p, dirs[k], stem, NULL, NULL, ext);
		if (t) {
			if (lang_used)
				*lang_used = dirs[k];
			return t;
		}
	}
	return NULL;
}

const gr_strv *
gr_policy_care(const gr_policy *p, int which)
{
	return &p->care[which >= 0 && which < GR_CARE_COUNT ? which : 0];
}

const gr_policy_settings *
gr_policy_get_settings(const gr_policy *p)
{
	return &p->set;
}

void
gr_policy_followup(const gr_policy *p, gr_due *after, int *max)
{
	*after = p->set.fu_after;
	*max = p->set.fu_max;
}

int
gr_policy_keep_done(const gr_policy *p)
{
	return p->set.keep_done;
}
