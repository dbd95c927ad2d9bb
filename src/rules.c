/* SPDX-License-Identifier: MIT */
/*
 * rules.c - load, layer, compile and lint a gravity rules directory
 * (gravity-rules(5)): scored rules, phrase lists, overrides and contacts;
 * profile, services and partners are parsed in profile.c.  Patterns are
 * PCRE2 (UTF-8, Unicode properties, caseless, invalid UTF-8 tolerated,
 * JIT with the interpreter as fallback, a match limit per pattern).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gravity/buf.h"
#include "rules_priv.h"

#define GR_DEFAULT_THRESHOLD 2.0
#define GR_MAX_RULE_FILES 256

static const char *const class_names[GR_CLASS_COUNT] = {
	"inquiry", "out_of_scope", "referral_intro", "cold_pitch",
	"automated", "other"
};

const char *
gr_class_name(gr_class c)
{
	if ((int)c < 0 || c >= GR_CLASS_COUNT)
		return "other";
	return class_names[c];
}

int
gr_class_from_name(const char *name, gr_class *out)
{
	for (int i = 0; name && i < GR_CLASS_COUNT; i++) {
		if (strcmp(name, class_names[i]) == 0) {
			*out = (gr_class)i;
			return 0;
		}
	}
	return -1;
}

/* --- patterns ----------------------------------------------------------- */

pcre2_code *
gr_re_compile(gr_diags *d, const char *file, unsigned line, unsigned col,
              const char *pat, const char *flags)
{
	uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS |
	               PCRE2_MATCH_INVALID_UTF;
	pcre2_code *re;
	int errcode;
	PCRE2_SIZE off;

	for (const char *f = flags ? flags : ""; *f; f++) {
		switch (*f) {
		case 'i': break;
		case 'c': opt &= ~(uint32_t)PCRE2_CASELESS; break;
		case 's': opt |= PCRE2_DOTALL; break;
		case 'm': opt |= PCRE2_MULTILINE; break;
		case 'x': opt |= PCRE2_EXTENDED; break;
		default:
			gr_diag_add(d, file, line, col, "unknown regex flag '%c' "
			            "(i, c, s, m, x)", *f);
			return NULL;
		}
	}
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opt,
	                   &errcode, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof msg);
		gr_diag_add(d, file, line, col, "bad regex /%s/: %s at offset "
		            "%zu", pat, (const char *)msg, (size_t)off);
		return NULL;
	}
	/* JIT is an optimisation: without it (W^X policies) the
	 * interpreter runs the same pattern. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

pcre2_code *
gr_re_compile_at(gr_conf *c, gr_diags *d, unsigned col, const char *pat,
                 const char *flags)
{
	return gr_re_compile(d, gr_conf_path(c), gr_conf_lineno(c), col, pat,
	                     flags);
}

int
gr_re_match(const gr_rules *r, const pcre2_code *re, const char *s,
            pcre2_match_data *md, size_t *so, size_t *eo)
{
	int rc;

	if (!re || !s)
		return 0;
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, r->mctx);
	if (rc < 0)
		return 0;
	if (so && eo) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

		*so = ov[0];
		*eo = ov[1] >= ov[0] ? ov[1] : ov[0];
	}
	return 1;
}

void
gr_tok_strip_comma(gr_tok *t)
{
	size_t n;

	if (t->regex) {
		char *cm = strchr(t->flags, ',');

		if (cm)
			*cm = '\0';
		return;
	}
	if (t->quoted)
		return;
	n = strlen(t->text);
	if (n > 0 && t->text[n - 1] == ',')
		t->text[n - 1] = '\0';
}

/* --- small helpers ------------------------------------------------------ */

const char *
gr_rules_intern(gr_rules *r, const char *path)
{
	for (size_t i = 0; i < r->paths.n; i++)
		if (strcmp(r->paths.v[i], path) == 0)
			return r->paths.v[i];
	if (gr_strv_push(&r->paths, path) != GR_OK)
		return "?";
	return r->paths.v[r->paths.n - 1];
}

