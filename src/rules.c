/* SPDX-License-Identifier: MIT */
/*
 * rules.c - load, layer, compile and lint a gravity rules directory
 * (gravity-rules(5)): scored rules, phrase lists and overrides over the
 * patterns of pattern.h; the owner's files are handed to owner.c.  Also the
 * evaluation of the rules over the facts of one message (gr_rules_eval).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gravity/buf.h"
#include "gravity/rules.h"

enum gr_ckind { GC_TEXT, GC_NUM, GC_PRED, GC_ALL, GC_ANY };
enum gr_op { GO_RE, GO_LIST, GO_EXISTS, GO_EQ };
enum gr_cmp { GCMP_LT, GCMP_LE, GCMP_GT, GCMP_GE, GCMP_EQ, GCMP_NE };

typedef struct gr_ref {
	char *name;             /* rule name as written */
	size_t idx;             /* resolved index into gr_rules.rules */
	int neg;
	unsigned col;
} gr_ref;

typedef struct gr_cond {
	enum gr_ckind kind;
	int neg;
	unsigned line, col;
	/* GC_TEXT */
	gr_field field;
	char *header;           /* GR_FIELD_HEADER: header name */
	enum gr_op op;
	gr_pattern *re;         /* GO_RE (owned) */
	size_t list;            /* GO_LIST: index into gr_rules.lists */
	char *eq;               /* GO_EQ text; GO_LIST: list name */
	unsigned argcol;        /* column of the operand */
	/* GC_NUM */
	gr_num num;
	enum gr_cmp cmp;
	double value;
	/* GC_PRED */
	gr_pred pred;
	/* GC_ALL, GC_ANY */
	gr_ref *refs;
	size_t nrefs;
} gr_cond;

typedef struct gr_rule {
	char *name;
	char *desc;
	const char *file;       /* interned in gr_rules.paths */
	unsigned line;
	gr_cond *conds;
	size_t nconds;
	double score[GR_CLASS_COUNT];
	int scored;             /* 1 if a score line was given */
} gr_rule;

typedef struct gr_list {
	char *name;
	const char *file;
	unsigned line;
	/* The plain phrases as one trie-shaped pattern, then each /regex/
	 * entry on its own: one alternation of all would lose PCRE2's
	 * start-of-match optimisations as soon as one entry can start
	 * anywhere.  Owned. */
	gr_pattern **res;
	size_t nres;
	int finished;
	gr_strv phrases;        /* as written, for diagnostics */
	gr_strv plain;          /* plain phrases */
	gr_strv files;          /* the files that add to it (one block each) */
} gr_list;

typedef struct gr_override {
	int domain;             /* 1: domain line, 0: sender line */
	char *who;              /* lowercased address or domain */
	int always;             /* 1: always CLASS, 0: never CLASS */
	gr_class cls;
	char *text;             /* "overrides:3: sender a@b.c: always other" */
} gr_override;

/* relname -> path, the winner through the layers, and the paths it
 * replaced (lowest layer first). */
typedef struct gr_fileent {
	char *rel;
	char *path;
	gr_strv below;
} gr_fileent;

struct gr_rules {
	gr_owner *owner;
	gr_rule *rules;
	size_t nrules;
	gr_list *lists;
	size_t nlists;
	gr_strmap lmap;         /* a list's name -> its index */
	gr_override *ovr;
	size_t novr;
	gr_fileent *files;
	size_t nfiles;
	gr_strv paths;          /* interned file paths for rules/diags */
	double threshold;       /* minimum total for a class to win */
	/* learned weights: feature name -> row of wt */
	int has_weights;
	gr_strmap wmap;
	double *wt;             /* rows of GR_CLASS_COUNT */
	size_t nwt;
	/* every list's patterns and every regex of a rule, for one scan of
	 * each text for all of them (pattern.h, "Scanners"); owned */
	gr_scanner *scanner;
};

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

/* --- small helpers ------------------------------------------------------ */

/* The copy of path kept for the life of r (never NULL). */
static const char *
intern(gr_rules *r, const char *path)
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
	return gr_strmap_get(&r->lmap, name);
}

/* --- conditions --------------------------------------------------------- */

