/* SPDX-License-Identifier: MIT */
/*
 * test_classify.c - the classifier: automated signs, overrides, known
 * senders, referral parties, and accuracy of the default rules on the maya
 * examples ($GR_SHARED/examples/maya) and on the tests/personas/webdev
 * fixtures; the weight fitter, example sets and the words of a message.
 * GR_VERBOSE=1 prints every verdict's hits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gravity/classify.h"
#include "gravity/message.h"
#include "gravity/rules.h"
#include "gravity/train.h"

#include "testlib.h"

static gr_rules *
load_layers(const char *persona)
{
	char d0[4096], d1[4096];
	const char *dirs[2] = { d0, d1 };
	gr_rules *r = NULL;
	gr_diags dg = { 0 };

	snprintf(d0, sizeof d0, "%s/rules", tl_srcdir());
	snprintf(d1, sizeof d1, "%s/tests/personas/%s", tl_srcdir(), persona);
	if (gr_rules_load(dirs, 2, &r, &dg) != GR_OK)
		gr_diags_print(&dg, stderr);
	gr_diags_free(&dg);
	return r;
}

static gr_message *
parse_file(const char *path)
{
	char *raw;
	size_t len;
	gr_message *m = NULL;
	gr_error err;

	if (gr_read_file(path, 64u << 20, &raw, &len, &err) != GR_OK)
		return NULL;
	if (gr_message_parse(raw, len, NULL, &m, &err) != GR_OK)
		m = NULL;
	free(raw);
	return m;
}

static void
print_verdict(const char *name, const gr_verdict *v)
{
	printf("# %s -> %s", name, gr_class_name(v->cls));
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		if (v->scores[c] != 0)
			printf(" %s=%.1f", gr_class_name((gr_class)c),
			       v->scores[c]);
	printf("\n");
	for (size_t i = 0; i < v->n_hits; i++)
		printf("#    %s (%s:%u) [%s]\n", v->hits[i].rule,
		       v->hits[i].file, v->hits[i].line, v->hits[i].excerpt);
	if (v->service)
		printf("#    service %s%s%s\n", v->service->key,
		       v->partner ? " partner " : "",
		       v->partner ? v->partner->email : "");
	if (v->cls == GR_CLASS_REFERRAL_INTRO)
		printf("#    introducer %s <%s>, new contact %s <%s>\n",
		       v->introducer.name ? v->introducer.name : "-",
		       v->introducer.addr ? v->introducer.addr : "-",
		       v->new_contact.name ? v->new_contact.name : "-",
		       v->new_contact.addr ? v->new_contact.addr : "-");
}

/* --- hand-built messages ------------------------------------------------ */

typedef struct fake {
	gr_message m;
	gr_header h[4];
	gr_addr to[3];
	gr_addr cc[3];
} fake;

static void
fake_init(fake *f, const char *from, const char *subject, const char *body)
{
	memset(f, 0, sizeof *f);
	f->m.from.addr = (char *)from;
	f->m.subject = (char *)subject;
	f->m.text = f->m.new_text = (char *)body;
	f->m.quoted = f->m.signature = (char *)"";
	f->m.content_type = (char *)"text/plain";
	f->m.headers = f->h;
	f->to[0].addr = (char *)"alex@rivera-studio.example";
	f->m.to.v = f->to;
	f->m.to.n = 1;
	f->m.cc.v = f->cc;
}

static void
fake_header(fake *f, const char *name, const char *value)
{
	f->h[f->m.n_headers].name = (char *)name;
	f->h[f->m.n_headers].value = (char *)value;
	f->m.n_headers++;
}

/* The default rules and the test owner Alex Rivera (tests/personas/alex):
 * the defaults hold no owner. */
static gr_rules *
load_default(void)
{
	gr_rules *r = load_layers("alex");

	assert_non_null(r);
	return r;
}