static int
parse_number(const char *s, double *out)
{
	char *end;

	if (!*s)
		return -1;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

static gr_rule *
rule_by_name(const gr_rules *r, const char *name, size_t *idx)
{
	for (size_t i = 0; i < r->nrules; i++) {
		if (strcmp(r->rules[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &r->rules[i];
		}
	}
	return NULL;
}

static long
list_by_name(const gr_rules *r, const char *name)
{
	for (size_t i = 0; i < r->nlists; i++)
		if (strcmp(r->lists[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* --- conditions --------------------------------------------------------- */

static const char *const field_names[GF_COUNT] = {
	"subject", "from", "from-name", "from-domain", "to", "cc",
	"reply-to", "body", "quoted", "signature", "text", "header"
};
static const char *const num_names[GN_COUNT] = {
	"recipients", "to-count", "cc-count", "attachments", "offered",
	"referred", "body-words"
};
static const char *const pred_names[GP_COUNT] = {
	"sender-known", "sender-partner", "owner-in-to", "owner-in-cc",
	"other-person", "has-attachment", "html-only", "is-reply",
	"is-forward", "is-report", "automated", "service-offered",
	"service-referred", "owner-quoted"
};

static int
name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int
cond_text_op(gr_rules *r, gr_conf *c, gr_diags *d, gr_cond *k,
             const gr_toks *t, size_t i)
{
	const gr_tok *op = i < t->n ? &t->v[i] : NULL;

	if (!op) {
		gr_conf_error(c, d, t->v[i - 1].col, "missing operator after "
		              "'%s' (~ /regex/, ~ @list, = \"text\", exists)",
		              t->v[i - 1].text);
		return -1;
	}
	k->argcol = i + 1 < t->n ? t->v[i + 1].col : op->col;
	if (strcmp(op->text, "exists") == 0 && !op->quoted && i + 1 == t->n) {
		k->op = GO_EXISTS;
		return 0;
	}
	if (i + 2 != t->n || op->quoted ||
	    (strcmp(op->text, "~") != 0 && strcmp(op->text, "=") != 0)) {
		gr_conf_error(c, d, op->col, "want '~ /regex/', '~ @list', "
		              "'= \"text\"' or 'exists' here");
		return -1;
	}
	if (op->text[0] == '=') {
		k->op = GO_EQ;
		k->eq = gr_strdup(t->v[i + 1].text);
		return 0;
	}
	if (t->v[i + 1].regex) {
		k->op = GO_RE;
		k->re = gr_re_compile_at(c, d, t->v[i + 1].col, t->v[i + 1].text,
		                         t->v[i + 1].flags);
		return k->re ? 0 : -1;
	}
	if (t->v[i + 1].text[0] == '@' && !t->v[i + 1].quoted) {
		k->op = GO_LIST;
		k->eq = gr_strdup(t->v[i + 1].text + 1);
		return 0;
	}
	(void)r;
	gr_conf_error(c, d, t->v[i + 1].col, "'~' wants /regex/ or @list, "
	              "not '%s'", t->v[i + 1].text);
	return -1;
}

static int
cond_num(gr_conf *c, gr_diags *d, gr_cond *k, const gr_toks *t, size_t i)
{
	static const char *const cmps[] = { "<", "<=", ">", ">=", "=", "!=" };
	int ci;

	if (i + 2 != t->n) {
		gr_conf_error(c, d, t->v[i - 1].col, "'%s' wants a comparison "
		              "and a number, e.g. '%s >= 2'", t->v[i - 1].text,
		              t->v[i - 1].text);
		return -1;
	}
	ci = name_index(cmps, 6, t->v[i].text);
	if (ci < 0 && strcmp(t->v[i].text, "==") == 0)
		ci = GCMP_EQ;
	if (ci < 0) {
		gr_conf_error(c, d, t->v[i].col, "unknown comparison '%s' "
		              "(<, <=, >, >=, =, !=)", t->v[i].text);
		return -1;
	}
	k->cmp = (enum gr_cmp)ci;
	if (parse_number(t->v[i + 1].text, &k->value) != 0) {
		gr_conf_error(c, d, t->v[i + 1].col, "'%s' is not a number",
		              t->v[i + 1].text);
		return -1;
	}
	return 0;
}

static int
cond_refs(gr_conf *c, gr_diags *d, gr_cond *k, const gr_toks *t, size_t i)
{
	int neg = 0;

	for (; i < t->n; i++) {
		gr_ref *nv;

		if (strcmp(t->v[i].text, "not") == 0 && !t->v[i].quoted) {
			neg = !neg;
			continue;
		}
		nv = realloc(k->refs, (k->nrefs + 1) * sizeof *nv);
		if (!nv)
			return -1;
		k->refs = nv;
		nv[k->nrefs].name = gr_strdup(t->v[i].text);
		nv[k->nrefs].neg = neg;
		nv[k->nrefs].col = t->v[i].col;
		nv[k->nrefs].idx = 0;
		k->nrefs++;
		neg = 0;
	}
	if (k->nrefs == 0 || neg) {
		gr_conf_error(c, d, t->v[i - 1].col, "'%s' wants rule names",
		              k->kind == GC_ALL ? "all" : "any");
		return -1;
	}
	return 0;
}

/* Parse one condition line into k.  0 on success. */
static int
cond_parse(gr_rules *r, gr_conf *c, gr_diags *d, gr_cond *k,
           const gr_toks *t)
{
	size_t i = 0;
	const char *w;
	int x;

	memset(k, 0, sizeof *k);
	k->line = gr_conf_lineno(c);
	k->col = t->v[0].col;
	while (i < t->n && strcmp(t->v[i].text, "not") == 0) {
		k->neg = !k->neg;
		i++;
	}
	if (i == t->n) {
		gr_conf_error(c, d, t->v[0].col, "'not' of nothing");
		return -1;
	}
	w = t->v[i].text;
	if (strcmp(w, "all") == 0 || strcmp(w, "any") == 0) {
		k->kind = w[1] == 'l' ? GC_ALL : GC_ANY;
		return cond_refs(c, d, k, t, i + 1);
	}
	if ((x = name_index(pred_names, GP_COUNT, w)) >= 0) {
		k->kind = GC_PRED;
		k->pred = (enum gr_pred)x;
		if (i + 1 != t->n) {
			gr_conf_error(c, d, t->v[i + 1].col, "'%s' takes no "
			              "operand", w);
			return -1;
		}
		return 0;
	}
	if ((x = name_index(num_names, GN_COUNT, w)) >= 0) {
		k->kind = GC_NUM;
		k->num = (enum gr_num)x;
		return cond_num(c, d, k, t, i + 1);
	}
	if ((x = name_index(field_names, GF_COUNT, w)) >= 0) {
		k->kind = GC_TEXT;
		k->field = (enum gr_field)x;
		if (k->field == GF_HEADER) {
			if (++i >= t->n) {
				gr_conf_error(c, d, t->v[i - 1].col, "'header' "
				              "wants a header name");
				return -1;
			}
			k->header = gr_strdup(t->v[i].text);
		}
		return cond_text_op(r, c, d, k, t, i + 1);
	}
	if (i + 1 == t->n && !t->v[i].quoted && !t->v[i].regex) {
		/* a bare name: another rule (resolved after loading) */
		k->kind = GC_ALL;
		return cond_refs(c, d, k, t, i);
	}
	gr_conf_error(c, d, t->v[i].col, "unknown keyword or field '%s' in a "
	              "rule", w);
	return -1;
}

static void
cond_free(gr_cond *k)
{
	free(k->header);
	free(k->eq);
	if (k->re)
		pcre2_code_free(k->re);
	for (size_t i = 0; i < k->nrefs; i++)
		free(k->refs[i].name);
	free(k->refs);
}

/* --- rule and list blocks ----------------------------------------------- */

static void
rule_score(gr_conf *c, gr_diags *d, gr_rule *ru, const gr_toks *t)
{
	size_t i = 1;

	ru->scored = 1;
	while (i < t->n) {
		gr_class cls;
		double v;

		gr_tok_strip_comma(&t->v[i]);
		if (gr_class_from_name(t->v[i].text, &cls) != 0) {
			gr_conf_error(c, d, t->v[i].col, "unknown class '%s' in "
			              "score", t->v[i].text);
			return;
		}
		if (i + 1 >= t->n) {
			gr_conf_error(c, d, t->v[i].col, "class '%s' without a "
			              "score", t->v[i].text);
			return;
		}
		gr_tok_strip_comma(&t->v[i + 1]);
		if (parse_number(t->v[i + 1].text, &v) != 0) {
			gr_conf_error(c, d, t->v[i + 1].col, "score '%s' is not "
			              "a number", t->v[i + 1].text);
			return;
		}
		ru->score[cls] += v;
		i += 2;
	}
	if (t->n < 3)
		gr_conf_error(c, d, t->v[0].col, "'score' wants CLASS NUMBER "
		              "pairs");
}

static void
rule_line(gr_rules *r, gr_conf *c, gr_diags *d, gr_rule *ru,
          const gr_toks *t)
{
	const char *k = t->v[0].text;
	gr_cond *nv;

	if (strcmp(k, "describe") == 0 || strcmp(k, "description") == 0) {
		if (t->n != 2)
			gr_conf_error(c, d, t->v[0].col, "'%s' wants one "
			              "\"quoted text\"", k);
		else if (ru->desc)
			gr_conf_error(c, d, t->v[0].col, "rule '%s' has two "
			              "descriptions", ru->name);
		else
			ru->desc = gr_strdup(t->v[1].text);
		return;
	}
	if (strcmp(k, "score") == 0) {
		rule_score(c, d, ru, t);
		return;
	}
	nv = realloc(ru->conds, (ru->nconds + 1) * sizeof *nv);
	if (!nv)
		return;
	ru->conds = nv;
	if (cond_parse(r, c, d, &nv[ru->nconds], t) == 0)
		ru->nconds++;
	else
		cond_free(&nv[ru->nconds]);
}

/* Append re to l's patterns (taking it; freed on failure). */
static gr_status
list_add_re(gr_list *l, pcre2_code *re)
{
	pcre2_code **nv = realloc(l->res, (l->nres + 1) * sizeof *nv);

	if (!nv) {
		pcre2_code_free(re);
		return GR_E_NOMEM;
	}
	l->res = nv;
	l->res[l->nres++] = re;
	return GR_OK;
}

static void
list_phrases(gr_conf *c, gr_diags *d, gr_list *l, const gr_toks *t,
             size_t from)
{
	for (size_t i = from; i < t->n; i++) {
		gr_tok *k = &t->v[i];

		gr_tok_strip_comma(k);
		if (!*k->text)
			continue;
		if (k->regex) {
			pcre2_code *re = gr_re_compile_at(c, d, k->col, k->text,
			                                  k->flags);

			if (!re)
				continue;
			if (list_add_re(l, re) != GR_OK) {
				gr_conf_error(c, d, k->col, "out of memory");
				continue;
			}
		} else {
			gr_strv_push(&l->plain, k->text);
		}
		gr_strv_push(&l->phrases, k->text);
	}
}

static void
list_finish(gr_rules *r, gr_diags *d, gr_list *l)
{
	pcre2_code *re;
	char *pat;

	if (!l || l->finished)
		return;
	l->finished = 1;
	if (l->nres == 0 && l->plain.n == 0) {
		gr_diag_add(d, l->file, l->line, 1, "list '%s' has no phrases",
		            l->name);
		return;
	}
	if (l->plain.n == 0)
		return;
	/* The trie goes first: it is what most lists are made of. */
	if (!(pat = gr_phrase_union(&l->plain))) {
		gr_diag_add(d, l->file, l->line, 1, "list '%s': out of memory",
		            l->name);
		return;
	}
	re = gr_re_compile(d, l->file, l->line, 1, pat, "");
	free(pat);
	if (!re)
		return;         /* said by gr_re_compile */
	if (list_add_re(l, re) != GR_OK) {
		gr_diag_add(d, l->file, l->line, 1, "list '%s': out of memory",
		            l->name);
		return;
	}
	memmove(l->res + 1, l->res, (l->nres - 1) * sizeof *l->res);
	l->res[0] = re;
	(void)r;
}

static gr_rule *
rule_new(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	gr_rule *nv;

	if (t->n != 2) {
		gr_conf_error(c, d, t->v[0].col, "want 'rule NAME'");
		return NULL;
	}
	if (rule_by_name(r, t->v[1].text, NULL)) {
		gr_conf_error(c, d, t->v[1].col, "duplicate rule name '%s'",
		              t->v[1].text);
		return NULL;
	}
	nv = realloc(r->rules, (r->nrules + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	r->rules = nv;
	memset(&nv[r->nrules], 0, sizeof *nv);
	nv[r->nrules].name = gr_strdup(t->v[1].text);
	nv[r->nrules].file = gr_rules_intern(r, gr_conf_path(c));
	nv[r->nrules].line = gr_conf_lineno(c);
	return &nv[r->nrules++];
}

static gr_list *
list_new(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	gr_list *nv;

	if (t->n < 2) {
		gr_conf_error(c, d, t->v[0].col, "want 'list NAME' followed by "
		              "phrases");
		return NULL;
	}
	if (list_by_name(r, t->v[1].text) >= 0) {
		gr_conf_error(c, d, t->v[1].col, "duplicate list name '%s'",
		              t->v[1].text);
		return NULL;
	}
	nv = realloc(r->lists, (r->nlists + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	r->lists = nv;
	memset(&nv[r->nlists], 0, sizeof *nv);
	nv[r->nlists].name = gr_strdup(t->v[1].text);
	nv[r->nlists].file = gr_rules_intern(r, gr_conf_path(c));
	nv[r->nlists].line = gr_conf_lineno(c);
	list_phrases(c, d, &nv[r->nlists], t, 2);
	return &nv[r->nlists++];
}

static void
rule_end(gr_rules *r, long ri, gr_diags *d)
{
	gr_rule *ru;

	if (ri < 0)
		return;
	ru = &r->rules[ri];
	if (!ru->desc)
		gr_diag_add(d, ru->file, ru->line, 1, "rule '%s' has no "
		            "description (add: describe \"...\")", ru->name);
	if (ru->nconds == 0)
		gr_diag_add(d, ru->file, ru->line, 1, "rule '%s' has no "
		            "condition", ru->name);
}

static void
top_line(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t,
         long *ri, long *li)
{
	const char *k = t->v[0].text;
	gr_rule *ru;
	gr_list *l;

	if (strcmp(k, "rule") == 0) {
		ru = rule_new(r, c, d, t);
		*ri = ru ? (long)(ru - r->rules) : -2;
	} else if (strcmp(k, "list") == 0) {
		l = list_new(r, c, d, t);
		*li = l ? (long)(l - r->lists) : -2;
	} else if (strcmp(k, "threshold") == 0) {
		if (t->n != 2 || parse_number(t->v[1].text, &r->threshold) ||
		    r->threshold <= 0)
			gr_conf_error(c, d, t->v[0].col, "'threshold' wants one "
			              "positive number");
	} else {
		gr_conf_error(c, d, t->v[0].col, "unknown keyword '%s' (rule, "
		              "list, threshold)", k);
	}
}

static void
rules_file_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;
	long ri = -1, li = -1;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (indent == 0) {
			rule_end(r, ri, d);
			if (li >= 0)
				list_finish(r, d, &r->lists[li]);
			ri = li = -1;
			top_line(r, c, d, &t, &ri, &li);
		} else if (ri >= 0) {
			rule_line(r, c, d, &r->rules[ri], &t);
		} else if (li >= 0) {
			list_phrases(c, d, &r->lists[li], &t, 0);
		} else if (ri == -2 || li == -2) {
			/* the block's head was reported already */
		} else {
			gr_conf_error(c, d, t.v[0].col, "indented line outside "
			              "a rule or list");
		}
		gr_toks_free(&t);
	}
	rule_end(r, ri, d);
	if (li >= 0)
		list_finish(r, d, &r->lists[li]);
}

/* --- overrides and contacts --------------------------------------------- */

static void
override_line(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	gr_override o = { 0 };
	gr_override *nv;
	gr_buf b;

	if (t->n != 4 || (strcmp(t->v[0].text, "sender") != 0 &&
	                  strcmp(t->v[0].text, "domain") != 0)) {
		gr_conf_error(c, d, t->v[0].col, "want 'sender ADDRESS "
		              "always|never CLASS' or 'domain DOMAIN "
		              "always|never CLASS'");
		return;
	}
	o.domain = t->v[0].text[0] == 'd';
	if (o.domain ? strchr(t->v[1].text, '@') != NULL :
	               strchr(t->v[1].text, '@') == NULL) {
		gr_conf_error(c, d, t->v[1].col, "'%s' is not %s", t->v[1].text,
		              o.domain ? "a domain" : "an address");
		return;
	}
	if (strcmp(t->v[2].text, "always") != 0 &&
	    strcmp(t->v[2].text, "never") != 0) {
		gr_conf_error(c, d, t->v[2].col, "want 'always' or 'never', not "
		              "'%s'", t->v[2].text);
		return;
	}
	o.always = t->v[2].text[0] == 'a';
	if (gr_class_from_name(t->v[3].text, &o.cls) != 0) {
		gr_conf_error(c, d, t->v[3].col, "unknown class '%s'",
		              t->v[3].text);
		return;
	}
	nv = realloc(r->ovr, (r->novr + 1) * sizeof *nv);
	if (!nv)
		return;
	r->ovr = nv;
	o.who = gr_strdup(t->v[1].text);
	gr_str_lower(o.who);
	gr_buf_init(&b, 4096);
	gr_buf_printf(&b, "%s:%u: %s %s: %s %s", gr_conf_path(c),
	              gr_conf_lineno(c), t->v[0].text, o.who, t->v[2].text,
	              t->v[3].text);
	o.text = gr_buf_steal(&b);
	r->ovr[r->novr++] = o;
}

static void
simple_file_parse(gr_rules *r, gr_conf *c, gr_diags *d, int contacts)
{
	const char *line;
	int indent;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) == GR_OK && t.n > 0) {
			if (!contacts) {
				override_line(r, c, d, &t);
			} else {
				for (size_t i = 0; i < t.n; i++) {
					gr_tok_strip_comma(&t.v[i]);
					if (!strchr(t.v[i].text, '@')) {
						gr_conf_error(c, d, t.v[i].col,
						    "'%s' is not an address",
						    t.v[i].text);
						continue;
					}
					gr_str_lower(t.v[i].text);
					gr_strv_push(&r->contacts, t.v[i].text);
				}
			}
		}
		gr_toks_free(&t);
	}
}

/* --- layering ----------------------------------------------------------- */

static int
skip_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] == '.' || (len && n[len - 1] == '~') ||
	       strcmp(n, "files.am") == 0 || strcmp(n, "Makefile") == 0 ||
	       (len > 3 && strcmp(n + len - 3, ".am") == 0) ||
	       (len > 3 && strcmp(n + len - 3, ".in") == 0);
}

static void
file_put(gr_rules *r, const char *rel, const char *path)
{
	gr_fileent *nv;

	for (size_t i = 0; i < r->nfiles; i++) {
		if (strcmp(r->files[i].rel, rel) == 0) {
			char *p = gr_strdup(path);

			if (p) {
				free(r->files[i].path);
				r->files[i].path = p;
			}
			return;
		}
	}
	nv = realloc(r->files, (r->nfiles + 1) * sizeof *nv);
	if (!nv)
		return;
	r->files = nv;
	nv[r->nfiles].rel = gr_strdup(rel);
	nv[r->nfiles].path = gr_strdup(path);
	r->nfiles++;
}

/* Add dir's files (and those of its subdirectories, one level) under the
 * relative prefix. */
static void
scan_dir(gr_rules *r, const char *dir, const char *prefix, int depth,
         gr_diags *d)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp) {
		if (depth == 0)
			gr_diag_add(d, dir, 0, 0, "cannot open rules directory");
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		char path[4096], rel[1024];
		struct stat st;
		int n1, n2;

		if (skip_name(e->d_name))
			continue;
		n1 = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		n2 = snprintf(rel, sizeof rel, "%s%s", prefix, e->d_name);
		if (n1 < 0 || (size_t)n1 >= sizeof path || n2 < 0 ||
		    (size_t)n2 >= sizeof rel || stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth == 0) {
			char sub[1024];

			snprintf(sub, sizeof sub, "%s/", e->d_name);
			scan_dir(r, path, sub, depth + 1, d);
		} else if (S_ISREG(st.st_mode)) {
			file_put(r, rel, path);
		}
	}
	closedir(dp);
}

static int
cmp_fileent(const void *a, const void *b)
{
	return strcmp(((const gr_fileent *)a)->rel,
	              ((const gr_fileent *)b)->rel);
}

const char *
gr_rules_file(const gr_rules *r, const char *relname)
{
	for (size_t i = 0; r && i < r->nfiles; i++)
		if (strcmp(r->files[i].rel, relname) == 0)
			return r->files[i].path;
	return NULL;
}

static void
parse_one(gr_rules *r, const char *path, gr_diags *d,
          void (*fn)(gr_rules *, gr_conf *, gr_diags *))
{
	gr_conf *c;
	gr_error err;

	if (gr_conf_open(gr_rules_intern(r, path), &c, &err) != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return;
	}
	fn(r, c, d);
	gr_conf_close(c);
}

static void
overrides_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	simple_file_parse(r, c, d, 0);
}

static void
contacts_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	simple_file_parse(r, c, d, 1);
}

