/* SPDX-License-Identifier: MIT */
/*
 * classify.c - one class per message, explained rule by rule
 * (gravity-rules(5)).  The classifier gathers the facts of a message (its
 * fields, the owner's services it names, who the sender is to the owner,
 * its machine signs from gr_message_auto_signs) and lets the rules score
 * them (gr_rules_eval); then overrides and the built-in safety rules
 * decide, and a referral's parties are found.  It reads the rules, the
 * owner and the message through their public headers only.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/classify.h"
#include "gravity/owner.h"
#include "gravity/pattern.h"

#define BUILTIN_FILE "(built-in)"

/* Tie order: on equal totals the class listed first wins. */
static const gr_class tie_order[GR_CLASS_COUNT] = {
	GR_CLASS_AUTOMATED, GR_CLASS_REFERRAL_INTRO, GR_CLASS_INQUIRY,
	GR_CLASS_OUT_OF_SCOPE, GR_CLASS_COLD_PITCH, GR_CLASS_OTHER
};

/* --- built-in patterns -------------------------------------------------- */

/* The patterns that find a referral's introducer. */
typedef struct builtins {
	gr_pattern *attrib;     /* "On ..., Name <addr> wrote:" */
	gr_pattern *thanks;     /* "Thanks Nate!" */
	gr_pattern *named;      /* "Jen Park said/referred ..." */
} builtins;

/* Compiled on first use and kept for the life of the process (gravity
 * classifies in one thread); NULL when out of memory. */
static const builtins *
builtin_patterns(void)
{
	static builtins b;

	if (b.attrib && b.thanks && b.named)
		return &b;
	if (!b.attrib)
		b.attrib = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "(\\p{L}[\\p{L}\\p{M}'. -]{0,60}?)\\s*<([^<>\\s@]+@"
		    "[^<>\\s]+)>\\s*wrote:", "");
	if (!b.thanks)
		b.thanks = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "^\\s*(?i:thanks|thank you|thx)\\s*,?\\s+"
		    "(\\p{Lu}\\p{Ll}+)\\b", "c");
	if (!b.named)
		b.named = gr_pattern_compile(NULL, BUILTIN_FILE, 0, 0,
		    "(\\p{Lu}\\p{Ll}+(?: \\p{Lu}\\p{Ll}+)?)\\b[^.\\n]{0,40}?"
		    "\\b(?i:referred|recommended|suggested|said|told)\\b", "c");
	return b.attrib && b.thanks && b.named ? &b : NULL;
}

/* --- evaluation state --------------------------------------------------- */

typedef struct ev {
	const gr_rules *r;
	const gr_owner *o;
	const gr_message *m;
	const builtins *bi;
	gr_matcher *mm;
	char *fields[GR_FIELD_COUNT];   /* built on demand */
	double num[GR_NUM_COUNT];
	long best_svc;
	gr_auto auto_level;
	const char *auto_why;
	int known;
} ev;

static char *
addrs_text(const gr_addrlist *l)
{
	gr_buf b;

	gr_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].name && *l->v[i].name)
			gr_buf_printf(&b, "%s ", l->v[i].name);
		gr_buf_printf(&b, "<%s>\n", l->v[i].addr ? l->v[i].addr : "");
	}
	return gr_buf_steal(&b);
}

/* --- the facts the rules see ------------------------------------------- */

static const char *
fact_text(void *aux, gr_field f)
{
	ev *e = aux;
	const gr_message *m = e->m;
	const char *at;

	switch (f) {
	case GR_FIELD_SUBJECT: return m->subject;
	case GR_FIELD_FROM: return m->from.addr;
	case GR_FIELD_FROM_NAME: return m->from.name;
	case GR_FIELD_FROM_DOMAIN:
		at = m->from.addr ? strchr(m->from.addr, '@') : NULL;
		return at ? at + 1 : NULL;
	case GR_FIELD_BODY: return m->new_text;
	case GR_FIELD_QUOTED: return m->quoted;
	case GR_FIELD_SIGNATURE: return m->signature;
	case GR_FIELD_TEXT: return m->text;
	case GR_FIELD_TO:
	case GR_FIELD_CC:
	case GR_FIELD_REPLY_TO:
		if (!e->fields[f])
			e->fields[f] = addrs_text(f == GR_FIELD_TO ? &m->to :
			                          f == GR_FIELD_CC ? &m->cc :
			                          &m->reply_to);
		return e->fields[f];
	default:
		return NULL;
	}
}