static void
test_automated_signs(void **state)
{
	fake f;

	(void)state;
	fake_init(&f, "a@b.example", "Hello", "hi");
	assert_false(gr_message_auto_signs(&f.m, NULL));
	fake_header(&f, "Auto-Submitted", "no");
	assert_false(gr_message_auto_signs(&f.m, NULL));
	f.h[0].value = (char *)"auto-replied";
	assert_true(gr_message_auto_signs(&f.m, NULL));

	fake_init(&f, "a@b.example", "Hello", "hi");
	fake_header(&f, "Precedence", "bulk");
	assert_true(gr_message_auto_signs(&f.m, NULL));
	fake_init(&f, "MAILER-DAEMON@b.example", "failure", "hi");
	assert_true(gr_message_auto_signs(&f.m, NULL));
	fake_init(&f, "noreply@b.example", "Hi", "hi");
	assert_true(gr_message_auto_signs(&f.m, NULL));
	fake_init(&f, "a@b.example", "Out of Office: back Monday", "hi");
	assert_true(gr_message_auto_signs(&f.m, NULL));
	fake_init(&f, "a@b.example", "Hi", "hi");
	f.m.flags = GR_MSG_REPORT;
	assert_true(gr_message_auto_signs(&f.m, NULL));
	fake_init(&f, "a@b.example", "Hi", "hi");
	fake_header(&f, "List-Id", "<x.lists.example>");
	assert_true(gr_message_auto_signs(&f.m, NULL));

	/* Each sign read once (gr_message_signs), weighed by the RFC 3834
	 * rule and read by the classifier's facts alike. */
	{
		static const struct {
			const char *name, *value;
			unsigned sign;
			gr_auto level;
		} hs[] = {
			{ "Auto-Submitted", " Auto-Generated", GR_SIGN_AUTO_SUBMITTED,
			  GR_AUTO_HARD },
			{ "Auto-Submitted", "no ; x", 0, GR_AUTO_NONE },
			{ "X-Autorespond", "yes", GR_SIGN_AUTOREPLY_HDR,
			  GR_AUTO_HARD },
			{ "Precedence", "bulk", GR_SIGN_PREC_BULK, GR_AUTO_HARD },
			{ "Precedence", "LIST", GR_SIGN_PREC_LIST, GR_AUTO_HARD },
			{ "Precedence", "junk", GR_SIGN_PREC_JUNK, GR_AUTO_HARD },
			{ "Precedence", "auto_reply", GR_SIGN_PREC_AUTOREPLY,
			  GR_AUTO_HARD },
			{ "Precedence", "first-class", 0, GR_AUTO_NONE },
			{ "List-Id", "<x.lists.example>", GR_SIGN_LIST_ID,
			  GR_AUTO_HARD },
			{ "Return-Path", "<>", GR_SIGN_NULL_RETURN, GR_AUTO_HARD },
			{ "List-Unsubscribe", "<mailto:u@x.example>",
			  GR_SIGN_LIST_UNSUB, GR_AUTO_SOFT },
			{ "X-CampaignID", "42", GR_SIGN_CAMPAIGN, GR_AUTO_SOFT },
			{ "X-SES-Outgoing", "2026.10.01", GR_SIGN_ESP, GR_AUTO_NONE },
		};

		for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
			fake_init(&f, "a@b.example", "Hi", "hi");
			fake_header(&f, hs[i].name, hs[i].value);
			assert_int_equal(gr_message_signs(&f.m), hs[i].sign);
			assert_int_equal(gr_message_auto_signs(&f.m, NULL),
			                 hs[i].level);
			/* A relay excuses the soft signs only. */
			assert_int_equal(gr_message_relay_signs(&f.m, NULL),
			                 hs[i].level == GR_AUTO_SOFT ?
			                 GR_AUTO_NONE : hs[i].level);
		}
		fake_init(&f, "noreply@b.example", "Automatic reply: hi", "hi");
		assert_int_equal(gr_message_signs(&f.m),
		                 GR_SIGN_MACHINE_SENDER | GR_SIGN_AUTOREPLY_SUBJ);
		fake_init(&f, "noreply@b.example", "Hi", "hi");
		assert_int_equal(gr_message_relay_signs(&f.m, NULL),
		                 GR_AUTO_NONE);
		fake_init(&f, "a@b.example", "Hi", "hi");
		f.m.content_type = (char *)"multipart/report";
		assert_int_equal(gr_message_signs(&f.m), GR_SIGN_REPORT);
	}
}