static int
is_rules_name(const char *rel)
{
	size_t n = strlen(rel);

	return !strchr(rel, '/') && n > 6 && strcmp(rel + n - 6, ".rules") == 0;
}

/* --- resolution and lint ------------------------------------------------ */

/* 1 if following rule i's references reaches a rule on the path. */
static int
has_cycle(const gr_rules *r, size_t i, unsigned char *mark)
{
	const gr_rule *ru = &r->rules[i];

	if (mark[i] == 1)
		return 1;
	if (mark[i] == 2)
		return 0;
	mark[i] = 1;
	for (size_t k = 0; k < ru->nconds; k++)
		for (size_t j = 0; j < ru->conds[k].nrefs; j++)
			if (has_cycle(r, ru->conds[k].refs[j].idx, mark))
				return 1;
	mark[i] = 2;
	return 0;
}

static void
resolve(gr_rules *r, gr_diags *d)
{
	unsigned char *mark;
	int ok = 1;

	for (size_t i = 0; i < r->nrules; i++) {
		gr_rule *ru = &r->rules[i];

		for (size_t k = 0; k < ru->nconds; k++) {
			gr_cond *cd = &ru->conds[k];

			if (cd->kind == GC_TEXT && cd->op == GO_LIST) {
				long li = list_by_name(r, cd->eq);

				if (li < 0)
					gr_diag_add(d, ru->file, cd->line,
					            cd->argcol, "undefined list "
					            "'@%s'", cd->eq);
				cd->list = li < 0 ? 0 : (size_t)li;
				if (li < 0)
					ok = 0;
			}
			for (size_t j = 0; j < cd->nrefs; j++) {
				if (!rule_by_name(r, cd->refs[j].name,
				                  &cd->refs[j].idx)) {
					gr_diag_add(d, ru->file, cd->line,
					            cd->refs[j].col, "undefined "
					            "rule '%s'", cd->refs[j].name);
					ok = 0;
				}
			}
		}
	}
	if (!ok || r->nrules == 0)
		return;
	mark = calloc(r->nrules, 1);
	for (size_t i = 0; mark && i < r->nrules; i++) {
		memset(mark, 0, r->nrules);
		if (has_cycle(r, i, mark)) {
			gr_diag_add(d, r->rules[i].file, r->rules[i].line, 1,
			            "rule '%s' refers to itself through all/any",
			            r->rules[i].name);
		}
	}
	free(mark);
}