static const char *
fact_header(void *aux, const char *name, size_t n)
{
	const gr_message *m = ((ev *)aux)->m;

	for (size_t i = 0; i < m->n_headers; i++) {
		const gr_header *h = &m->headers[i];

		if (h->name && gr_strcaseeq(h->name, name) && n-- == 0)
			return h->value ? h->value : "";
	}
	return NULL;
}

static double
fact_num(void *aux, gr_num n)
{
	return ((ev *)aux)->num[n];
}

static int
list_has_owner(const gr_owner *o, const gr_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (gr_owner_is_owner(o, l->v[i].addr))
			return 1;
	return 0;
}

/* A To/Cc person other than the owner, the sender and machines. */
static const gr_addr *
other_person(const gr_owner *o, const gr_message *m, const char *besides)
{
	const gr_addrlist *ls[2] = { &m->to, &m->cc };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ls[k]->n; i++) {
			const gr_addr *a = &ls[k]->v[i];

			if (!a->addr || gr_owner_is_owner(o, a->addr) ||
			    gr_strcaseeq(a->addr, m->from.addr) ||
			    (besides && gr_strcaseeq(a->addr, besides)) ||
			    gr_addr_is_machine(a->addr))
				continue;
			return a;
		}
	}
	return NULL;
}

static int
owner_quoted(const gr_owner *o, const gr_message *m)
{
	const gr_strv *emails = &gr_owner_profile(o)->emails;

	for (size_t i = 0; m->quoted && i < emails->n; i++)
		if (gr_strcasestr(m->quoted, emails->v[i]))
			return 1;
	return 0;
}

static int
fact_pred(void *aux, gr_pred p)
{
	ev *e = aux;
	const gr_message *m = e->m;
	const gr_owner *o = e->o;
	const gr_service *svc = e->best_svc < 0 ? NULL :
	                        gr_owner_service(o, (size_t)e->best_svc);

	switch (p) {
	case GR_PRED_SENDER_KNOWN: return e->known;
	case GR_PRED_SENDER_PARTNER:
		return gr_owner_partner_by_addr(o, m->from.addr) ||
		       gr_owner_partner_by_addr(o,
		                                gr_message_reply_addr(m)->addr);
	case GR_PRED_OWNER_IN_TO: return list_has_owner(o, &m->to);
	case GR_PRED_OWNER_IN_CC: return list_has_owner(o, &m->cc);
	case GR_PRED_OTHER_PERSON: return other_person(o, m, NULL) != NULL;
	case GR_PRED_HAS_ATTACHMENT:
		return (m->flags & GR_MSG_HAS_ATTACHMENT) ||
		       m->n_attachments > 0;
	case GR_PRED_HTML_ONLY: return (m->flags & GR_MSG_HTML_ONLY) != 0;
	case GR_PRED_IS_REPLY: return (m->flags & GR_MSG_IS_REPLY) != 0;
	case GR_PRED_IS_FORWARD: return (m->flags & GR_MSG_IS_FORWARD) != 0;
	case GR_PRED_IS_REPORT:
		return (m->flags & GR_MSG_REPORT) ||
		       gr_strcaseeq(m->content_type, "multipart/report");
	case GR_PRED_AUTOMATED: return e->auto_level != GR_AUTO_NONE;
	case GR_PRED_SERVICE_OFFERED: return svc && svc->offered;
	case GR_PRED_SERVICE_REFERRED: return svc && !svc->offered;
	case GR_PRED_OWNER_QUOTED: return owner_quoted(o, m);
	default: return 0;
	}
}

/* --- services ----------------------------------------------------------- */

/* Count phrase hits per service in the subject and new text; the quoted
 * part only counts when those name no service and the message forwards
 * someone's request with that person copied (a forwarded introduction). */