static const char *const field_names[GR_FIELD_COUNT] = {
	"subject", "from", "from-name", "from-domain", "to", "cc",
	"reply-to", "body", "quoted", "signature", "text", "header"
};
static const char *const num_names[GR_NUM_COUNT] = {
	"recipients", "to-count", "cc-count", "attachments", "offered",
	"referred", "body-words"
};
static const char *const pred_names[GR_PRED_COUNT] = {
	"sender-known", "sender-partner", "owner-in-to", "owner-in-cc",
	"other-person", "has-attachment", "html-only", "is-reply",
	"is-forward", "is-report", "automated", "service-offered",
	"service-referred", "owner-quoted",
	"list-unsubscribe", "mailing-list", "bulk-mail", "auto-submitted",
	"feedback-id", "from-machine", "from-via", "from-owner-domain",
	"reply-to-other", "calendar", "relay",
	"self-quoted", "other-quoted", "owner-not-addressed",
	"many-recipients",
	"short-text", "long-text", "owner-name-in-subject",
	"owner-domain-mentioned",
	"services-both", "ask-offered", "ask-referred",
	"subject-offered", "old-thread", "referrer-named", "service-unnamed"
};

const char *
gr_pred_name(gr_pred p)
{
	if ((int)p < 0 || p >= GR_PRED_COUNT)
		return "?";
	return pred_names[p];
}

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
		k->re = gr_pattern_compile_at(c, d, t->v[i + 1].col,
		                              t->v[i + 1].text, t->v[i + 1].flags);
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
	if ((x = name_index(pred_names, GR_PRED_COUNT, w)) >= 0) {
		k->kind = GC_PRED;
		k->pred = (gr_pred)x;
		if (i + 1 != t->n) {
			gr_conf_error(c, d, t->v[i + 1].col, "'%s' takes no "
			              "operand", w);
			return -1;
		}
		return 0;
	}
	if ((x = name_index(num_names, GR_NUM_COUNT, w)) >= 0) {
		k->kind = GC_NUM;
		k->num = (gr_num)x;
		return cond_num(c, d, k, t, i + 1);
	}
	if ((x = name_index(field_names, GR_FIELD_COUNT, w)) >= 0) {
		k->kind = GC_TEXT;
		k->field = (gr_field)x;
		if (k->field == GR_FIELD_HEADER) {
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
	gr_pattern_free(k->re);
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
list_add_re(gr_list *l, gr_pattern *re)
{
	gr_pattern **nv = realloc(l->res, (l->nres + 1) * sizeof *nv);

	if (!nv) {
		gr_pattern_free(re);
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
			gr_pattern *re = gr_pattern_compile_at(c, d, k->col,
			                                       k->text, k->flags);

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
list_finish(gr_diags *d, gr_list *l)
{
	gr_pattern *re;
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
	re = gr_pattern_compile(d, l->file, l->line, 1, pat, "");
	free(pat);
	if (!re)
		return;         /* said by gr_pattern_compile */
	if (list_add_re(l, re) != GR_OK) {
		gr_diag_add(d, l->file, l->line, 1, "list '%s': out of memory",
		            l->name);
		return;
	}
	memmove(l->res + 1, l->res, (l->nres - 1) * sizeof *l->res);
	l->res[0] = re;
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
	nv[r->nrules].file = intern(r, gr_conf_path(c));
	nv[r->nrules].line = gr_conf_lineno(c);
	return &nv[r->nrules++];
}

static gr_list *
list_new(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t)
{
	gr_list *nv;
	long x;

	if (t->n < 2) {
		gr_conf_error(c, d, t->v[0].col, "want 'list NAME' followed by "
		              "phrases");
		return NULL;
	}
	if ((x = list_by_name(r, t->v[1].text)) >= 0) {
		/* Lists of one name in several files are one list (a language
		 * per file); twice in one file is a mistake. */
		gr_list *l = &r->lists[x];

		for (size_t i = 0; i < l->files.n; i++)
			if (strcmp(l->files.v[i], gr_conf_path(c)) == 0) {
				gr_conf_error(c, d, t->v[1].col, "duplicate list "
				              "name '%s' in this file",
				              t->v[1].text);
				return NULL;
			}
		if (gr_strv_push(&l->files, gr_conf_path(c)) != GR_OK)
			return NULL;
		list_phrases(c, d, l, t, 2);
		return l;
	}
	nv = realloc(r->lists, (r->nlists + 1) * sizeof *nv);
	if (!nv)
		return NULL;
	r->lists = nv;
	memset(&nv[r->nlists], 0, sizeof *nv);
	nv[r->nlists].name = gr_strdup(t->v[1].text);
	nv[r->nlists].file = intern(r, gr_conf_path(c));
	nv[r->nlists].line = gr_conf_lineno(c);
	if (!nv[r->nlists].name ||
	    gr_strv_push(&nv[r->nlists].files, gr_conf_path(c)) != GR_OK ||
	    gr_strmap_put(&r->lmap, nv[r->nlists].name, r->nlists) != GR_OK) {
		free(nv[r->nlists].name);
		gr_strv_free(&nv[r->nlists].files);
		return NULL;
	}
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
}

/* --- overrides --------------------------------------------------------- */

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
overrides_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent;

	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) == GR_OK && t.n > 0)
			override_line(r, c, d, &t);
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
				if (gr_strv_push_owned(&r->files[i].below,
				                       r->files[i].path) != GR_OK)
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
	memset(&nv[r->nfiles], 0, sizeof nv[r->nfiles]);
	nv[r->nfiles].rel = gr_strdup(rel);
	nv[r->nfiles].path = gr_strdup(path);
	r->nfiles++;
}

/* Add dir's files (and those of its subdirectories, one level; and under
 * templates/, one more: templates/LANG/NAME) under the relative prefix. */
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
		if (S_ISDIR(st.st_mode) && (depth == 0 ||
		    (depth == 1 && strcmp(prefix, "templates/") == 0))) {
			char sub[1024];

			snprintf(sub, sizeof sub, "%s%s/", prefix, e->d_name);
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

const gr_strv *
gr_rules_list_plain(const gr_rules *r, const char *name)
{
	long i = r && name ? list_by_name(r, name) : -1;

	return i < 0 ? NULL : &r->lists[i].plain;
}

gr_status
gr_rules_files_under(const gr_rules *r, const char *prefix, gr_strv *out)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; r && i < r->nfiles; i++)
		if (strncmp(r->files[i].rel, prefix, n) == 0 &&
		    gr_strv_push(out, r->files[i].rel) != GR_OK)
			return GR_E_NOMEM;
	return GR_OK;
}