static void
lint_reach(const gr_rules *r, gr_diags *d, const char *where)
{
	if (r->nrules == 0)
		return;
	for (int c = 0; c < GR_CLASS_COUNT; c++) {
		int reach = 0;

		if (c == GR_CLASS_OTHER || c == GR_CLASS_AUTOMATED)
			continue;       /* fallback and built-in */
		for (size_t i = 0; i < r->nrules && !reach; i++)
			reach = r->rules[i].score[c] > 0;
		/* An "always CLASS" override is a deliberate way in. */
		for (size_t i = 0; i < r->novr && !reach; i++)
			reach = r->ovr[i].always && (int)r->ovr[i].cls == c;
		if (!reach)
			gr_diag_add(d, where, 0, 0, "no rule gives class '%s' a "
			            "positive score and no override says 'always "
			            "%s': no message can be classified %s",
			            class_names[c], class_names[c],
			            class_names[c]);
	}
}

/* --- load / free -------------------------------------------------------- */

static void
load_files(gr_rules *r, gr_diags *d)
{
	static const struct {
		const char *rel;
		void (*fn)(gr_rules *, gr_conf *, gr_diags *);
	} fixed[] = {
		{ "profile", gr_profile_parse },
		{ "services", gr_services_parse },
		{ "partners", gr_partners_parse },
	};
	const char *p;

	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if ((p = gr_rules_file(r, fixed[i].rel)) != NULL)
			parse_one(r, p, d, fixed[i].fn);
	for (size_t i = 0; i < r->nfiles; i++)
		if (is_rules_name(r->files[i].rel))
			parse_one(r, r->files[i].path, d, rules_file_parse);
	if ((p = gr_rules_file(r, "overrides")) != NULL)
		parse_one(r, p, d, overrides_parse);
	if ((p = gr_rules_file(r, "contacts")) != NULL)
		parse_one(r, p, d, contacts_parse);
}

