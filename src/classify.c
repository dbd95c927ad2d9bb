/* SPDX-License-Identifier: MIT */
/*
 * classify.c - one class per message, explained rule by rule
 * (gravity-rules(5)).  Machine-generated mail is recognised by the signs
 * of RFC 3834 (Auto-Submitted), RFC 2076/3834 (Precedence), RFC 2369 and
 * RFC 2919 (List-*), RFC 3462/6522 (multipart/report) and RFC 5321 null
 * reverse-paths, plus the common auto-reply conventions.
 */
#include <stdlib.h>
#include <string.h>

#include "gravity/buf.h"
#include "gravity/classify.h"
#include "rules_priv.h"

#define BUILTIN_FILE "(built-in)"

/* Tie order: on equal totals the class listed first wins. */
static const gr_class tie_order[GR_CLASS_COUNT] = {
	GR_CLASS_AUTOMATED, GR_CLASS_REFERRAL_INTRO, GR_CLASS_INQUIRY,
	GR_CLASS_OUT_OF_SCOPE, GR_CLASS_COLD_PITCH, GR_CLASS_OTHER
};

enum { AUTO_NONE = 0, AUTO_SOFT = 1, AUTO_HARD = 2 };

/* --- message helpers (no dependency on message.c) ----------------------- */

static const char *
hdr(const gr_message *m, const char *name)
{
	for (size_t i = 0; i < m->n_headers; i++)
		if (m->headers[i].name && gr_strcaseeq(m->headers[i].name, name))
			return m->headers[i].value ? m->headers[i].value : "";
	return NULL;
}

static const gr_addr *
reply_addr(const gr_message *m)
{
	if (m->reply_to.n > 0 && m->reply_to.v[0].addr)
		return &m->reply_to.v[0];
	return &m->from;
}

static const char *
local_part_end(const char *a)
{
	const char *at = a ? strchr(a, '@') : NULL;

	return at;
}

/* 1 if the local part of addr is one machines send from. */
static int
machine_local(const char *addr)
{
	static const char *const names[] = {
		"mailer-daemon", "postmaster", "no-reply", "noreply",
		"no_reply", "do-not-reply", "donotreply", "do_not_reply",
		"bounce", "bounces", "mail-daemon", NULL
	};
	const char *at = local_part_end(addr);
	size_t n;

	if (!at)
		return 0;
	n = (size_t)(at - addr);
	for (int i = 0; names[i]; i++) {
		size_t k = strlen(names[i]);

		if (n >= k && gr_strncaseeq(addr, names[i], k) &&
		    (n == k || addr[k] == '+' || addr[k] == '-' ||
		     addr[k] == '.'))
			return 1;
	}
	return 0;
}

static int
value_is(const char *v, const char *const *words)
{
	while (v && (*v == ' ' || *v == '\t'))
		v++;
	for (int i = 0; v && words[i]; i++) {
		size_t k = strlen(words[i]);

		if (gr_strncaseeq(v, words[i], k) &&
		    (v[k] == '\0' || v[k] == ';' || v[k] == ' ' ||
		     v[k] == '\t'))
			return 1;
	}
	return 0;
}

/* Strength of the machine signs, and a short reason. */
static int
auto_signs(const gr_rules *r, const gr_message *m, pcre2_match_data *md,
           const char **why)
{
	static const char *const prec[] = { "bulk", "list", "junk",
	                                     "auto_reply", NULL };
	static const char *const no[] = { "no", NULL };
	const char *v;

	if ((v = hdr(m, "Auto-Submitted")) && !value_is(v, no))
		return *why = "Auto-Submitted header", AUTO_HARD;
	if ((v = hdr(m, "Precedence")) && value_is(v, prec))
		return *why = "Precedence: bulk/list/junk", AUTO_HARD;
	if (hdr(m, "List-Id"))
		return *why = "mailing-list List-Id", AUTO_HARD;
	if ((m->flags & GR_MSG_REPORT) ||
	    (m->content_type && gr_strcaseeq(m->content_type,
	                                     "multipart/report")))
		return *why = "delivery or read report", AUTO_HARD;
	if (machine_local(m->from.addr) || machine_local(m->sender.addr))
		return *why = "sent from a no-reply/daemon address", AUTO_HARD;
	if (hdr(m, "X-Autoreply") || hdr(m, "X-Autorespond") ||
	    hdr(m, "X-Auto-Reply") ||
	    hdr(m, "X-MS-Exchange-Organization-AutoReplyType"))
		return *why = "auto-reply header", AUTO_HARD;
	if ((v = hdr(m, "Return-Path")) && strstr(v, "<>"))
		return *why = "null return path (RFC 3834)", AUTO_HARD;
	if (r && r->re_autosubj && md && m->subject &&
	    gr_re_match(r, r->re_autosubj, m->subject, md, NULL, NULL))
		return *why = "auto-reply subject", AUTO_HARD;
	if (hdr(m, "List-Unsubscribe") || hdr(m, "X-Campaign") ||
	    hdr(m, "X-CampaignID"))
		return *why = "sent by a bulk-mail tool (List-Unsubscribe)",
		       AUTO_SOFT;
	return AUTO_NONE;
}