static void
test_automated_forced(void **state)
{
	gr_rules *r = load_default();
	gr_verdict v;
	gr_error err;
	fake f;
	int found = 0;

	(void)state;
	/* inquiry wording, but an auto-reply: must be automated */
	fake_init(&f, "client@example.com", "Automatic reply: new logo",
	          "Could you design a new logo and website for us? We'd "
	          "like a quote.");
	fake_header(&f, "Auto-Submitted", "auto-replied");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_AUTOMATED);
	for (size_t i = 0; i < v.n_hits; i++)
		found |= strcmp(v.hits[i].rule, "automated-signs") == 0;
	assert_true(found);
	gr_verdict_free(&v);

	/* the same without the header is an inquiry with a service */
	fake_init(&f, "client@example.com", "New logo",
	          "Could you design a new logo and website for us? We'd "
	          "like a quote.");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_INQUIRY);
	assert_non_null(v.service);
	assert_int_equal(v.service->offered, 1);
	assert_null(v.partner);
	gr_verdict_free(&v);
	gr_rules_free(r);
}

static int
always_known(void *aux, const char *addr)
{
	(void)aux;
	return strcmp(addr, "rep@growfast.example") == 0;
}

static void
test_known_sender_never_pitch(void **state)
{
	gr_rules *r = load_default();
	gr_classify_ctx ctx = { always_known, NULL };
	gr_verdict v;
	gr_error err;
	fake f;
	const char *body = "Hi Alex, we help studios like you get more "
	                   "clients. Open to a quick call this week? Just "
	                   "following up on my last email.";

	(void)state;
	fake_init(&f, "rep@growfast.example", "quick call?", body);
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_COLD_PITCH);
	assert_false(v.sender_known);
	gr_verdict_free(&v);
	assert_int_equal(gr_classify(r, &f.m, &ctx, &v, &err), GR_OK);
	assert_int_not_equal(v.cls, GR_CLASS_COLD_PITCH);
	assert_true(v.sender_known);
	assert_string_equal(v.hits[v.n_hits - 1].rule, "known-sender");
	gr_verdict_free(&v);
	gr_rules_free(r);
}

static void
test_overrides(void **state)
{
	char d0[4096];
	const char *dirs[2] = { d0, NULL };
	char tmpl[4096];
	gr_rules *r = NULL;
	gr_diags dg = { 0 };
	gr_verdict v;
	gr_error err;
	fake f;

	(void)state;
	snprintf(d0, sizeof d0, "%s/rules", tl_srcdir());
	tl_mkdtemp(tmpl, sizeof tmpl, "ovr");
	dirs[1] = tmpl;
	tl_write(tmpl, "overrides",
	         "# test\nsender rep@growfast.example always other\n"
	         "domain pitchy.example never cold_pitch\n");
	assert_int_equal(gr_rules_load(dirs, 2, &r, &dg), GR_OK);

	fake_init(&f, "rep@growfast.example", "quick call?",
	          "We help studios like you get more clients. Open to a "
	          "quick call? Following up on my last email.");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_OTHER);
	assert_non_null(v.override);
	assert_non_null(strstr(v.override, "overrides:2: sender "
	                                   "rep@growfast.example: always other"));
	gr_verdict_free(&v);

	f.m.from.addr = (char *)"bob@mail.pitchy.example";
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_not_equal(v.cls, GR_CLASS_COLD_PITCH);
	assert_non_null(strstr(v.override, "overrides:3:"));
	gr_verdict_free(&v);

	gr_rules_free(r);
	gr_diags_free(&dg);
	assert_int_equal(tl_rmtree(tmpl), 0);
}

