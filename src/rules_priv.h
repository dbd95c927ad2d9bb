/* SPDX-License-Identifier: MIT */
/*
 * rules_priv.h - the compiled form of a rules directory, shared by rules.c
 * (loader, lint), profile.c (profile, services, partners) and classify.c
 * (evaluation).  Not part of the public interface.
 */
#ifndef GRAVITY_RULES_PRIV_H
#define GRAVITY_RULES_PRIV_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gravity/conf.h"
#include "gravity/rules.h"

#define GR_RE_MATCH_LIMIT  200000u
#define GR_RE_DEPTH_LIMIT  10000u

/* Fields a text condition can look at. */
enum gr_field {
	GF_SUBJECT, GF_FROM, GF_FROM_NAME, GF_FROM_DOMAIN, GF_TO, GF_CC,
	GF_REPLY_TO, GF_BODY, GF_QUOTED, GF_SIGNATURE, GF_TEXT, GF_HEADER,
	GF_COUNT
};

/* Numbers a comparison can look at. */
enum gr_num {
	GN_RECIPIENTS, GN_TO, GN_CC, GN_ATTACHMENTS, GN_OFFERED, GN_REFERRED,
	GN_BODY_WORDS, GN_COUNT
};

/* Yes/no facts about a message. */
enum gr_pred {
	GP_SENDER_KNOWN, GP_SENDER_PARTNER, GP_OWNER_IN_TO, GP_OWNER_IN_CC,
	GP_OTHER_PERSON, GP_HAS_ATTACHMENT, GP_HTML_ONLY, GP_IS_REPLY,
	GP_IS_FORWARD, GP_IS_REPORT, GP_AUTOMATED, GP_SERVICE_OFFERED,
	GP_SERVICE_REFERRED, GP_OWNER_QUOTED, GP_COUNT
};

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
	enum gr_field field;
	char *header;           /* GF_HEADER: header name */
	enum gr_op op;
	pcre2_code *re;         /* GO_RE (owned) */
	size_t list;            /* GO_LIST: index into gr_rules.lists */
	char *eq;               /* GO_EQ text; GO_LIST: list name */
	unsigned argcol;        /* column of the operand */
	/* GC_NUM */
	enum gr_num num;
	enum gr_cmp cmp;
	double value;
	/* GC_PRED */
	enum gr_pred pred;
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
	/* The plain phrases as one trie-shaped pattern (phrase.c), then each
	 * /regex/ entry on its own: one alternation of all would lose PCRE2's
	 * start-of-match optimisations as soon as one entry can start
	 * anywhere.  Owned. */
	pcre2_code **res;
	size_t nres;
	int finished;
	gr_strv phrases;        /* as written, for diagnostics */
	gr_strv plain;          /* plain phrases */
} gr_list;

typedef struct gr_svc {
	gr_service pub;
	pcre2_code **pats;      /* one per phrase */
	size_t npats;
	unsigned line;
} gr_svc;

typedef struct gr_partner_priv {
	gr_partner pub;
	const char *file;
	unsigned line;
} gr_partner_priv;

typedef struct gr_override {
	int domain;             /* 1: domain line, 0: sender line */
	char *who;              /* lowercased address or domain */
	int always;             /* 1: always CLASS, 0: never CLASS */
	gr_class cls;
	char *text;             /* "overrides:3: sender a@b.c: always other" */
} gr_override;

/* relname -> path, the winner through the layers. */
typedef struct gr_fileent {
	char *rel;
	char *path;
} gr_fileent;

struct gr_rules {
	gr_profile profile;
	gr_svc *svcs;
	size_t nsvcs;
	gr_partner_priv *partners;
	size_t npartners;
	gr_rule *rules;
	size_t nrules;
	gr_list *lists;
	size_t nlists;
	gr_override *ovr;
	size_t novr;
	gr_strv contacts;       /* lowercased addresses */
	gr_fileent *files;
	size_t nfiles;
	gr_strv paths;          /* interned file paths for rules/diags */
	double threshold;       /* minimum total for a class to win */
	pcre2_match_context *mctx;
	/* built-in patterns of the classifier */
	pcre2_code *re_autosubj;        /* auto-reply subjects */
	pcre2_code *re_attrib;          /* "On ..., Name <addr> wrote:" */
	pcre2_code *re_thanks;          /* "Thanks Nate!" */
	pcre2_code *re_named;           /* "Jen Park said/referred ..." */
};

/* Compile the classifier's built-in patterns into r (classify.c). */
gr_status gr_classify_builtins(gr_rules *r, gr_diags *d);

/* Compile pattern (UTF, UCP, caseless unless the "c" flag, invalid-UTF
 * safe, JIT when available, interpreter otherwise).  On error adds
 * "bad regex: TEXT at offset N" to d at file:line:col and returns NULL. */
pcre2_code *gr_re_compile(gr_diags *d, const char *file, unsigned line,
                          unsigned col, const char *pat, const char *flags);
/* Same, at the reader's current line. */
pcre2_code *gr_re_compile_at(gr_conf *c, gr_diags *d, unsigned col,
                             const char *pat, const char *flags);
/* 1 if re matches s; 0 otherwise (errors and limits count as no match).
 * When so/eo are non-NULL the first match's byte span is stored there. */
int gr_re_match(const gr_rules *r, const pcre2_code *re, const char *s,
                pcre2_match_data *md, size_t *so, size_t *eo);
/* Regex source for a phrase: words on boundaries, blanks as \s+,
 * apostrophes matching both ' and the typographic one.  Owned by caller. */
char *gr_phrase_pattern(const char *phrase);
/* One pattern matching exactly what the phrases match one by one, shaped
 * as a trie (phrase.c); NULL when out of memory or phrases is empty.
 * Owned by caller. */
char *gr_phrase_union(const gr_strv *phrases);
/* A token that ends a list of phrases with a ',' keeps it out. */
void gr_tok_strip_comma(gr_tok *t);

/* Parsers of the individual files (profile.c). */
void gr_profile_parse(gr_rules *r, gr_conf *c, gr_diags *d);
void gr_services_parse(gr_rules *r, gr_conf *c, gr_diags *d);
void gr_partners_parse(gr_rules *r, gr_conf *c, gr_diags *d);
/* The copy of path kept for the life of r (never NULL). */
const char *gr_rules_intern(gr_rules *r, const char *path);
void gr_profile_free(gr_profile *p);

#endif