static void
match_services(ev *e)
{
	const gr_owner *o = e->o;
	size_t nsvcs = gr_owner_n_services(o);
	gr_buf b;
	int best = 0, passes = 1;

	e->best_svc = -1;
	if (nsvcs == 0)
		return;
	if ((e->m->flags & GR_MSG_IS_FORWARD) && other_person(o, e->m, NULL))
		passes = 2;
	for (int pass = 0; pass < passes && best == 0; pass++) {
		gr_buf_init(&b, 1u << 20);
		if (pass == 0)
			gr_buf_printf(&b, "%s\n%s", e->m->subject ?
			              e->m->subject : "", e->m->new_text ?
			              e->m->new_text : "");
		else
			gr_buf_addstr(&b, e->m->quoted ? e->m->quoted : "");
		for (size_t i = 0; b.data && i < nsvcs; i++) {
			int n = gr_owner_service_hits(o, i, b.data, e->mm);

			e->num[gr_owner_service(o, i)->offered ?
			       GR_NUM_OFFERED : GR_NUM_REFERRED] += n;
			if (n > best) {
				best = n;
				e->best_svc = (long)i;
			}
		}
		gr_buf_free(&b);
	}
}

static double
count_words(const char *s)
{
	double n = 0;
	int in = 0;

	for (; s && *s; s++) {
		int blank = *s == ' ' || *s == '\n' || *s == '\t' ||
		            *s == '\r';

		if (!blank && !in)
			n++;
		in = !blank;
	}
	return n;
}

static int
sender_known(const gr_owner *o, const gr_message *m,
             const gr_classify_ctx *ctx)
{
	const char *a = m->from.addr, *b = gr_message_reply_addr(m)->addr;

	if (gr_owner_is_contact(o, a) || gr_owner_is_contact(o, b))
		return 1;
	if (ctx && ctx->is_known) {
		if (a && ctx->is_known(ctx->aux, a))
			return 1;
		if (b && b != a && ctx->is_known(ctx->aux, b))
			return 1;
	}
	return 0;
}

/* --- verdict ------------------------------------------------------------ */

static gr_status
add_hit(gr_verdict *v, const char *rule, const char *desc, const char *file,
        unsigned line, const double *score, const char *excerpt)
{
	gr_hit *nv = realloc(v->hits, (v->n_hits + 1) * sizeof *nv);

	if (!nv)
		return GR_E_NOMEM;
	v->hits = nv;
	memset(&nv[v->n_hits], 0, sizeof *nv);
	nv[v->n_hits].rule = rule;
	nv[v->n_hits].desc = desc;
	nv[v->n_hits].file = file;
	nv[v->n_hits].line = line;
	if (score)
		memcpy(nv[v->n_hits].score, score, sizeof nv[v->n_hits].score);
	if (excerpt)
		snprintf(nv[v->n_hits].excerpt, sizeof nv[v->n_hits].excerpt,
		         "%s", excerpt);
	v->n_hits++;
	return GR_OK;
}

static gr_class
best_class(const gr_verdict *v, const int *excluded, double threshold)
{
	gr_class best = GR_CLASS_OTHER;
	double bs = 0;
	int have = 0;

	for (int i = 0; i < GR_CLASS_COUNT; i++) {
		gr_class c = tie_order[i];

		if (excluded[c] || c == GR_CLASS_OTHER)
			continue;
		if (!have || v->scores[c] > bs) {
			best = c;
			bs = v->scores[c];
			have = 1;
		}
	}
	if (!have || bs < threshold ||
	    (!excluded[GR_CLASS_OTHER] && v->scores[GR_CLASS_OTHER] > bs))
		return GR_CLASS_OTHER;
	return best;
}

static gr_status
copy_addr(gr_addr *dst, const char *name, const char *addr)
{
	dst->name = name && *name ? gr_strdup(name) : NULL;
	dst->addr = addr && *addr ? gr_strdup(addr) : NULL;
	if (addr && *addr)
		gr_str_lower(dst->addr);
	return GR_OK;
}