static void
test_intro_parties(void **state)
{
	gr_rules *r = load_default();
	gr_verdict v;
	gr_error err;
	fake f;

	(void)state;
	fake_init(&f, "nora@friends.example", "Intro: Alex <> Pat",
	          "Alex, meet Pat Lee (cc'd). Pat needs a new logo and a "
	          "website for her bakery. I'll let you two take it from "
	          "here!");
	f.m.from.name = (char *)"Nora Quinn";
	f.cc[0].name = (char *)"Pat Lee";
	f.cc[0].addr = (char *)"pat@bakery.example";
	f.m.cc.n = 1;
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_REFERRAL_INTRO);
	assert_string_equal(v.introducer.addr, "nora@friends.example");
	assert_string_equal(v.introducer.name, "Nora Quinn");
	assert_string_equal(v.new_contact.addr, "pat@bakery.example");
	gr_verdict_free(&v);

	/* the new contact writes: "X referred me" */
	fake_init(&f, "pat@bakery.example", "Nora Quinn referred me",
	          "Hi Alex, Nora Quinn referred me to you. I need a logo "
	          "for my bakery. Could we talk next week?");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_REFERRAL_INTRO);
	assert_string_equal(v.new_contact.addr, "pat@bakery.example");
	assert_non_null(v.introducer.name);
	assert_string_equal(v.introducer.name, "Nora Quinn");
	assert_null(v.introducer.addr);
	gr_verdict_free(&v);

	/* a greeting is no introducer: "Hi Alex! Nora Quinn referred me",
	 * "Hello Alex, Nora Quinn referred me" */
	fake_init(&f, "pat@bakery.example", "Logo for my bakery",
	          "Hi Alex! Nora Quinn referred me to you. I need a logo for "
	          "my bakery. Could we talk next week?");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_REFERRAL_INTRO);
	assert_non_null(v.introducer.name);
	assert_string_equal(v.introducer.name, "Nora Quinn");
	gr_verdict_free(&v);
	fake_init(&f, "pat@bakery.example", "Logo for my bakery",
	          "Hello Alex, Nora Quinn referred me to you. I need a "
	          "logo for my bakery. Could we talk next week?");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_REFERRAL_INTRO);
	assert_non_null(v.introducer.name);
	assert_string_equal(v.introducer.name, "Nora Quinn");
	gr_verdict_free(&v);
	gr_rules_free(r);
}

/* --- accuracy on labelled mail ------------------------------------------ */

typedef struct score_card {
	int cm[GR_CLASS_COUNT][GR_CLASS_COUNT];  /* [truth][predicted] */
	int n, ok;
} score_card;

static double
macro_f1(const score_card *s, int *nclasses)
{
	double sum = 0;
	int k = 0;

	for (int c = 0; c < GR_CLASS_COUNT; c++) {
		int tp = s->cm[c][c], fp = 0, fn = 0;

		for (int o = 0; o < GR_CLASS_COUNT; o++) {
			if (o == c)
				continue;
			fp += s->cm[o][c];
			fn += s->cm[c][o];
		}
		if (tp + fp + fn == 0)
			continue;       /* class absent from truth and output */
		sum += 2.0 * tp / (2.0 * tp + fp + fn);
		k++;
	}
	*nclasses = k;
	return k ? sum / k : 0;
}

static void
print_card(const score_card *s)
{
	printf("# confusion matrix (rows: label, columns: predicted)\n#%16s",
	       "");
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		printf(" %5.5s", gr_class_name((gr_class)c));
	printf("\n");
	for (int t = 0; t < GR_CLASS_COUNT; t++) {
		printf("# %15s", gr_class_name((gr_class)t));
		for (int c = 0; c < GR_CLASS_COUNT; c++)
			printf(" %5d", s->cm[t][c]);
		printf("\n");
	}
}

/* Classify every "file<TAB>class" line of labels with rules r. */
static int
run_labels(gr_rules *r, const char *dir, const char *labels, score_card *s)
{
	char path[4096], line[2048];
	FILE *fp = fopen(labels, "r");
	int verbose = getenv("GR_VERBOSE") != NULL;

	if (!fp)
		return -1;
	memset(s, 0, sizeof *s);
	while (fgets(line, sizeof line, fp)) {
		char *file = strtok(line, "\t\n"), *cls = strtok(NULL, "\t\n");
		gr_class want;
		gr_message *m;
		gr_verdict v;
		gr_error err;

		if (!file || !cls || *file == '#' ||
		    gr_class_from_name(cls, &want) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, file);
		m = parse_file(path);
		assert_non_null(m);
		assert_int_equal(gr_classify(r, m, NULL, &v, &err), GR_OK);
		s->cm[want][v.cls]++;
		s->n++;
		s->ok += v.cls == want;
		if (v.cls != want)
			printf("# MISS %s: label %s\n", file, cls);
		if (verbose || v.cls != want)
			print_verdict(file, &v);
		gr_verdict_free(&v);
		gr_message_free(m);
	}
	fclose(fp);
	return 0;
}