gr_status
gr_rules_load(const char *const *dirs, size_t ndirs, gr_rules **out,
              gr_diags *diags)
{
	gr_rules *r;
	size_t before = gr_diags_errors(diags);

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return GR_E_NOMEM;
	for (int i = 0; i < 7; i++)
		r->profile.week[i].open = r->profile.week[i].close = -1;
	r->threshold = GR_DEFAULT_THRESHOLD;
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->mctx) {
		gr_rules_free(r);
		return GR_E_NOMEM;
	}
	pcre2_set_match_limit(r->mctx, GR_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, GR_RE_DEPTH_LIMIT);
	if (gr_classify_builtins(r, diags) != GR_OK) {
		gr_rules_free(r);
		return GR_E_INTERNAL;
	}
	for (size_t i = 0; i < ndirs; i++)
		scan_dir(r, dirs[i], "", 0, diags);
	if (r->nfiles > 1)
		qsort(r->files, r->nfiles, sizeof *r->files, cmp_fileent);
	load_files(r, diags);
	resolve(r, diags);
	lint_reach(r, diags, ndirs ? dirs[ndirs - 1] : "-");
	if (gr_diags_errors(diags) > before) {
		gr_rules_free(r);
		return GR_E_CONFIG;
	}
	*out = r;
	return GR_OK;
}