size_t
gr_rules_file_layers(const gr_rules *r, const char *relname,
                     const char **paths, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; r && i < r->nfiles; i++) {
		if (strcmp(r->files[i].rel, relname) != 0)
			continue;
		for (size_t k = 0; k < r->files[i].below.n && n < max; k++)
			paths[n++] = r->files[i].below.v[k];
		if (n < max)
			paths[n++] = r->files[i].path;
		break;
	}
	return n;
}

const char *
gr_rules_file(const gr_rules *r, const char *relname)
{
	for (size_t i = 0; r && i < r->nfiles; i++)
		if (strcmp(r->files[i].rel, relname) == 0)
			return r->files[i].path;
	return NULL;
}

/* A reader over path, or NULL (said in d). */
static gr_conf *
open_file(gr_rules *r, const char *path, gr_diags *d)
{
	gr_conf *c;
	gr_error err;

	if (gr_conf_open(intern(r, path), &c, &err) != GR_OK) {
		gr_diag_add(d, path, 0, 0, "%s", err.msg);
		return NULL;
	}
	return c;
}

/* Hand the winning file relname, if any, to the owner's parser fn. */
static void
owner_file(gr_rules *r, const char *relname, gr_diags *d,
           void (*fn)(gr_owner *, gr_conf *, gr_diags *))
{
	const char *p = gr_rules_file(r, relname);
	gr_conf *c;

	if (p && (c = open_file(r, p, d)) != NULL) {
		fn(r->owner, c, d);
		gr_conf_close(c);
	}
}

static int
is_rules_name(const char *rel)
{
	size_t n = strlen(rel);

	return !strchr(rel, '/') && n > 6 && strcmp(rel + n - 6, ".rules") == 0;
}

/* --- weights ------------------------------------------------------------ */

/* One "KIND NAME N..." (or "bias N...") line of the weights file; col[]
 * maps file columns to class indices. */