int
gr_message_is_automated(const gr_message *m)
{
	const char *why;

	if (!m)
		return 0;
	if (m->subject && (gr_startswith_ci(m->subject, "out of office") ||
	                   gr_startswith_ci(m->subject, "automatic reply") ||
	                   gr_startswith_ci(m->subject, "auto-reply") ||
	                   gr_startswith_ci(m->subject, "autoreply")))
		return 1;
	return auto_signs(NULL, m, NULL, &why) != AUTO_NONE;
}

gr_status
gr_classify_builtins(gr_rules *r, gr_diags *d)
{
	r->re_autosubj = gr_re_compile(d, BUILTIN_FILE, 0, 0,
	    "^(?:(?:re|aw|fw|fwd):\\s*)?(?:out of (?:the )?office|"
	    "automatic reply|auto(?:matic)?[- ]?(?:reply|response)|"
	    "autoreply|away from (?:the )?office|abwesenheit|"
	    "r\xc3\xa9ponse automatique|respuesta autom\xc3\xa1tica)", "");
	r->re_attrib = gr_re_compile(d, BUILTIN_FILE, 0, 0,
	    "(\\p{L}[\\p{L}\\p{M}'. -]{0,60}?)\\s*<([^<>\\s@]+@[^<>\\s]+)>"
	    "\\s*wrote:", "");
	r->re_thanks = gr_re_compile(d, BUILTIN_FILE, 0, 0,
	    "^\\s*(?i:thanks|thank you|thx)\\s*,?\\s+(\\p{Lu}\\p{Ll}+)\\b",
	    "c");
	r->re_named = gr_re_compile(d, BUILTIN_FILE, 0, 0,
	    "(\\p{Lu}\\p{Ll}+(?: \\p{Lu}\\p{Ll}+)?)\\b[^.\\n]{0,40}?"
	    "\\b(?i:referred|recommended|suggested|said|told)\\b", "c");
	if (!r->re_autosubj || !r->re_attrib || !r->re_thanks ||
	    !r->re_named)
		return GR_E_INTERNAL;
	return GR_OK;
}

/* --- evaluation state --------------------------------------------------- */

typedef struct ev {
	const gr_rules *r;
	const gr_message *m;
	pcre2_match_data *md;
	char *fields[GF_COUNT];         /* built on demand */
	unsigned char *memo;            /* per rule: 0 ?, 1 true, 2 false */
	char excerpt[96];
	int npred[GP_COUNT];            /* -1 not computed */
	double num[GN_COUNT];
	long best_svc;
	int auto_level;
	const char *auto_why;
	int known;
} ev;