void
gr_rules_free(gr_rules *r)
{
	if (!r)
		return;
	gr_profile_free(&r->profile);
	for (size_t i = 0; i < r->nsvcs; i++) {
		free(r->svcs[i].pub.key);
		free(r->svcs[i].pub.label);
		for (size_t j = 0; j < r->svcs[i].npats; j++)
			pcre2_code_free(r->svcs[i].pats[j]);
		free(r->svcs[i].pats);
	}
	free(r->svcs);
	for (size_t i = 0; i < r->npartners; i++) {
		free(r->partners[i].pub.name);
		free(r->partners[i].pub.org);
		free(r->partners[i].pub.email);
		gr_strv_free(&r->partners[i].pub.services);
	}
	free(r->partners);
	for (size_t i = 0; i < r->nrules; i++) {
		for (size_t k = 0; k < r->rules[i].nconds; k++)
			cond_free(&r->rules[i].conds[k]);
		free(r->rules[i].conds);
		free(r->rules[i].name);
		free(r->rules[i].desc);
	}
	free(r->rules);
	for (size_t i = 0; i < r->nlists; i++) {
		free(r->lists[i].name);
		for (size_t j = 0; j < r->lists[i].nres; j++)
			pcre2_code_free(r->lists[i].res[j]);
		free(r->lists[i].res);
		gr_strv_free(&r->lists[i].phrases);
		gr_strv_free(&r->lists[i].plain);
	}
	free(r->lists);
	for (size_t i = 0; i < r->novr; i++) {
		free(r->ovr[i].who);
		free(r->ovr[i].text);
	}
	free(r->ovr);
	gr_strv_free(&r->contacts);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].rel);
		free(r->files[i].path);
	}
	free(r->files);
	gr_strv_free(&r->paths);
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->re_autosubj);
	pcre2_code_free(r->re_attrib);
	pcre2_code_free(r->re_thanks);
	pcre2_code_free(r->re_named);
	free(r);
}