static void
weights_line(gr_rules *r, gr_conf *c, gr_diags *d, const gr_toks *t,
             const int *col, int have_classes)
{
	const char *k = t->v[0].text;
	int bias = strcmp(k, "bias") == 0;
	size_t first = bias ? 1 : 2;
	double row[GR_CLASS_COUNT] = { 0 }, *nv;
	char name[512];

	if (!bias && strcmp(k, "rule") != 0 && strcmp(k, "fact") != 0 &&
	    strcmp(k, "word") != 0) {
		gr_conf_error(c, d, t->v[0].col, "unknown keyword '%s' (classes, "
		              "bias, rule, fact, word)", k);
		return;
	}
	if (!have_classes) {
		gr_conf_error(c, d, t->v[0].col, "'classes' must come before "
		              "the first weights");
		return;
	}
	if (t->n != first + GR_CLASS_COUNT) {
		gr_conf_error(c, d, t->v[0].col, "'%s' wants %s%d numbers", k,
		              bias ? "" : "a name and ", GR_CLASS_COUNT);
		return;
	}
	for (size_t i = 0; i < GR_CLASS_COUNT; i++) {
		double v;

		if (parse_number(t->v[first + i].text, &v) != 0 ||
		    !(v > -1e6 && v < 1e6)) {
			gr_conf_error(c, d, t->v[first + i].col, "weight '%s' "
			              "is not a number", t->v[first + i].text);
			return;
		}
		row[col[i]] = v;
	}
	if (bias)
		snprintf(name, sizeof name, "bias");
	else if ((size_t)snprintf(name, sizeof name, "%s:%s", k,
	                          t->v[1].text) >= sizeof name) {
		gr_conf_error(c, d, t->v[1].col, "name too long");
		return;
	}
	if (strcmp(k, "rule") == 0 && !rule_by_name(r, t->v[1].text, NULL))
		gr_diag_warn(d, gr_conf_path(c), gr_conf_lineno(c),
		             t->v[1].col, "weights for rule '%s', which no "
		             "rules file defines (ignored)", t->v[1].text);
	if (strcmp(k, "fact") == 0 &&
	    name_index(pred_names, GR_PRED_COUNT, t->v[1].text) < 0)
		gr_diag_warn(d, gr_conf_path(c), gr_conf_lineno(c),
		             t->v[1].col, "weights for unknown fact '%s' "
		             "(ignored)", t->v[1].text);
	if (gr_strmap_get(&r->wmap, name) >= 0) {
		gr_conf_error(c, d, t->v[bias ? 0 : 1].col, "'%s' has weights "
		              "twice", bias ? "bias" : t->v[1].text);
		return;
	}
	nv = realloc(r->wt, (r->nwt + 1) * GR_CLASS_COUNT * sizeof *nv);
	if (!nv || gr_strmap_put(&r->wmap, name, r->nwt) != GR_OK) {
		if (nv)
			r->wt = nv;
		gr_conf_error(c, d, t->v[0].col, "out of memory");
		return;
	}
	r->wt = nv;
	memcpy(r->wt + r->nwt * GR_CLASS_COUNT, row, sizeof row);
	r->nwt++;
}

static void
weights_parse(gr_rules *r, gr_conf *c, gr_diags *d)
{
	const char *line;
	int indent, col[GR_CLASS_COUNT], have_classes = 0;

	r->has_weights = 1;
	while (gr_conf_next(c, &line, &indent) == GR_OK) {
		gr_toks t = { 0 };

		if (gr_conf_split(c, line, &t, d) != GR_OK || t.n == 0) {
			gr_toks_free(&t);
			continue;
		}
		if (strcmp(t.v[0].text, "classes") == 0) {
			unsigned seen = 0;

			if (have_classes)
				gr_conf_error(c, d, t.v[0].col, "'classes' "
				              "given twice");
			else if (t.n != 1 + GR_CLASS_COUNT)
				gr_conf_error(c, d, t.v[0].col, "'classes' "
				              "wants the %d class names",
				              GR_CLASS_COUNT);
			else {
				have_classes = 1;
				for (size_t i = 0; i < GR_CLASS_COUNT; i++) {
					gr_class k;

					if (gr_class_from_name(t.v[1 + i].text,
					                       &k) != 0 ||
					    (seen & (1u << k))) {
						gr_conf_error(c, d,
						    t.v[1 + i].col, "'%s' is "
						    "not a class, or named "
						    "twice", t.v[1 + i].text);
						have_classes = 0;
						break;
					}
					seen |= 1u << k;
					col[i] = (int)k;
				}
			}
		} else {
			weights_line(r, c, d, &t, col, have_classes);
		}
		gr_toks_free(&t);
	}
	if (!have_classes)
		gr_diag_add(d, gr_conf_path(c), 0, 0, "no 'classes' line: not "
		            "a weights file");
}