static void
test_maya_accuracy(void **state)
{
	char dir[4096], labels[4200];
	gr_rules *r;
	score_card s;
	double f1;
	int k;

	(void)state;
	snprintf(labels, sizeof labels, "%s",
	         tl_shared_or_skip("examples/maya/labels.tsv"));
	snprintf(dir, sizeof dir, "%s/examples/maya", tl_shared());
	r = load_layers("maya");
	assert_non_null(r);
	assert_int_equal(run_labels(r, dir, labels, &s), 0);
	f1 = macro_f1(&s, &k);
	print_card(&s);
	printf("# maya: %d/%d correct, macro-F1 %.3f over %d classes\n",
	       s.ok, s.n, f1, k);
	assert_int_equal(s.n, 36);
	assert_true(s.ok >= 30);
	assert_true(f1 >= 0.90);
	gr_rules_free(r);
}

static void
test_webdev_fixtures(void **state)
{
	char dir[4096], labels[4200];
	gr_rules *r;
	score_card s;

	(void)state;
	snprintf(dir, sizeof dir, "%s/tests/data/rules/webdev", tl_srcdir());
	snprintf(labels, sizeof labels, "%s/labels.tsv", dir);
	r = load_layers("webdev");
	assert_non_null(r);
	assert_int_equal(run_labels(r, dir, labels, &s), 0);
	printf("# webdev: %d/%d correct\n", s.ok, s.n);
	assert_true(s.n >= 6);
	assert_int_equal(s.ok, s.n);
	gr_rules_free(r);
}