static void
set_excerpt(ev *e, const char *s, size_t so, size_t eo)
{
	size_t n = eo - so, k = 0;

	if (e->excerpt[0] || !s)
		return;
	if (n == 0)
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

static const char *
field_text(ev *e, enum gr_field f)
{
	const gr_message *m = e->m;
	const char *at;

	switch (f) {
	case GF_SUBJECT: return m->subject ? m->subject : "";
	case GF_FROM: return m->from.addr ? m->from.addr : "";
	case GF_FROM_NAME: return m->from.name ? m->from.name : "";
	case GF_FROM_DOMAIN:
		at = m->from.addr ? strchr(m->from.addr, '@') : NULL;
		return at ? at + 1 : "";
	case GF_BODY: return m->new_text ? m->new_text : "";
	case GF_QUOTED: return m->quoted ? m->quoted : "";
	case GF_SIGNATURE: return m->signature ? m->signature : "";
	case GF_TEXT: return m->text ? m->text : "";
	case GF_TO:
	case GF_CC:
	case GF_REPLY_TO:
		if (!e->fields[f])
			e->fields[f] = addrs_text(f == GF_TO ? &m->to :
			                          f == GF_CC ? &m->cc :
			                          &m->reply_to);
		return e->fields[f] ? e->fields[f] : "";
	default:
		return "";
	}
}

/* A list matches where any of its patterns does; the excerpt is the
 * leftmost match. */
static int
list_test(ev *e, const gr_list *l, const char *s)
{
	size_t so, eo, best_so = 0, best_eo = 0;
	int hit = 0;

	for (size_t i = 0; i < l->nres; i++)
		if (gr_re_match(e->r, l->res[i], s, e->md, &so, &eo) &&
		    (!hit || so < best_so)) {
			best_so = so;
			best_eo = eo;
			hit = 1;
		}
	if (hit)
		set_excerpt(e, s, best_so, best_eo);
	return hit;
}

static int
text_test(ev *e, const gr_cond *k, const char *s)
{
	size_t so, eo;

	switch (k->op) {
	case GO_EXISTS:
		return s != NULL && (k->field == GF_HEADER || *s);
	case GO_EQ: {
		char *t = gr_strdup(s ? s : "");
		int eq = t && gr_strcaseeq(gr_str_trim(t), k->eq);

		free(t);
		return eq;
	}
	case GO_RE:
		if (!s || !gr_re_match(e->r, k->re, s, e->md, &so, &eo))
			return 0;
		set_excerpt(e, s, so, eo);
		return 1;
	case GO_LIST:
		return s && list_test(e, &e->r->lists[k->list], s);
	}
	return 0;
}

static int
cond_text(ev *e, const gr_cond *k)
{
	if (k->field != GF_HEADER)
		return text_test(e, k, field_text(e, k->field));
	for (size_t i = 0; i < e->m->n_headers; i++) {
		const gr_header *h = &e->m->headers[i];

		if (h->name && gr_strcaseeq(h->name, k->header) &&
		    text_test(e, k, h->value ? h->value : ""))
			return 1;
	}
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

static int
is_partner(const gr_rules *r, const char *addr)
{
	for (size_t i = 0; addr && i < r->npartners; i++)
		if (r->partners[i].pub.email &&
		    gr_strcaseeq(r->partners[i].pub.email, addr))
			return 1;
	return 0;
}

static int
list_has_owner(const gr_rules *r, const gr_addrlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (gr_rules_is_owner(r, l->v[i].addr))
			return 1;
	return 0;
}

/* A To/Cc person other than the owner, the sender and machines. */
static const gr_addr *
other_person(const gr_rules *r, const gr_message *m, const char *besides)
{
	const gr_addrlist *ls[2] = { &m->to, &m->cc };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ls[k]->n; i++) {
			const gr_addr *a = &ls[k]->v[i];

			if (!a->addr || gr_rules_is_owner(r, a->addr) ||
			    gr_strcaseeq(a->addr, m->from.addr) ||
			    (besides && gr_strcaseeq(a->addr, besides)) ||
			    machine_local(a->addr))
				continue;
			return a;
		}
	}
	return NULL;
}

static int
owner_quoted(const gr_rules *r, const gr_message *m)
{
	for (size_t i = 0; m->quoted && i < r->profile.emails.n; i++)
		if (gr_strcasestr(m->quoted, r->profile.emails.v[i]))
			return 1;
	return 0;
}

static int
pred_value(ev *e, enum gr_pred p)
{
	const gr_message *m = e->m;
	const gr_rules *r = e->r;
	long b = e->best_svc;

	switch (p) {
	case GP_SENDER_KNOWN: return e->known;
	case GP_SENDER_PARTNER:
		return is_partner(r, m->from.addr) ||
		       is_partner(r, reply_addr(m)->addr);
	case GP_OWNER_IN_TO: return list_has_owner(r, &m->to);
	case GP_OWNER_IN_CC: return list_has_owner(r, &m->cc);
	case GP_OTHER_PERSON: return other_person(r, m, NULL) != NULL;
	case GP_HAS_ATTACHMENT:
		return (m->flags & GR_MSG_HAS_ATTACHMENT) ||
		       m->n_attachments > 0;
	case GP_HTML_ONLY: return (m->flags & GR_MSG_HTML_ONLY) != 0;
	case GP_IS_REPLY: return (m->flags & GR_MSG_IS_REPLY) != 0;
	case GP_IS_FORWARD: return (m->flags & GR_MSG_IS_FORWARD) != 0;
	case GP_IS_REPORT:
		return (m->flags & GR_MSG_REPORT) ||
		       gr_strcaseeq(m->content_type, "multipart/report");
	case GP_AUTOMATED: return e->auto_level != AUTO_NONE;
	case GP_SERVICE_OFFERED: return b >= 0 && r->svcs[b].pub.offered;
	case GP_SERVICE_REFERRED: return b >= 0 && !r->svcs[b].pub.offered;
	case GP_OWNER_QUOTED: return owner_quoted(r, m);
	default: return 0;
	}
}