int
gr_rules_has_weights(const gr_rules *r)
{
	return r && r->has_weights;
}

const double *
gr_rules_weight(const gr_rules *r, const char *feature)
{
	long i;

	if (!r || !r->has_weights ||
	    (i = gr_strmap_get(&r->wmap, feature)) < 0)
		return NULL;
	return r->wt + (size_t)i * GR_CLASS_COUNT;
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
		/* learned weights: the bias or any feature can lead there */
		for (size_t i = 0; i < r->nwt && !reach; i++)
			reach = r->wt[i * GR_CLASS_COUNT + (size_t)c] > 0;
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
	const char *p;
	gr_conf *c;

	owner_file(r, "profile", d, gr_owner_parse_profile);
	owner_file(r, "services", d, gr_owner_parse_services);
	owner_file(r, "partners", d, gr_owner_parse_partners);
	for (size_t i = 0; i < r->nfiles; i++) {
		if (is_rules_name(r->files[i].rel) &&
		    (c = open_file(r, r->files[i].path, d)) != NULL) {
			rules_file_parse(r, c, d);
			gr_conf_close(c);
		}
	}
	/* Every file has added its phrases: compile each list once. */
	for (size_t i = 0; i < r->nlists; i++)
		list_finish(d, &r->lists[i]);
	if ((p = gr_rules_file(r, "overrides")) != NULL &&
	    (c = open_file(r, p, d)) != NULL) {
		overrides_parse(r, c, d);
		gr_conf_close(c);
	}
	owner_file(r, "contacts", d, gr_owner_parse_contacts);
	if ((p = gr_rules_file(r, "weights")) != NULL &&
	    (c = open_file(r, p, d)) != NULL) {
		weights_parse(r, c, d);
		gr_conf_close(c);
	}
}

/* One scanner for the patterns of every list and rule, built at the first
 * match.  Without it (out of memory) each pattern is matched by PCRE2
 * alone, as it would be. */
static void
make_scanner(gr_rules *r)
{
	if (!(r->scanner = gr_scanner_new()))
		return;
	for (size_t i = 0; i < r->nlists; i++)
		for (size_t j = 0; j < r->lists[i].nres; j++)
			(void)gr_scanner_add(r->scanner, r->lists[i].res[j]);
	for (size_t i = 0; i < r->nrules; i++)
		for (size_t k = 0; k < r->rules[i].nconds; k++)
			if (r->rules[i].conds[k].re)
				(void)gr_scanner_add(r->scanner,
				                     r->rules[i].conds[k].re);
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
	r->threshold = GR_DEFAULT_THRESHOLD;
	if (gr_owner_new(&r->owner) != GR_OK) {
		gr_rules_free(r);
		return GR_E_NOMEM;
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
	make_scanner(r);
	*out = r;
	return GR_OK;
}

void
gr_rules_free(gr_rules *r)
{
	if (!r)
		return;
	gr_owner_free(r->owner);
	gr_scanner_free(r->scanner);
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
			gr_pattern_free(r->lists[i].res[j]);
		free(r->lists[i].res);
		gr_strv_free(&r->lists[i].phrases);
		gr_strv_free(&r->lists[i].plain);
		gr_strv_free(&r->lists[i].files);
	}
	free(r->lists);
	for (size_t i = 0; i < r->novr; i++) {
		free(r->ovr[i].who);
		free(r->ovr[i].text);
	}
	free(r->ovr);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].rel);
		free(r->files[i].path);
		gr_strv_free(&r->files[i].below);
	}
	free(r->files);
	gr_strv_free(&r->paths);
	gr_strmap_free(&r->wmap);
	gr_strmap_free(&r->lmap);
	free(r->wt);
	free(r);
}

/* --- accessors ---------------------------------------------------------- */