/* Introducer from "On ..., Name <addr> wrote:".  1 if found. */
static int
intro_from_attribution(ev *e, gr_verdict *v)
{
	const char *s = e->m->quoted && *e->m->quoted ? e->m->quoted :
	                e->m->text;
	char *name, *addr, *nm;
	int ok = 0;

	if (!s || !gr_pattern_match(e->bi->attrib, s, e->mm, NULL, NULL))
		return 0;
	name = gr_matcher_group(e->mm, s, 1);
	addr = gr_matcher_group(e->mm, s, 2);
	if (addr && !gr_owner_is_owner(e->o, addr) &&
	    !gr_strcaseeq(addr, v->new_contact.addr)) {
		nm = name;
		while (nm && (gr_startswith_ci(nm, "AM ") ||
		              gr_startswith_ci(nm, "PM ")))
			nm += 3;
		copy_addr(&v->introducer, nm, addr);
		ok = 1;
	}
	free(name);
	free(addr);
	return ok;
}

/* Introducer named in the text: "Thanks Nate!", "Jen Park said ...". */
static void
intro_from_name(ev *e, gr_verdict *v)
{
	const char *srcs[3] = { e->m->subject, e->m->new_text, NULL };
	const gr_pattern *res[2] = { e->bi->thanks, e->bi->named };
	const char *owner = gr_owner_profile(e->o)->name;

	for (int k = 0; k < 2; k++) {
		for (int i = 0; srcs[i]; i++) {
			char *name;

			if (!gr_pattern_match(res[k], srcs[i], e->mm, NULL,
			                      NULL))
				continue;
			name = gr_matcher_group(e->mm, srcs[i], 1);
			if (name && owner && gr_strncaseeq(owner, name,
			                                   strlen(name))) {
				free(name);
				continue;
			}
			v->introducer.name = name;
			return;
		}
	}
}

static void
intro_parties(ev *e, gr_verdict *v)
{
	const gr_message *m = e->m;
	const gr_addr *ra = gr_message_reply_addr(m);
	const gr_addr *other = other_person(e->o, m, ra->addr);

	if (other && !gr_owner_is_owner(e->o, m->from.addr)) {
		copy_addr(&v->introducer, m->from.name, m->from.addr);
		copy_addr(&v->new_contact, other->name, other->addr);
		return;
	}
	copy_addr(&v->new_contact, ra->name, ra->addr);
	if (intro_from_attribution(e, v))
		return;
	if (other) {
		copy_addr(&v->introducer, other->name, other->addr);
		return;
	}
	intro_from_name(e, v);
}

static void
ev_free(ev *e)
{
	for (int i = 0; i < GR_FIELD_COUNT; i++)
		free(e->fields[i]);
	gr_matcher_free(e->mm);
}

static gr_status
ev_init(ev *e, const gr_rules *r, const gr_message *m,
        const gr_classify_ctx *ctx)
{
	memset(e, 0, sizeof *e);
	e->r = r;
	e->o = gr_rules_owner(r);
	e->m = m;
	e->bi = builtin_patterns();
	e->mm = gr_matcher_new();
	if (!e->bi || !e->mm)
		return GR_E_NOMEM;
	e->known = sender_known(e->o, m, ctx);
	e->auto_level = gr_message_auto_signs(m, &e->auto_why);
	e->num[GR_NUM_RECIPIENTS] = (double)(m->to.n + m->cc.n);
	e->num[GR_NUM_TO] = (double)m->to.n;
	e->num[GR_NUM_CC] = (double)m->cc.n;
	e->num[GR_NUM_ATTACHMENTS] = (double)m->n_attachments;
	e->num[GR_NUM_BODY_WORDS] = count_words(m->new_text);
	match_services(e);
	return GR_OK;
}

/* A rule held: its scores count and it is a reason. */
static gr_status
rule_fired(void *aux, const gr_rule_info *ri, const char *excerpt)
{
	gr_verdict *v = aux;

	for (int c = 0; c < GR_CLASS_COUNT; c++)
		v->scores[c] += ri->score[c];
	return add_hit(v, ri->name, ri->desc, ri->file, ri->line, ri->score,
	               excerpt);
}