static void
test_speed(void **state)
{
	char path[4096];
	gr_rules *r;
	gr_message *m;
	struct timespec a, b;
	const int n = 200;
	double us;

	(void)state;
	snprintf(path, sizeof path, "%s/tests/data/rules/webdev/inquiry.eml",
	         tl_srcdir());
	r = load_layers("webdev");
	assert_non_null(r);
	m = parse_file(path);
	assert_non_null(m);
	{
		/* the first classification makes the rules' scanners (a cost
		 * once per process, as loading the rules is): not timed */
		gr_verdict v;
		gr_error err;

		assert_int_equal(gr_classify(r, m, NULL, &v, &err), GR_OK);
		gr_verdict_free(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		gr_verdict v;
		gr_error err;

		assert_int_equal(gr_classify(r, m, NULL, &v, &err), GR_OK);
		gr_verdict_free(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	us = ((double)(b.tv_sec - a.tv_sec) * 1e6 +
	      (double)(b.tv_nsec - a.tv_nsec) / 1e3) / n;
	printf("# %.1f us per message\n", us);
	if (!getenv("GR_VALGRIND"))     /* valgrind: ~50x slower */
		assert_true(us < 5000); /* generous: sanitizer builds */
	gr_message_free(m);
	gr_rules_free(r);
}


/* --- learned weights ----------------------------------------------------- */

static void
add_ex(gr_exset *s, const char *group, gr_class c, const char *f1,
       const char *f2)
{
	gr_strv f = { 0 };
	long g = gr_exset_group(s, group);

	assert_true(g >= 0);
	gr_strv_push(&f, f1);
	if (f2)
		gr_strv_push(&f, f2);
	assert_int_equal(gr_exset_add(s, "x.eml", (size_t)g, c, -1, 0, &f),
	                 GR_OK);
	gr_strv_free(&f);
}

/* Three owners whose mail separates on one rule each; a word seen with
 * one owner only is no feature. */
static void
test_train_fit(void **state)
{
	gr_exset s = { 0 };
	gr_train_opts o;
	gr_model m;
	gr_error err;
	gr_example e = { 0 };
	double sc[GR_CLASS_COUNT];
	const char *owners[3] = { "a", "b", "c" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 4; k++) {
			add_ex(&s, owners[i], GR_CLASS_INQUIRY, "rule:asks",
			       "word:quote");
			add_ex(&s, owners[i], GR_CLASS_COLD_PITCH, "rule:sells",
			       i == 0 ? "word:zebra" : "word:offer");
			add_ex(&s, owners[i], GR_CLASS_AUTOMATED, "fact:bulk",
			       NULL);
		}
	}
	gr_train_opts_default(&o);
	assert_int_equal(gr_train_fit(&s, -1, &o, &m, &err), GR_OK);
	assert_true(gr_strmap_get(&m.index, "rule:asks") >= 0);
	assert_true(gr_strmap_get(&m.index, "word:offer") >= 0);
	assert_true(gr_strmap_get(&m.index, "word:zebra") < 0);
	e.forced = -1;
	gr_strv_push(&e.feats, "rule:sells");
	assert_int_equal(gr_model_predict(&m, &e, NULL, NULL, sc),
	                 GR_CLASS_COLD_PITCH);
	/* the safety signs: a forced class wins, an excluded one cannot */
	e.forced = GR_CLASS_AUTOMATED;
	assert_int_equal(gr_model_predict(&m, &e, NULL, NULL, sc),
	                 GR_CLASS_AUTOMATED);
	e.forced = -1;
	e.excluded = 1u << GR_CLASS_COLD_PITCH;
	assert_int_not_equal(gr_model_predict(&m, &e, NULL, NULL, sc),
	                     GR_CLASS_COLD_PITCH);
	gr_strv_free(&e.feats);
	gr_model_free(&m);
	/* leaving owner "a" out: fitted on b and c only */
	assert_int_equal(gr_train_fit(&s, 0, &o, &m, &err), GR_OK);
	assert_int_equal(m.n_examples, 24);
	gr_model_free(&m);
	gr_exset_free(&s);
}

/* Examples written as text read back the same. */
static void
test_exset_roundtrip(void **state)
{
	gr_exset s = { 0 }, t = { 0 };
	gr_strv f = { 0 };
	char path[] = "/tmp/gr-exset-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;
	gr_error err;

	(void)state;
	assert_true(fd >= 0);
	gr_strv_push(&f, "rule:a");
	gr_strv_push(&f, "word:tradu\xc3\xa7\xc3\xa3o");
	assert_int_equal(gr_exset_add(&s, "m1.eml", (size_t)gr_exset_group(&s,
	                 "ana"), GR_CLASS_OTHER, GR_CLASS_AUTOMATED,
	                 (1u << GR_CLASS_INQUIRY) | (1u << GR_CLASS_OTHER), &f),
	                 GR_OK);
	fp = fdopen(fd, "w");
	assert_int_equal(gr_exset_write(&s, fp, "# test\n"), GR_OK);
	fclose(fp);
	assert_int_equal(gr_exset_read(&t, path, &err), GR_OK);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.groups.v[t.v[0].group], "ana");
	assert_int_equal(t.v[0].label, GR_CLASS_OTHER);
	assert_int_equal(t.v[0].forced, GR_CLASS_AUTOMATED);
	assert_int_equal(t.v[0].excluded, s.v[0].excluded);
	assert_int_equal(t.v[0].feats.n, 2);
	assert_string_equal(t.v[0].feats.v[1], f.v[1]);
	/* a broken line names the file and line */
	fp = fopen(path, "w");
	fputs("example ana nonsense m1.eml rule:a\n", fp);
	fclose(fp);
	assert_int_not_equal(gr_exset_read(&t, path, &err), GR_OK);
	assert_non_null(strstr(err.msg, ":1:"));
	unlink(path);
	gr_strv_free(&f);
	gr_exset_free(&s);
	gr_exset_free(&t);
}

/* Words: lowercased across alphabets, letters only, each once. */
static void
test_words(void **state)
{
	fake f;
	gr_strv w = { 0 };

	(void)state;
	fake_init(&f, "a@b.example", "Tradu\xc3\xa7\xc3\xa3o DO Site",
	          "\xc3\x9c""ber 2 X site, \xd0\x9f\xd1\x80\xd0\xb8\xd0"
	          "\xb2\xd0\xb5\xd1\x82 co-op! ABCDEFGHIJKLMNOPQRSTUVWXYZabc "
	          "abcdefghijklmnopqrstuvwxyzabcd");
	assert_int_equal(gr_classify_words(&f.m, &w), GR_OK);
	/* 29 letters still count, 30 are too long */
	assert_int_equal(w.n, 8);
	assert_string_equal(w.v[7], "word:abcdefghijklmnopqrstuvwxyzabc");
	assert_string_equal(w.v[0], "word:tradu\xc3\xa7\xc3\xa3o");
	assert_string_equal(w.v[1], "word:do");
	assert_string_equal(w.v[2], "word:site");
	assert_string_equal(w.v[3], "word:\xc3\xbc""ber");
	assert_string_equal(w.v[4], "word:\xd0\xbf\xd1\x80\xd0\xb8\xd0"
	                    "\xb2\xd0\xb5\xd1\x82");
	assert_string_equal(w.v[5], "word:co");
	assert_string_equal(w.v[6], "word:op");
	gr_strv_free(&w);
}

/* A platform relaying a person's words is classified by them; the same
 * no-reply sender with a notice is automated whatever the scores. */
static void
test_relay_and_notice(void **state)
{
	gr_rules *r = load_default();
	gr_verdict v;
	gr_error err;
	fake f;

	(void)state;
	fake_init(&f, "no-reply@mail.social.example",
	          "Jo Park sent you a message",
	          "Jo Park sent you a message: \"Hi! Could you design a new "
	          "logo and website for our bakery? What would it cost?\"");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_not_equal(v.cls, GR_CLASS_AUTOMATED);
	assert_int_equal(v.forced, -1);
	gr_verdict_free(&v);
	fake_init(&f, "no-reply@mail.social.example", "New login to your "
	          "account", "We noticed a new login to your account from "
	          "Chrome on Windows.");
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_int_equal(v.cls, GR_CLASS_AUTOMATED);
	assert_int_equal(v.forced, GR_CLASS_AUTOMATED);
	gr_verdict_free(&v);
	/* a list's mail (its owner- sender) is never a draft class */
	fake_init(&f, "owner-announce@shop.example", "Could you help us?",
	          "Could you design a new logo and website for us?");
	f.to[0].addr = (char *)"announce@shop.example";
	assert_int_equal(gr_classify(r, &f.m, NULL, &v, &err), GR_OK);
	assert_true(v.cls != GR_CLASS_INQUIRY &&
	            v.cls != GR_CLASS_OUT_OF_SCOPE &&
	            v.cls != GR_CLASS_REFERRAL_INTRO);
	gr_verdict_free(&v);
	gr_rules_free(r);
}

/* 1 if the verdict's features hold NAME. */
static int
has_feature(const gr_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->features.n; i++)
		if (strcmp(v->features.v[i], name) == 0)
			return 1;
	return 0;
}