const gr_owner *
gr_rules_owner(const gr_rules *r)
{
	return r->owner;
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


/* --- evaluation --------------------------------------------------------- */

typedef struct eval {
	const gr_rules *r;
	const gr_facts *f;
	gr_matcher *mm;
	double deadline;                /* thread CPU seconds; 0: none */
	double cpu_at, wall_at;         /* the CPU clock last read, and the
	                                 * wall clock (WALL_CLOCK) just before */
	double slack;                   /* how far behind the wall clock may be */
	int cut;                        /* 1: the deadline passed */
	unsigned char *memo;            /* per rule: 0 ?, 1 true, 2 false */
	signed char pred[GR_PRED_COUNT];        /* -1 not asked yet */
	char excerpt[GR_EXCERPT_SIZE];
} eval;

/* Keep [so, eo) of s as the excerpt, unless one is kept already. */
static void
set_excerpt(eval *e, const char *s, size_t so, size_t eo)
{
	size_t n = eo - so, k = 0;

	if (e->excerpt[0] || !s || n == 0)
		return;
	if (n > sizeof e->excerpt - 1)
		n = sizeof e->excerpt - 1;
	/* do not cut a UTF-8 sequence in half */
	while (n > 0 && ((unsigned char)s[so + n] & 0xc0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++) {
		char ch = s[so + i];

		e->excerpt[k++] = (ch == '\n' || ch == '\r' || ch == '\t') ?
		                  ' ' : ch;
	}
	e->excerpt[k] = '\0';
}

/* A list matches where any of its patterns does; the excerpt is the
 * leftmost match. */
static int
list_test(eval *e, const gr_list *l, const char *s)
{
	size_t so, eo, best_so = 0, best_eo = 0;
	int hit = 0;

	for (size_t i = 0; i < l->nres; i++)
		if (gr_pattern_match(l->res[i], s, e->mm, &so, &eo) &&
		    (!hit || so < best_so)) {
			best_so = so;
			best_eo = eo;
			hit = 1;
		}
	if (hit)
		set_excerpt(e, s, best_so, best_eo);
	return hit;
}

static double
clock_now(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The thread's CPU time: a system call (the CPU clocks have no fast
 * path), some microseconds. */
static double
cpu_now(void)
{
	return clock_now(CLOCK_THREAD_CPUTIME_ID);
}

/* A fast wall clock: a read costs nanoseconds, at the price of lagging up
 * to its resolution behind the time. */
#ifdef CLOCK_MONOTONIC_COARSE
#define WALL_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define WALL_CLOCK CLOCK_MONOTONIC
#endif

/* Start e's clocks for a deadline cpu_seconds of CPU time away. */
static void
deadline_start(eval *e, double cpu_seconds)
{
	struct timespec res;

	e->slack = clock_getres(WALL_CLOCK, &res) == 0 ?
	           (double)res.tv_sec + (double)res.tv_nsec / 1e9 : 0;
	e->wall_at = clock_now(WALL_CLOCK);
	e->cpu_at = cpu_now();
	e->deadline = e->cpu_at + cpu_seconds;
}

/* 1 once the evaluation is past its deadline (asked before each match,
 * the only costly step).  A thread uses no more CPU time than passes:
 * while the CPU time last read plus the wall time since (and the wall
 * clock's slack) is short of the deadline, the deadline has not come,
 * and the slow CPU clock is not read. */
static int
past_deadline(eval *e)
{
	double wall;

	if (e->cut || e->deadline <= 0)
		return e->cut;
	wall = clock_now(WALL_CLOCK);
	if (wall > 0 && e->wall_at > 0 &&
	    e->cpu_at + (wall - e->wall_at) + e->slack < e->deadline)
		return 0;
	e->wall_at = wall;
	e->cpu_at = cpu_now();
	if (e->cpu_at >= e->deadline)
		e->cut = 1;
	return e->cut;
}

static int
text_test(eval *e, const gr_cond *k, const char *s)
{
	size_t so, eo;

	if ((k->op == GO_RE || k->op == GO_LIST) && past_deadline(e))
		return 0;
	switch (k->op) {
	case GO_EXISTS:
		return s != NULL && (k->field == GR_FIELD_HEADER || *s);
	case GO_EQ: {
		char *t = gr_strdup(s ? s : "");
		int eq = t && gr_strcaseeq(gr_str_trim(t), k->eq);

		free(t);
		return eq;
	}
	case GO_RE:
		if (!s || !gr_pattern_match(k->re, s, e->mm, &so, &eo))
			return 0;
		set_excerpt(e, s, so, eo);
		return 1;
	case GO_LIST:
		return s && list_test(e, &e->r->lists[k->list], s);
	}
	return 0;
}

static int
cond_text(eval *e, const gr_cond *k)
{
	const char *v;

	if (k->field != GR_FIELD_HEADER) {
		v = e->f->text ? e->f->text(e->f->aux, k->field) : NULL;
		return text_test(e, k, v ? v : "");
	}
	for (size_t n = 0; e->f->header && n < GR_HEADER_INSTANCES &&
	     (v = e->f->header(e->f->aux, k->header, n)) != NULL; n++)
		if (text_test(e, k, v))
			return 1;
	return 0;
}

static int
cmp_num(double a, enum gr_cmp c, double b)
{
	switch (c) {
	case GCMP_LT: return a < b;
	case GCMP_LE: return a <= b;
	case GCMP_GT: return a > b;
	case GCMP_GE: return a >= b;
	case GCMP_EQ: return a == b;
	case GCMP_NE: return a != b;
	}
	return 0;
}

static int rule_true(eval *e, size_t i);

static int
cond_true(eval *e, const gr_cond *k)
{
	const gr_facts *f = e->f;
	int v = 0;

	switch (k->kind) {
	case GC_TEXT:
		v = cond_text(e, k);
		break;
	case GC_NUM:
		v = cmp_num(f->num ? f->num(f->aux, k->num) : 0, k->cmp,
		            k->value);
		break;
	case GC_PRED:
		if (e->pred[k->pred] < 0)
			e->pred[k->pred] = f->pred &&
			                   f->pred(f->aux, k->pred) ? 1 : 0;
		v = e->pred[k->pred];
		break;
	case GC_ALL:
		v = 1;
		for (size_t j = 0; j < k->nrefs && v; j++)
			v = rule_true(e, k->refs[j].idx) != k->refs[j].neg;
		break;
	case GC_ANY:
		for (size_t j = 0; j < k->nrefs && !v; j++)
			v = rule_true(e, k->refs[j].idx) != k->refs[j].neg;
		break;
	}
	return v != k->neg;
}

static int
rule_true(eval *e, size_t i)
{
	const gr_rule *ru = &e->r->rules[i];
	int v = 1;

	if (e->memo[i])
		return e->memo[i] == 1;
	for (size_t k = 0; k < ru->nconds && v; k++)
		v = cond_true(e, &ru->conds[k]);
	if (e->cut)
		v = 0;          /* not known: a negation of a test not made */
	e->memo[i] = v ? 1 : 2;
	return v;
}

gr_status
gr_rules_eval(const gr_rules *r, const gr_facts *f, gr_matcher *mm,
              gr_rule_fired fired, void *aux)
{
	return gr_rules_eval_within(r, f, mm, NULL, fired, aux);
}

gr_status
gr_rules_eval_within(const gr_rules *r, const gr_facts *f, gr_matcher *mm,
                     gr_eval_budget *b, gr_rule_fired fired, void *aux)
{
	eval e;
	gr_rule_info ri;
	gr_status st = GR_OK;
	unsigned long limits0 = gr_matcher_limits(mm);
	size_t done = 0, total = 0;
	int held;

	memset(&e, 0, sizeof e);
	e.r = r;
	e.f = f;
	e.mm = mm;
	if (b && b->cpu_seconds > 0)
		deadline_start(&e, b->cpu_seconds);
	memset(e.pred, -1, sizeof e.pred);
	if (!(e.memo = calloc(r->nrules ? r->nrules : 1, 1)))
		return GR_E_NOMEM;
	/* the facts' texts stay as they are until the evaluation returns:
	 * each is scanned once for all patterns */
	gr_matcher_pin(mm);
	if (b) {
		b->cut = 0;
		b->cut_rule = NULL;
	}
	for (size_t i = 0; i < r->nrules && st == GR_OK; i++) {
		if (!r->rules[i].scored)
			continue;
		total++;
		if (e.cut)
			continue;
		e.excerpt[0] = '\0';
		held = rule_true(&e, i);
		if (e.cut) {
			if (b)
				b->cut_rule = r->rules[i].name;
			continue;
		}
		done++;
		if (!held)
			continue;
		gr_rules_rule_info(r, i, &ri);
		st = fired(aux, &ri, e.excerpt);
	}
	gr_matcher_unpin(mm);
	free(e.memo);
	if (b) {
		b->cut = e.cut;
		b->rules_done = done;
		b->rules_total = total;
		b->limits = gr_matcher_limits(mm) - limits0;
	}
	return st;
}

void
gr_rules_lint_cost(const gr_rules *r, gr_diags *d)
{
	gr_matcher *mm = gr_matcher_new();

	if (!r || !mm) {
		gr_matcher_free(mm);
		return;
	}
	for (size_t i = 0; i < r->nrules; i++) {
		const gr_rule *ru = &r->rules[i];

		for (size_t k = 0; k < ru->nconds; k++) {
			const gr_cond *c = &ru->conds[k];

			if (c->kind == GC_TEXT && c->op == GO_RE &&
			    gr_pattern_torture(c->re, mm))
				gr_diag_warn(d, ru->file, c->line, c->argcol,
				             "rule '%s': this regex hits the match "
				             "limit on a torture text (nested or "
				             "overlapping repeats such as (a|a?)+ or "
				             "(\\w+\\s?)+): on hostile mail it "
				             "fails to match and uses up the time "
				             "for the message; rewrite it without "
				             "them", ru->name);
		}
	}
	for (size_t i = 0; i < r->nlists; i++) {
		const gr_list *l = &r->lists[i];

		for (size_t k = 0; k < l->nres; k++)
			if (gr_pattern_torture(l->res[k], mm)) {
				gr_diag_warn(d, l->file, l->line, 0, "list '%s': "
				             "one of its regexes hits the match "
				             "limit on a torture text (nested or "
				             "overlapping repeats such as (a|a?)+): "
				             "on hostile mail it fails to match and "
				             "uses up the time for the message; "
				             "rewrite it without them", l->name);
				break;
			}
	}
	gr_matcher_free(mm);
}

int
gr_rules_list_match(const gr_rules *r, const char *name, const char *s,
                    gr_matcher *mm)
{
	long li = r ? list_by_name(r, name) : -1;
	const gr_list *l;
	unsigned long pin;
	int hit = 0;

	if (li < 0)
		return -1;
	l = &r->lists[li];
	/* s may be the caller's own string, made and freed during an
	 * evaluation's pinned span: it is known by its bytes only */
	pin = gr_matcher_pause(mm);
	for (size_t i = 0; s && i < l->nres && !hit; i++)
		hit = gr_pattern_match(l->res[i], s, mm, NULL, NULL);
	gr_matcher_resume(mm, pin);
	return hit;
}

int
gr_rules_list_match_in(const gr_rules *r, const char *name, const char *s,
                       size_t len, size_t a, size_t n, gr_matcher *mm)
{
	long li = r ? list_by_name(r, name) : -1;
	const gr_list *l;
	char *t;
	int hit;

	if (li < 0)
		return -1;
	l = &r->lists[li];
	if (!s || gr_pattern_first_may_match_in((const gr_pattern *const *)
	                                        l->res, l->nres, s, len, a, n,
	                                        mm) == l->nres)
		return 0;
	if (!(t = gr_strndup(s + a, n)))
		return 0;
	hit = gr_rules_list_match(r, name, t, mm);
	free(t);
	return hit;
}

/* --- overrides ---------------------------------------------------------- */

/* 1 if addr is at dom or one of its subdomains. */
static int
domain_match(const char *addr, const char *dom)
{
	const char *at = addr ? strchr(addr, '@') : NULL;
	size_t n, k;

	if (!at)
		return 0;
	at++;
	n = strlen(at);
	k = strlen(dom);
	return gr_strcaseeq(at, dom) ||
	       (n > k && at[n - k - 1] == '.' && gr_strcaseeq(at + n - k, dom));
}

static int
override_applies(const gr_override *o, const char *from, const char *reply)
{
	if (o->domain)
		return domain_match(from, o->who) || domain_match(reply, o->who);
	return gr_strcaseeq(from, o->who) || gr_strcaseeq(reply, o->who);
}

void
gr_rules_overrides(const gr_rules *r, const char *from, const char *reply,
                   gr_override_match *out)
{
	memset(out, 0, sizeof *out);
	out->always_cls = GR_CLASS_OTHER;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->novr; i++) {
			const gr_override *o = &r->ovr[i];

			if (o->domain != pass || !override_applies(o, from, reply))
				continue;
			if (o->always && !out->always) {
				out->always = o->text;
				out->always_cls = o->cls;
			}
			if (!o->always) {
				out->excluded[o->cls] = 1;
				if (!out->never)
					out->never = o->text;
			}
		}
	}
}