static int rule_true(ev *e, size_t i);

static int
cond_true(ev *e, const gr_cond *k)
{
	int v = 0;

	switch (k->kind) {
	case GC_TEXT:
		v = cond_text(e, k);
		break;
	case GC_NUM:
		v = cmp_num(e->num[k->num], k->cmp, k->value);
		break;
	case GC_PRED:
		if (e->npred[k->pred] < 0)
			e->npred[k->pred] = pred_value(e, k->pred);
		v = e->npred[k->pred];
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
rule_true(ev *e, size_t i)
{
	const gr_rule *ru = &e->r->rules[i];
	int v = 1;

	if (e->memo[i])
		return e->memo[i] == 1;
	for (size_t k = 0; k < ru->nconds && v; k++)
		v = cond_true(e, &ru->conds[k]);
	e->memo[i] = v ? 1 : 2;
	return v;
}

/* --- services ----------------------------------------------------------- */

static int
svc_count(ev *e, const gr_svc *s, const char *text)
{
	int n = 0;

	for (size_t i = 0; i < s->npats; i++)
		n += gr_re_match(e->r, s->pats[i], text, e->md, NULL, NULL);
	return n;
}

/* Count phrase hits per service in the subject and new text; the quoted
 * part only counts when those name no service and the message forwards
 * someone's request with that person copied (a forwarded introduction). */
static void
match_services(ev *e)
{
	const gr_rules *r = e->r;
	gr_buf b;
	int best = 0, passes = 1;

	e->best_svc = -1;
	if (r->nsvcs == 0)
		return;
	if ((e->m->flags & GR_MSG_IS_FORWARD) && other_person(r, e->m, NULL))
		passes = 2;
	for (int pass = 0; pass < passes && best == 0; pass++) {
		gr_buf_init(&b, 1u << 20);
		if (pass == 0)
			gr_buf_printf(&b, "%s\n%s", e->m->subject ?
			              e->m->subject : "", e->m->new_text ?
			              e->m->new_text : "");
		else
			gr_buf_addstr(&b, e->m->quoted ? e->m->quoted : "");
		for (size_t i = 0; b.data && i < r->nsvcs; i++) {
			int n = svc_count(e, &r->svcs[i], b.data);

			e->num[r->svcs[i].pub.offered ? GN_OFFERED :
			       GN_REFERRED] += n;
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
sender_known(const gr_rules *r, const gr_message *m,
             const gr_classify_ctx *ctx)
{
	const char *a = m->from.addr, *b = reply_addr(m)->addr;

	if (gr_rules_is_contact(r, a) || gr_rules_is_contact(r, b))
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
ovr_match(const gr_override *o, const gr_message *m)
{
	const char *a = m->from.addr, *b = reply_addr(m)->addr;

	if (o->domain)
		return domain_match(a, o->who) || domain_match(b, o->who);
	return gr_strcaseeq(a, o->who) || gr_strcaseeq(b, o->who);
}

/* The deciding "always" override (sender lines before domain lines), and
 * every matching "never" in excluded[]. */
static const gr_override *
overrides(const gr_rules *r, const gr_message *m, int *excluded,
          const gr_override **never)
{
	const gr_override *always = NULL;

	*never = NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->novr; i++) {
			const gr_override *o = &r->ovr[i];

			if (o->domain != pass || !ovr_match(o, m))
				continue;
			if (o->always && !always)
				always = o;
			if (!o->always) {
				excluded[o->cls] = 1;
				if (!*never)
					*never = o;
			}
		}
	}
	return always;
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

static char *
capture(pcre2_match_data *md, const char *s, int n)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

	if (ov[2 * n] == PCRE2_UNSET || ov[2 * n + 1] < ov[2 * n])
		return NULL;
	return gr_strndup(s + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
}

/* Introducer from "On ..., Name <addr> wrote:".  1 if found. */
static int
intro_from_attribution(ev *e, gr_verdict *v)
{
	const char *s = e->m->quoted && *e->m->quoted ? e->m->quoted :
	                e->m->text;
	char *name, *addr, *nm;
	int ok = 0;

	if (!s || !gr_re_match(e->r, e->r->re_attrib, s, e->md, NULL, NULL))
		return 0;
	name = capture(e->md, s, 1);
	addr = capture(e->md, s, 2);
	if (addr && !gr_rules_is_owner(e->r, addr) &&
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
	const pcre2_code *res[2] = { e->r->re_thanks, e->r->re_named };
	const char *owner = e->r->profile.name;

	for (int k = 0; k < 2; k++) {
		for (int i = 0; srcs[i]; i++) {
			char *name;

			if (!gr_re_match(e->r, res[k], srcs[i], e->md, NULL,
			                 NULL))
				continue;
			name = capture(e->md, srcs[i], 1);
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
	const gr_addr *other = other_person(e->r, m, reply_addr(m)->addr);
	const gr_addr *ra = reply_addr(m);

	if (other && !gr_rules_is_owner(e->r, m->from.addr)) {
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
	for (int i = 0; i < GF_COUNT; i++)
		free(e->fields[i]);
	free(e->memo);
	if (e->md)
		pcre2_match_data_free(e->md);
}

static gr_status
ev_init(ev *e, const gr_rules *r, const gr_message *m,
        const gr_classify_ctx *ctx)
{
	memset(e, 0, sizeof *e);
	e->r = r;
	e->m = m;
	e->md = pcre2_match_data_create(16, NULL);
	e->memo = calloc(r->nrules ? r->nrules : 1, 1);
	if (!e->md || !e->memo)
		return GR_E_NOMEM;
	for (int i = 0; i < GP_COUNT; i++)
		e->npred[i] = -1;
	e->known = sender_known(r, m, ctx);
	e->auto_level = auto_signs(r, m, e->md, &e->auto_why);
	e->num[GN_RECIPIENTS] = (double)(m->to.n + m->cc.n);
	e->num[GN_TO] = (double)m->to.n;
	e->num[GN_CC] = (double)m->cc.n;
	e->num[GN_ATTACHMENTS] = (double)m->n_attachments;
	e->num[GN_BODY_WORDS] = count_words(m->new_text);
	match_services(e);
	return GR_OK;
}

static gr_status
score_rules(ev *e, gr_verdict *v)
{
	for (size_t i = 0; i < e->r->nrules; i++) {
		const gr_rule *ru = &e->r->rules[i];

		e->excerpt[0] = '\0';
		if (!ru->scored || !rule_true(e, i))
			continue;
		for (int c = 0; c < GR_CLASS_COUNT; c++)
			v->scores[c] += ru->score[c];
		if (add_hit(v, ru->name, ru->desc, ru->file, ru->line,
		            ru->score, e->excerpt) != GR_OK)
			return GR_E_NOMEM;
	}
	return GR_OK;
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
	int excluded[GR_CLASS_COUNT] = { 0 };
	const gr_override *always, *never;
	gr_class pick;

	if (e->known) {
		excluded[GR_CLASS_COLD_PITCH] = 1;
		add_hit(v, "known-sender", "the owner knows this sender "
		        "(contacts or Sent mail): never cold_pitch",
		        BUILTIN_FILE, 0, NULL, NULL);
	}
	always = overrides(e->r, e->m, excluded, &never);
	pick = best_class(v, excluded, e->r->threshold);
	if (always) {
		pick = always->cls;
		v->override = gr_strdup(always->text);
	} else if (never) {
		v->override = gr_strdup(never->text);
	}
	if (e->auto_level == AUTO_HARD && pick != GR_CLASS_AUTOMATED &&
	    !(always && !draft_class(pick))) {
		add_hit(v, "automated-signs", e->auto_why, BUILTIN_FILE, 0,
		        NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (e->auto_level == AUTO_SOFT && pick != GR_CLASS_AUTOMATED &&
	           pick != GR_CLASS_COLD_PITCH && !(always &&
	                                            !draft_class(pick))) {
		add_hit(v, "automated-signs", e->auto_why, BUILTIN_FILE, 0,
		        NULL, NULL);
		pick = GR_CLASS_AUTOMATED;
	} else if (e->auto_level == AUTO_SOFT && pick == GR_CLASS_COLD_PITCH) {
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
		out->service = &r->svcs[e.best_svc].pub;
		if (!out->service->offered)
			out->partner = gr_rules_partner_for(r,
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