/* --- accessors ---------------------------------------------------------- */

const gr_profile *
gr_rules_profile(const gr_rules *r)
{
	return &r->profile;
}

size_t
gr_rules_n_services(const gr_rules *r)
{
	return r->nsvcs;
}

const gr_service *
gr_rules_service(const gr_rules *r, size_t i)
{
	return i < r->nsvcs ? &r->svcs[i].pub : NULL;
}

const gr_service *
gr_rules_service_by_key(const gr_rules *r, const char *key)
{
	for (size_t i = 0; key && i < r->nsvcs; i++)
		if (strcmp(r->svcs[i].pub.key, key) == 0)
			return &r->svcs[i].pub;
	return NULL;
}

size_t
gr_rules_n_partners(const gr_rules *r)
{
	return r->npartners;
}

const gr_partner *
gr_rules_partner(const gr_rules *r, size_t i)
{
	return i < r->npartners ? &r->partners[i].pub : NULL;
}

const gr_partner *
gr_rules_partner_for(const gr_rules *r, const char *key)
{
	for (size_t i = 0; key && i < r->npartners; i++)
		if (r->partners[i].pub.email &&
		    gr_strv_contains_ci(&r->partners[i].pub.services, key))
			return &r->partners[i].pub;
	return NULL;
}

int
gr_rules_is_owner(const gr_rules *r, const char *addr)
{
	return addr && gr_strv_contains_ci(&r->profile.emails, addr);
}

size_t
gr_rules_n_rules(const gr_rules *r)
{
	return r->nrules;
}

int
gr_rules_rule_info(const gr_rules *r, size_t i, gr_rule_info *out)
{
	const gr_rule *ru;

	if (i >= r->nrules)
		return -1;
	ru = &r->rules[i];
	out->name = ru->name;
	out->desc = ru->desc;
	out->file = ru->file;
	out->line = ru->line;
	out->scored = ru->scored;
	memcpy(out->score, ru->score, sizeof out->score);
	return 0;
}

double
gr_rules_threshold(const gr_rules *r)
{
	return r->threshold;
}

int
gr_rules_is_contact(const gr_rules *r, const char *addr)
{
	return addr && gr_strv_contains_ci(&r->contacts, addr);
}