static gr_status
score_rules(ev *e, gr_verdict *v)
{
	const gr_facts f = {
		.text = fact_text,
		.header = fact_header,
		.num = fact_num,
		.pred = fact_pred,
		.aux = e,
	};

	return gr_rules_eval(e->r, &f, e->mm, rule_fired, v);
}

static int
draft_class(gr_class c)
{
	return c == GR_CLASS_INQUIRY || c == GR_CLASS_OUT_OF_SCOPE ||
	       c == GR_CLASS_REFERRAL_INTRO;
}

/* Decide v->cls from the scores, the overrides and the built-in safety
 * rules (automated mail, known senders). */
static gr_status
decide(ev *e, gr_verdict *v)
{
	gr_override_match om;
	int always;
	gr_class pick;

	gr_rules_overrides(e->r, e->m->from.addr,
	                   gr_message_reply_addr(e->m)->addr, &om);
	if (e->known) {
		om.excluded[GR_CLASS_COLD_PITCH] = 1;
		add_hit(v, "known-sender", "the owner knows this sender "
		        "(contacts or Sent mail): never cold_pitch",
		        BUILTIN_FILE, 0, NULL, NULL);
	}
	always = om.always != NULL;
	pick = best_class(v, om.excluded, gr_rules_threshold(e->r));
	if (always) {
		pick = om.always_cls;
		v->override = gr_strdup(om.always);
	} else if (om.never) {
		v->override = gr_strdup(om.never);
	}
	if (e->auto_level == GR_AUTO_HARD && pick != GR_CLASS_AUTOMATED &&
	    !(always && !draft_class(pick))) {
		add_hit(v, "automated-signs", e->auto_why, BUILTIN_FILE, 0,
		        NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (e->auto_level == GR_AUTO_SOFT &&
	           pick != GR_CLASS_AUTOMATED && pick != GR_CLASS_COLD_PITCH &&
	           !(always && !draft_class(pick))) {
		add_hit(v, "automated-signs", e->auto_why, BUILTIN_FILE, 0,
		        NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (e->auto_level == GR_AUTO_SOFT &&
	           pick == GR_CLASS_COLD_PITCH) {
		add_hit(v, "bulk-prospecting", "bulk-tool signs, but the "
		        "rules say it prospects the owner: cold_pitch (no "
		        "draft either way)", BUILTIN_FILE, 0, NULL, NULL);
	}
	v->cls = pick;
	return GR_OK;
}

gr_status
gr_classify(const gr_rules *r, const gr_message *m,
            const gr_classify_ctx *ctx, gr_verdict *out, gr_error *err)
{
	ev e;
	gr_status st;

	memset(out, 0, sizeof *out);
	out->cls = GR_CLASS_OTHER;
	if (!r || !m)
		return gr_error_set(err, GR_E_INTERNAL, "classify: no rules or "
		                    "no message");
	st = ev_init(&e, r, m, ctx);
	if (st == GR_OK)
		st = score_rules(&e, out);
	if (st == GR_OK)
		st = decide(&e, out);
	if (st != GR_OK) {
		ev_free(&e);
		gr_verdict_free(out);
		return gr_error_set(err, st, "classify: out of memory");
	}
	out->sender_known = e.known;
	if (e.best_svc >= 0) {
		out->service = gr_owner_service(e.o, (size_t)e.best_svc);
		if (!out->service->offered)
			out->partner = gr_owner_partner_for(e.o,
			                                    out->service->key);
	}
	if (out->cls == GR_CLASS_REFERRAL_INTRO)
		intro_parties(&e, out);
	ev_free(&e);
	return GR_OK;
}

void
gr_verdict_free(gr_verdict *v)
{
	if (!v)
		return;
	free(v->hits);
	free(v->override);
	free(v->introducer.name);
	free(v->introducer.addr);
	free(v->new_contact.name);
	free(v->new_contact.addr);
	memset(v, 0, sizeof *v);
	v->cls = GR_CLASS_OTHER;
}