/* service-unnamed: neither a phrase of the owner's services nor their
 * words in the subject or new text, in a language the services speak. */
static void
test_service_unnamed(void **state)
{
	static const struct {
		const char *subject, *body;
		int unnamed;
	} cases[] = {
		{ "Question", "Could you tune the piano in our hall next "
		  "week? What would it cost?", 1 },
		{ "Question", "Could you design a logo for our bakery?", 0 },
		{ "Quote", "Could you quote for our product photos?", 0 },
		{ "New logos?", "What would it cost?", 0 },
		/* a word of a phrase ("brand" of "brand identity") */
		{ "Question", "Our brand needs a refresh, can we talk?", 0 },
		/* the services are in English only: mail in another
		 * language is not named by them, nor known not to be */
		{ "Una pregunta", "Hola, somos una escuela de música en "
		  "Valencia. ¿Podría afinar el piano de nuestra sala la "
		  "próxima semana? ¿Cuánto costaría? Muchas gracias por su "
		  "ayuda.", 0 },
	};
	gr_rules *r = load_default();
	gr_classify_ctx ctx = { 0 };
	gr_verdict v;
	gr_error err;
	fake f;

	(void)state;
	ctx.want_features = 1;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		fake_init(&f, "jo@example.org", cases[i].subject,
		          cases[i].body);
		assert_int_equal(gr_classify(r, &f.m, &ctx, &v, &err), GR_OK);
		if (has_feature(&v, "fact:service-unnamed") != cases[i].unnamed)
			fail_msg("case %zu: service-unnamed %d, want %d", i,
			         !cases[i].unnamed, cases[i].unnamed);
		gr_verdict_free(&v);
	}
	gr_rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_automated_signs),
		cmocka_unit_test(test_automated_forced),
		cmocka_unit_test(test_known_sender_never_pitch),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_intro_parties),
		cmocka_unit_test(test_maya_accuracy),
		cmocka_unit_test(test_webdev_fixtures),
		cmocka_unit_test(test_speed),
		cmocka_unit_test(test_train_fit),
		cmocka_unit_test(test_exset_roundtrip),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_relay_and_notice),
		cmocka_unit_test(test_service_unnamed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
