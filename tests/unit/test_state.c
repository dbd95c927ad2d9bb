/* SPDX-License-Identifier: MIT */
/* test_state.c - the SQLite state: records, transactions, lock, modes,
 * folder marks, contacts, corrupt files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gravity/state.h"

#include "testlib.h"

struct fx {
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	if (!fx)
		return -1;
	tl_mkdtemp(fx->dir, sizeof fx->dir, "state");
	snprintf(fx->db, sizeof fx->db, "%s/state.db", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (tl_rmtree(fx->dir) != 0)
		return -1;
	free(fx);
	return 0;
}

static gr_state *
open_ok(const char *path)
{
	gr_state *st = NULL;
	gr_error e;

	gr_error_clear(&e);
	if (gr_state_open(path, &st, &e) != GR_OK)
		fail_msg("open %s: %s", path, e.msg);
	return st;
}

static void
test_record_and_seen(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_error e;
	long m = -1, o = -1;

	assert_int_equal(gr_state_seen(st, "maildir:/m/1", "<a@x>"), 0);
	assert_int_equal(gr_state_record_message(st, "maildir:/m/1", "<a@x>", NULL,
	                 "Ann <a@x>", "Hi", "inquiry", "ok", NULL, 1700000000,
	                 &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "maildir:/m/1", NULL), 1);
	/* The same mail reached through another source. */
	assert_int_equal(gr_state_seen(st, "mbox:/x#1", "<a@x>"), 1);
	assert_int_equal(gr_state_seen(st, "mbox:/x#1", "<b@x>"), 0);
	assert_int_equal(gr_state_seen(st, "mbox:/x#1", ""), 0);
	/* Re-recording replaces: still one row. */
	assert_int_equal(gr_state_record_message(st, "maildir:/m/1", "<a@x>", NULL,
	                 NULL, NULL, NULL, "failed", "parser crashed", 1700000001,
	                 &e), GR_OK);
	assert_int_equal(gr_state_record_output(st, "<a@x>", "reminder",
	                 "remind", "reminders/a.ics", "uid-a@gravity", 0,
	                 1700086400, "abc", &e), GR_OK);
	assert_int_equal(gr_state_record_output(st, "<a@x>", "draft", "reply",
	                 "drafts/a.eml", NULL, 0, 0, NULL, &e), GR_OK);
	assert_int_equal(gr_state_counts(st, &m, &o, &e), GR_OK);
	assert_int_equal(m, 1);
	assert_int_equal(o, 2);
	assert_int_equal(gr_state_record_message(st, "x", NULL, NULL, NULL, NULL,
	                 NULL, "bogus", NULL, 0, &e), GR_E_INTERNAL);
	assert_int_equal(gr_state_check(st, &e), GR_OK);
	gr_state_close(st);
}

static void
test_sequence_of(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_error e;
	long m, o;

	assert_int_equal(gr_state_sequence_of(st, "u1"), -1);
	assert_int_equal(gr_state_record_output(st, "<a@x>", "reminder",
	                 "remind", "r/u1.ics", "u1", 0, 5, NULL, &e), GR_OK);
	assert_int_equal(gr_state_sequence_of(st, "u1"), 0);
	/* An update of the same reminder replaces the row. */
	assert_int_equal(gr_state_record_output(st, "<a@x>", "reminder",
	                 "cancel", "r/u1.ics", "u1", 1, 5, NULL, &e), GR_OK);
	assert_int_equal(gr_state_sequence_of(st, "u1"), 1);
	assert_int_equal(gr_state_counts(st, &m, &o, &e), GR_OK);
	assert_int_equal(o, 1);
	assert_int_equal(gr_state_record_output(st, "<a@x>", "", "x", "p",
	                 NULL, 0, 0, NULL, &e), GR_E_INTERNAL);
	gr_state_close(st);
}

/* The one reminder row a test looks at. */
struct rem_seen {
	int n, sequence, push_seq;
	char etag[64], href[64];
};

static void
see_rems(gr_state *st, struct rem_seen *rs)
{
	gr_state_rems l;
	gr_error e;

	memset(rs, 0, sizeof *rs);
	assert_int_equal(gr_state_rem_list(st, NULL, 0, 0, &l, &e), GR_OK);
	rs->n = (int)l.n;
	if (l.n) {
		rs->sequence = l.v[0].sequence;
		rs->push_seq = l.v[0].push_seq;
		snprintf(rs->etag, sizeof rs->etag, "%s",
		         l.v[0].etag ? l.v[0].etag : "-");
		snprintf(rs->href, sizeof rs->href, "%s",
		         l.v[0].href ? l.v[0].href : "-");
	}
	gr_state_rems_free(&l);
}

/* CalDAV bookkeeping (schema 3): a new reminder is pending; after a push
 * it is not; re-recording it keeps the ETag, URL and pushed SEQUENCE, and
 * a higher SEQUENCE makes it pending again. */
static void
test_caldav_push_state(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_rem r;
	struct rem_seen rs;
	gr_error e;

	memset(&r, 0, sizeof r);
	r.uid = "u1@gravity";
	r.relpath = "reminders/u1.ics";
	r.due = 100;
	assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	see_rems(st, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.push_seq, -1);              /* pending */
	assert_string_equal(rs.etag, "-");
	assert_int_equal(gr_state_rem_pushed(st, r.uid, 0, "\"e1\"",
	                 "https://d/c/u1.ics", &e), GR_OK);
	r.sequence = 1;
	r.done = 1;
	assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	see_rems(st, &rs);
	assert_int_equal(rs.sequence, 1);
	assert_int_equal(rs.push_seq, 0);               /* pending again */
	assert_string_equal(rs.etag, "\"e1\"");         /* kept for If-Match */
	assert_string_equal(rs.href, "https://d/c/u1.ics");
	assert_int_equal(gr_state_rem_pushed(st, r.uid, 1, NULL, NULL, &e),
	                 GR_OK);                        /* deleted */
	see_rems(st, &rs);
	assert_int_equal(rs.push_seq, 1);
	assert_string_equal(rs.etag, "-");
	gr_state_close(st);
}

static void
test_transaction_rollback(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_error e;
	long m, o;

	assert_int_equal(gr_state_begin(st, &e), GR_OK);
	assert_int_equal(gr_state_record_message(st, "s1", "<r@x>", NULL, NULL, NULL,
	                 "other", "ok", NULL, 1, &e), GR_OK);
	assert_int_equal(gr_state_record_output(st, "<r@x>", "draft", "reply",
	                 "d/r.eml", NULL, 0, 0, NULL, &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "s1", NULL), 1);  /* own view */
	gr_state_rollback(st);
	assert_int_equal(gr_state_seen(st, "s1", "<r@x>"), 0);
	assert_int_equal(gr_state_counts(st, &m, &o, &e), GR_OK);
	assert_int_equal(m, 0);
	assert_int_equal(o, 0);

	/* Committed, it survives a reopen. */
	assert_int_equal(gr_state_begin(st, &e), GR_OK);
	assert_int_equal(gr_state_record_message(st, "s2", "<q@x>", NULL, NULL, NULL,
	                 "other", "ok", NULL, 1, &e), GR_OK);
	assert_int_equal(gr_state_commit(st, &e), GR_OK);
	/* A transaction left open at close is rolled back. */
	assert_int_equal(gr_state_begin(st, &e), GR_OK);
	assert_int_equal(gr_state_record_message(st, "s3", NULL, NULL, NULL, NULL,
	                 "other", "ok", NULL, 1, &e), GR_OK);
	gr_state_close(st);
	st = open_ok(fx->db);
	assert_int_equal(gr_state_seen(st, "s2", NULL), 1);
	assert_int_equal(gr_state_seen(st, "s3", NULL), 0);
	gr_state_close(st);
}

static void
test_lock(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db), *st2 = NULL;
	gr_error e;
	char lock[PATH_MAX + 32];

	gr_error_clear(&e);
	assert_int_equal(gr_state_open(fx->db, &st2, &e), GR_E_LOCKED);
	assert_null(st2);
	snprintf(lock, sizeof lock, "%s.lock", fx->db);
	assert_non_null(strstr(e.msg, "another gravity poll is running"));
	assert_non_null(strstr(e.msg, lock));
	gr_state_close(st);
	st2 = open_ok(fx->db);  /* the lock went with the first handle */
	gr_state_close(st2);
}

static void
assert_mode_0600(const char *dir, const char *name)
{
	char p[PATH_MAX + 32];
	struct stat sb;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (stat(p, &sb) != 0)
		fail_msg("%s: missing", p);
	if ((sb.st_mode & 0777) != 0600)
		fail_msg("%s: mode %o", p, (unsigned)(sb.st_mode & 0777));
}

static void
test_modes(void **state)
{
	struct fx *fx = *state;
	mode_t old = umask(022);
	gr_state *st = open_ok(fx->db);
	gr_error e;

	assert_int_equal(gr_state_add_contact(st, "a@x", &e), GR_OK);
	assert_mode_0600(fx->dir, "state.db");
	assert_mode_0600(fx->dir, "state.db.lock");
	assert_mode_0600(fx->dir, "state.db-wal");
	assert_mode_0600(fx->dir, "state.db-shm");
	gr_state_close(st);
	/* A file made too open by hand is tightened on open. */
	assert_int_equal(chmod(fx->db, 0644), 0);
	st = open_ok(fx->db);
	assert_mode_0600(fx->dir, "state.db");
	assert_mode_0600(fx->dir, "state.db-wal");
	gr_state_close(st);
	umask(old);
}

static void
test_folders_and_contacts(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_error e;
	uint32_t v = 9, u = 9;

	assert_int_equal(gr_state_folder_get(st, "INBOX", &v, &u, &e), GR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(u, 0);
	assert_int_equal(gr_state_folder_set(st, "INBOX", 4000000000u, 42, &e),
	                 GR_OK);
	assert_int_equal(gr_state_folder_set(st, "INBOX", 4000000000u, 57, &e),
	                 GR_OK);
	assert_int_equal(gr_state_folder_set(st, "Sent", 7, 3, &e), GR_OK);
	assert_int_equal(gr_state_folder_get(st, "INBOX", &v, &u, &e), GR_OK);
	assert_int_equal(v, 4000000000u);
	assert_int_equal(u, 57);
	assert_int_equal(gr_state_folder_get(st, "Sent", &v, &u, &e), GR_OK);
	assert_int_equal(v, 7);
	assert_int_equal(u, 3);

	assert_int_equal(gr_state_is_contact(st, "bob@example.org"), 0);
	assert_int_equal(gr_state_add_contact(st, "Bob@Example.org", &e), GR_OK);
	assert_int_equal(gr_state_add_contact(st, "bob@example.org", &e), GR_OK);
	assert_int_equal(gr_state_is_contact(st, "bob@example.org"), 1);
	assert_int_equal(gr_state_is_contact(st, "BOB@EXAMPLE.ORG"), 1);
	assert_int_equal(gr_state_is_contact(st, "eve@example.org"), 0);
	gr_state_close(st);
	st = open_ok(fx->db);
	assert_int_equal(gr_state_is_contact(st, "bob@example.org"), 1);
	assert_int_equal(gr_state_folder_get(st, "INBOX", &v, &u, &e), GR_OK);
	assert_int_equal(u, 57);
	gr_state_close(st);
}

static void
write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_corrupt_file(void **state)
{
	struct fx *fx = *state;
	unsigned char junk[8192];
	gr_state *st = NULL;
	gr_error e;
	unsigned x = 12345;

	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	write_bytes(fx->db, junk, sizeof junk);
	gr_error_clear(&e);
	assert_int_equal(gr_state_open(fx->db, &st, &e), GR_E_STATE);
	assert_null(st);
	assert_non_null(strstr(e.msg, fx->db));
	assert_non_null(strstr(e.msg, "corrupt"));

	/* A text file is no better. */
	write_bytes(fx->db, "hello\n", 6);
	assert_int_equal(gr_state_open(fx->db, &st, &e), GR_E_STATE);
	assert_non_null(strstr(e.msg, fx->db));
}

static void
test_foreign_database(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_error e;
	char other[PATH_MAX + 16];

	gr_state_close(st);
	/* A valid SQLite file that is not ours: make one by hand. */
	snprintf(other, sizeof other, "%s/other.db", fx->dir);
	{
		char cmd[3 * PATH_MAX];

		snprintf(cmd, sizeof cmd, "command -v sqlite3 >/dev/null && "
		         "sqlite3 '%s' 'CREATE TABLE t(x);'", other);
		if (system(cmd) != 0)
			skip();
	}
	gr_error_clear(&e);
	assert_int_equal(gr_state_open(other, &st, &e), GR_E_STATE);
	assert_non_null(strstr(e.msg, "not a gravity state file"));
}

static void
test_unwritable_place(void **state)
{
	struct fx *fx = *state;
	gr_state *st = NULL;
	gr_error e;
	char file[PATH_MAX + 16], db[PATH_MAX + 32];

	/* A path below a regular file: cannot be created by anyone. */
	snprintf(file, sizeof file, "%s/plain", fx->dir);
	write_bytes(file, "x", 1);
	snprintf(db, sizeof db, "%s/state.db", file);
	gr_error_clear(&e);
	assert_int_equal(gr_state_open(db, &st, &e), GR_E_STATE);
	assert_null(st);
	assert_non_null(strstr(e.msg, db));

	/* A read-only directory (meaningless for root, who may write). */
	if (geteuid() != 0) {
		char ro[PATH_MAX + 16];

		snprintf(ro, sizeof ro, "%s/ro", fx->dir);
		assert_int_equal(mkdir(ro, 0500), 0);
		snprintf(db, sizeof db, "%s/state.db", ro);
		assert_int_equal(gr_state_open(db, &st, &e), GR_E_STATE);
		assert_non_null(strstr(e.msg, db));
		chmod(ro, 0700);
	}
}

static void
test_reopen(void **state)
{
	struct fx *fx = *state;
	gr_state *st;
	gr_error e;
	long m, o;

	for (int i = 0; i < 3; i++) {
		char sid[32];

		st = open_ok(fx->db);
		snprintf(sid, sizeof sid, "sid-%d", i);
		assert_int_equal(gr_state_record_message(st, sid, NULL, NULL, NULL,
		                 NULL, "other", "ok", NULL, i, &e), GR_OK);
		assert_int_equal(gr_state_counts(st, &m, &o, &e), GR_OK);
		assert_int_equal(m, i + 1);
		gr_state_close(st);
	}
}

static void
token_of(gr_state *st, time_t since, char out[64])
{
	gr_error e;

	assert_int_equal(gr_state_rem_token(st, since, out, &e), GR_OK);
}

/* The feed token (schema 4): any change to a reminder the feed shows
 * changes it, a CalDAV bookkeeping update does not, and a done reminder
 * leaving the window does. */
static void
test_feed_token(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_rem r;
	char t0[64], t1[64], t2[64], t3[64];
	gr_error e;

	token_of(st, 0, t0);
	memset(&r, 0, sizeof r);
	r.uid = "u1@gravity";
	r.relpath = "reminders/u1.ics";
	r.due = 100;
	r.changed = 1000;
	assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	token_of(st, 0, t1);
	assert_string_not_equal(t0, t1);
	assert_int_equal(gr_state_rem_pushed(st, r.uid, 0, "\"e\"", "h", &e),
	                 GR_OK);
	token_of(st, 0, t2);
	assert_string_equal(t1, t2);            /* not in the feed */
	r.done = 1;
	r.sequence = 1;
	r.changed = 2000;
	assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	token_of(st, 1500, t2);
	assert_string_not_equal(t1, t2);
	token_of(st, 2000, t3);
	assert_string_equal(t2, t3);            /* still in the window */
	token_of(st, 2001, t3);
	assert_string_not_equal(t2, t3);        /* aged out of it */
	gr_state_close(st);
}

static void
see_threads(const gr_state_threads *l, char *names)
{
	names[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		strcat(names, l->v[i].thread);
		strcat(names, " ");
	}
}

/* Follow-up candidates: the owner wrote last, fewer follow-ups than the
 * limit. */
static void
test_threads_waiting(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	static const struct { const char *id; time_t in, out; int fu; } v[] = {
		{ "answered", 10, 20, 0 }, { "theirs", 30, 20, 0 },
		{ "nudged", 10, 20, 1 }, { "new", 10, 0, 0 },
	};
	char names[128] = "";
	gr_state_threads l;
	gr_error e;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		gr_state_thread t;

		memset(&t, 0, sizeof t);
		t.thread = v[i].id;
		t.last_in = v[i].in;
		t.last_out = v[i].out;
		t.followups = v[i].fu;
		assert_int_equal(gr_state_thread_put(st, &t, &e), GR_OK);
	}
	assert_int_equal(gr_state_thread_waiting(st, 1, &l, &e), GR_OK);
	see_threads(&l, names);
	gr_state_threads_free(&l);
	assert_string_equal(names, "answered ");
	assert_int_equal(gr_state_thread_waiting(st, 2, &l, &e), GR_OK);
	see_threads(&l, names);
	gr_state_threads_free(&l);
	assert_string_equal(names, "answered nudged ");
	/* One thread by id, all of them, and an unknown one. */
	assert_int_equal(gr_state_thread_list(st, "nudged", &l, &e), GR_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].followups, 1);
	assert_null(l.v[0].cls);
	gr_state_threads_free(&l);
	assert_int_equal(gr_state_thread_list(st, NULL, &l, &e), GR_OK);
	see_threads(&l, names);
	gr_state_threads_free(&l);
	assert_string_equal(names, "answered new nudged theirs ");
	assert_int_equal(gr_state_thread_list(st, "nope", &l, &e), GR_OK);
	assert_int_equal(l.n, 0);
	gr_state_threads_free(&l);
	gr_state_close(st);
}

/* Lists own their rows: strings stay valid across later writes of the
 * rows they came from, and every field comes back as it was put. */
static void
test_rows_owned(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_referral r;
	gr_state_referrals l;
	gr_state_rems rl;
	gr_state_rem rem;
	gr_error e;

	memset(&r, 0, sizeof r);
	r.kind = "received";
	r.at = 1000;
	r.message_id = "<m1@x>";
	r.introducer_name = "Lena Park";
	r.introducer_addr = "lena@x";
	r.contact_name = "Sam";
	r.contact_addr = "sam@y";
	r.service = "audit";
	r.subject = "Intro";
	assert_int_equal(gr_state_referral_add(st, &r, &e), GR_OK);
	r.kind = "given";
	r.at = 2000;
	r.message_id = "<m2@x>";
	r.partner_name = "Pat";
	r.partner_addr = "pat@z";
	r.thanked = 1;
	r.thanked_at = 2500;
	assert_int_equal(gr_state_referral_add(st, &r, &e), GR_OK);
	assert_int_equal(gr_state_referral_list(st, &l, &e), GR_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].kind, "given");     /* most recent first */
	assert_string_equal(l.v[0].partner_addr, "pat@z");
	assert_int_equal(l.v[0].thanked, 1);
	assert_int_equal(l.v[0].thanked_at, 2500);
	assert_string_equal(l.v[1].kind, "received");
	assert_string_equal(l.v[1].introducer_name, "Lena Park");
	assert_null(l.v[1].partner_addr);
	assert_int_equal(l.v[1].thanked_at, 0);
	assert_int_equal(gr_state_referral_thank(st, "lena@x", 1500, &e), GR_OK);
	/* The old list is still whole after the write. */
	assert_string_equal(l.v[1].contact_addr, "sam@y");
	assert_int_equal(l.v[1].thanked, 0);
	gr_state_referrals_free(&l);
	gr_state_referrals_free(&l);            /* a freed list is empty */
	assert_int_equal(gr_state_referral_list(st, &l, &e), GR_OK);
	assert_int_equal(l.v[1].thanked, 1);
	assert_int_equal(l.v[1].thanked_at, 1500);
	gr_state_referrals_free(&l);

	memset(&rem, 0, sizeof rem);
	rem.uid = "u1@gravity";
	rem.relpath = "reminders/u1.ics";
	rem.thread = "<t@x>";
	rem.action = "reply";
	rem.summary = "Reply to Sam";
	rem.due = 50;
	rem.duration_min = 15;
	rem.alarm_min = 10;
	rem.as_todo = 7;                        /* stored as 1 */
	assert_int_equal(gr_state_rem_put(st, &rem, &e), GR_OK);
	assert_int_equal(gr_state_rem_unpushed(st, &rl, &e), GR_OK);
	assert_int_equal(rl.n, 1);
	assert_int_equal(gr_state_rem_pushed(st, "u1@gravity", 0, "\"e\"",
	                 "h", &e), GR_OK);
	assert_string_equal(rl.v[0].summary, "Reply to Sam");
	assert_string_equal(rl.v[0].thread, "<t@x>");
	assert_int_equal(rl.v[0].as_todo, 1);
	assert_int_equal(rl.v[0].duration_min, 15);
	assert_int_equal(rl.v[0].alarm_min, 10);
	assert_int_equal(rl.v[0].push_seq, -1);
	assert_null(rl.v[0].etag);
	gr_state_rems_free(&rl);
	assert_int_equal(gr_state_rem_unpushed(st, &rl, &e), GR_OK);
	assert_int_equal(rl.n, 0);
	gr_state_rems_free(&rl);
	assert_int_equal(gr_state_rem_list(st, "<t@x>", 1, 0, &rl, &e), GR_OK);
	assert_int_equal(rl.n, 1);
	assert_string_equal(rl.v[0].etag, "\"e\"");
	gr_state_rems_free(&rl);
	assert_int_equal(gr_state_rem_list(st, "<other@x>", 1, 0, &rl, &e),
	                 GR_OK);
	assert_int_equal(rl.n, 0);
	gr_state_rems_free(&rl);
	gr_state_close(st);
}

/* The feed's pages: every shown reminder once, in (due, uid) order,
 * whatever the page size, ties on due included; done ones before the
 * window left out. */
static void
test_rem_pages(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_rems all, page;
	gr_error e;
	size_t sizes[] = { 1, 7, 256, 1000 };

	assert_int_equal(gr_state_begin(st, &e), GR_OK);
	for (int i = 0; i < 500; i++) {
		gr_state_rem r;
		char uid[32], rel[64];

		memset(&r, 0, sizeof r);
		snprintf(uid, sizeof uid, "u%03d@gravity", (i * 37) % 500);
		snprintf(rel, sizeof rel, "reminders/%s.ics", uid);
		r.uid = uid;
		r.relpath = rel;
		r.due = 1000 + (i % 13) * 60;    /* many share a due time */
		r.done = i % 5 == 0;
		r.changed = i % 10 == 0 ? 10 : 100;
		assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	}
	assert_int_equal(gr_state_commit(st, &e), GR_OK);
	assert_int_equal(gr_state_rem_list(st, NULL, 0, 50, &all, &e), GR_OK);
	assert_int_equal(all.n, 450);           /* 50 done before the window */
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t seen = 0;

		memset(&page, 0, sizeof page);
		while (gr_state_rem_page(st, 50, sizes[k], &page, &e) == GR_OK &&
		       page.n) {
			assert_true(page.n <= sizes[k]);
			for (size_t i = 0; i < page.n; i++, seen++) {
				assert_true(seen < all.n);
				assert_string_equal(page.v[i].uid, all.v[seen].uid);
				assert_int_equal(page.v[i].due, all.v[seen].due);
			}
		}
		gr_state_rems_free(&page);
		assert_int_equal(seen, all.n);
	}
	gr_state_rems_free(&all);
	gr_state_close(st);
}

/* The retry rule: a message recorded "failed" is not seen until a second
 * poll failed on it too; gr_state_retry() gives it a new try; the failed
 * ones are listed (for "gravity redo"). */
static void
test_failed_retry(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_msgs l;
	gr_error e;

	assert_int_equal(gr_state_record_message(st, "s1", NULL, NULL, NULL, NULL,
	                 NULL, "failed", "parser worker died", 100, &e), GR_OK);
	assert_int_equal(gr_state_record_message(st, "s2", "<ok@x>", NULL, NULL, NULL,
	                 "other", "ok", NULL, 101, &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "s1", NULL), 0);     /* one more try */
	assert_int_equal(gr_state_seen(st, "s2", NULL), 1);
	assert_int_equal(gr_state_failed_list(st, &l, &e), GR_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].source_id, "s1");
	assert_string_equal(l.v[0].error, "parser worker died");
	assert_string_equal(l.v[0].status, "failed");
	assert_int_equal(l.v[0].tries, 1);
	assert_int_equal(l.v[0].at, 100);
	gr_state_msgs_free(&l);
	/* The second try failed too: now it is seen. */
	assert_int_equal(gr_state_record_message(st, "s1", NULL, NULL, NULL, NULL,
	                 NULL, "failed", "again", 200, &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "s1", NULL), 1);
	assert_int_equal(gr_state_failed_list(st, &l, &e), GR_OK);
	assert_int_equal(l.v[0].tries, GR_STATE_FAILED_TRIES);
	gr_state_msgs_free(&l);
	/* A retry asked for: tried again, and it worked. */
	assert_int_equal(gr_state_retry(st, "s1", &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "s1", NULL), 0);
	assert_int_equal(gr_state_retry(st, "s2", &e), GR_E_NOINPUT);
	assert_non_null(strstr(e.msg, "s2"));
	assert_int_equal(gr_state_retry(st, "nope", &e), GR_E_NOINPUT);
	assert_int_equal(gr_state_record_message(st, "s1", "<s1@x>", NULL, NULL, NULL,
	                 "inquiry", "ok", NULL, 300, &e), GR_OK);
	assert_int_equal(gr_state_seen(st, "s1", NULL), 1);
	assert_int_equal(gr_state_failed_list(st, &l, &e), GR_OK);
	assert_int_equal(l.n, 0);
	gr_state_msgs_free(&l);
	gr_state_close(st);
}

/* Schema 10's table and column, dropped to make a state file of before
 * it. */
#define DROP_V10 \
	"DROP TABLE secrets;" \
	"ALTER TABLE referrals DROP COLUMN offer_sent_mid;"

/* Schema 9's columns, dropped to make a state file of before it. */
#define DROP_V9 DROP_V10 \
	"ALTER TABLE threads DROP COLUMN lead_addr;" \
	"ALTER TABLE threads DROP COLUMN lead_name;" \
	"ALTER TABLE threads DROP COLUMN open_question;" \
	"ALTER TABLE threads DROP COLUMN lang;" \
	"ALTER TABLE threads DROP COLUMN formal;" \
	"ALTER TABLE threads DROP COLUMN later;" \
	"ALTER TABLE threads DROP COLUMN asked;" \
	"ALTER TABLE referrals DROP COLUMN ask_mid;" \
	"ALTER TABLE referrals DROP COLUMN offer_mid;" \
	"ALTER TABLE referrals DROP COLUMN intro_mid;" \
	"ALTER TABLE referrals DROP COLUMN sent_mid;" \
	"ALTER TABLE referrals DROP COLUMN asked_at;" \
	"ALTER TABLE referrals DROP COLUMN offered_at;" \
	"ALTER TABLE referrals DROP COLUMN partner_said;" \
	"ALTER TABLE referrals DROP COLUMN contact_said;" \
	"ALTER TABLE referrals DROP COLUMN introduced_at;" \
	"ALTER TABLE referrals DROP COLUMN sent_at;" \
	"ALTER TABLE referrals DROP COLUMN lang;" \
	"ALTER TABLE referrals DROP COLUMN area;" \
	"ALTER TABLE referrals DROP COLUMN urgent;"

/* A state of schema 5: a message that failed there gets its second try. */
static void
test_migrate_from_5(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_msgs l;
	sqlite3 *db;
	gr_error e;

	gr_state_close(st);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, DROP_V9 "DROP INDEX messages_failed;"
	    "DROP TABLE polls;"
	    "ALTER TABLE messages DROP COLUMN tries;"
	    "ALTER TABLE messages DROP COLUMN digest; PRAGMA user_version = 5;"
	    "INSERT INTO messages(source_id, status, error, at) VALUES "
	    "('old-failed', 'failed', 'parser worker died', 5), "
	    "('old-ok', 'ok', NULL, 6);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(fx->db);
	assert_int_equal(gr_state_seen(st, "old-failed", NULL), 0);
	assert_int_equal(gr_state_seen(st, "old-ok", NULL), 1);
	assert_int_equal(gr_state_failed_list(st, &l, &e), GR_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].tries, 1);
	gr_state_msgs_free(&l);
	gr_state_close(st);
}

/* Message-IDs are keys, not identities: the same Message-ID with another
 * digest is another message; rows from before digests count as the same
 * message (as they were judged then). */
static void
test_msgid_match(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_msgs l;
	gr_error e;

	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d1"), GR_MSGID_NEW);
	assert_int_equal(gr_state_msgid_match(st, NULL, "d1"), GR_MSGID_NEW);
	assert_int_equal(gr_state_record_message(st, "maildir:/m/1", "<a@x>",
	                 "d1", "ann@x", "Hi", "inquiry", "ok", NULL, 1, &e),
	                 GR_OK);
	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d1"), GR_MSGID_SAME);
	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d2"), GR_MSGID_OTHER);
	assert_int_equal(gr_state_msgid_match(st, "<b@x>", "d1"), GR_MSGID_NEW);
	/* the second message with that id: now both are known */
	assert_int_equal(gr_state_record_message(st, "maildir:/m/2", "<a@x>",
	                 "d2", "bob@y", "Hi", "inquiry", "ok", NULL, 2, &e),
	                 GR_OK);
	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d2"), GR_MSGID_SAME);
	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d1"), GR_MSGID_SAME);
	assert_int_equal(gr_state_msgid_match(st, "<a@x>", "d3"), GR_MSGID_OTHER);
	/* a failed message has no Message-ID recorded: it matches nothing */
	assert_int_equal(gr_state_record_message(st, "maildir:/m/3", NULL, NULL,
	                 NULL, NULL, NULL, "failed", "x", 3, &e), GR_OK);
	assert_int_equal(gr_state_failed_list(st, &l, &e), GR_OK);
	assert_int_equal(l.n, 1);
	assert_null(l.v[0].digest);
	gr_state_msgs_free(&l);
	gr_state_close(st);
}

/* A state of schema 6 (no digests): its messages keep their Message-ID
 * key, and count as the same message whatever the digest. */
static void
test_migrate_from_7(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	sqlite3 *db;
	gr_error e;

	gr_state_close(st);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, DROP_V9 "ALTER TABLE messages DROP "
	    "COLUMN digest; PRAGMA user_version = 7; INSERT INTO messages("
	    "source_id, message_id, status, at) VALUES ('old', '<old@x>', 'ok', "
	    "5); INSERT INTO referrals(kind, at, message_id, contact_addr, "
	    "partner_addr) VALUES ('given', 7, 'req@x', 'c@x', 'p@x');"
	    "INSERT INTO threads(thread, cls, owner_msgid, last_out) VALUES "
	    "('t@x', 'inquiry', 'o@x', 8);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(fx->db);
	assert_int_equal(gr_state_seen(st, "old", NULL), 1);
	assert_int_equal(gr_state_msgid_match(st, "<old@x>", "any"),
	                 GR_MSGID_SAME);
	assert_int_equal(gr_state_record_message(st, "new", "<new@x>", "d",
	                 NULL, NULL, "other", "ok", NULL, 6, &e), GR_OK);
	assert_int_equal(gr_state_msgid_match(st, "<new@x>", "e"),
	                 GR_MSGID_OTHER);
	/* Schema 9: a referral given before it was counted as made, and a
	 * thread the owner wrote last on keeps its one follow-up. */
	{
		gr_state_referrals rl;
		gr_state_threads tl;

		assert_int_equal(gr_state_referral_list(st, &rl, &e), GR_OK);
		assert_int_equal(rl.n, 1);
		assert_int_equal((long)rl.v[0].sent_at, 7);
		assert_null(rl.v[0].ask_mid);
		gr_state_referrals_free(&rl);
		assert_int_equal(gr_state_referral_open(st, &rl, &e), GR_OK);
		assert_int_equal(rl.n, 0);
		gr_state_referrals_free(&rl);
		assert_int_equal(gr_state_thread_list(st, "t@x", &tl, &e), GR_OK);
		assert_int_equal(tl.n, 1);
		assert_int_equal(tl.v[0].asked, 1);
		assert_null(tl.v[0].lead_addr);
		gr_state_threads_free(&tl);
	}
	gr_state_close(st);
}

/* The drafts' key: 32 bytes made once per state and kept, another in
 * another state; a state of schema 9 gets one when migrated, and its
 * referrals keep their progress (no sent offer recorded yet). */
static void
test_draft_key(void **state)
{
	struct fx *fx = *state;
	unsigned char k1[GR_STATE_DRAFT_KEY_LEN], k2[GR_STATE_DRAFT_KEY_LEN];
	unsigned char zero[GR_STATE_DRAFT_KEY_LEN] = { 0 };
	char other[PATH_MAX + 16];
	gr_state *st = open_ok(fx->db), *st2;
	gr_state_referrals rl;
	gr_state_referral r;
	sqlite3 *db;
	gr_error e;

	assert_null(gr_state_draft_key(NULL));
	memcpy(k1, gr_state_draft_key(st), sizeof k1);
	assert_memory_not_equal(k1, zero, sizeof k1);
	gr_state_close(st);
	st = open_ok(fx->db);
	assert_memory_equal(gr_state_draft_key(st), k1, sizeof k1);
	snprintf(other, sizeof other, "%s/other.db", fx->dir);
	st2 = open_ok(other);
	assert_memory_not_equal(gr_state_draft_key(st2), k1, sizeof k1);
	gr_state_close(st2);
	gr_state_close(st);

	/* from schema 9 */
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, DROP_V10 "PRAGMA user_version = 9;"
	    "INSERT INTO referrals(kind, at, message_id, contact_addr, "
	    "partner_addr, ask_mid, offer_mid, offered_at) VALUES ('given', 7, "
	    "'req@x', 'c@x', 'p@x', 'a@x', 'o@x', 8);", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(fx->db);
	memcpy(k2, gr_state_draft_key(st), sizeof k2);
	assert_memory_not_equal(k2, zero, sizeof k2);
	assert_memory_not_equal(k2, k1, sizeof k2);
	assert_int_equal(gr_state_referral_open(st, &rl, &e), GR_OK);
	assert_int_equal(rl.n, 1);
	assert_string_equal(rl.v[0].offer_mid, "o@x");
	assert_int_equal((long)rl.v[0].offered_at, 8);
	assert_null(rl.v[0].offer_sent_mid);
	r = rl.v[0];
	r.offer_sent_mid = "sent-offer@x";
	assert_int_equal(gr_state_referral_update(st, &r, &e), GR_OK);
	gr_state_referrals_free(&rl);
	gr_state_close(st);
	st = open_ok(fx->db);
	assert_memory_equal(gr_state_draft_key(st), k2, sizeof k2);
	assert_int_equal(gr_state_referral_open(st, &rl, &e), GR_OK);
	assert_int_equal(rl.n, 1);
	assert_string_equal(rl.v[0].offer_sent_mid, "sent-offer@x");
	gr_state_referrals_free(&rl);
	gr_state_close(st);
}

/* sqlite3_exec callback: stops at the first row (SQLITE_ABORT). */
static int
one_row(void *aux, int n, char **v, char **names)
{
	(void)aux; (void)n; (void)v; (void)names;
	return 1;
}

/* A state file of schema 3 (before the feed token) is brought up to date
 * on open, its reminders kept. */
static void
test_migrate_from_3(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_rem r;
	struct rem_seen rs;
	gr_state_rems page = { 0 };
	sqlite3 *db;
	char t1[64], t2[64];
	gr_error e;

	gr_state_close(st);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, DROP_V9 "DROP TRIGGER reminders_ins;"
	    "DROP TRIGGER reminders_upd; DROP TRIGGER reminders_del;"
	    "DROP INDEX reminders_done; DROP INDEX threads_waiting;"
	    "DROP INDEX reminders_due; DROP INDEX messages_failed;"
	    "ALTER TABLE messages DROP COLUMN tries;"
	    "ALTER TABLE messages DROP COLUMN digest;"
	    "DROP TABLE counters; DROP TABLE polls; PRAGMA user_version = 3;"
	    "INSERT INTO reminders(uid, relpath, due, stamp, changed) "
	    "VALUES ('old@gravity', 'reminders/old.ics', 5, 5, 5);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(fx->db);
	see_rems(st, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(gr_state_rem_page(st, 0, 10, &page, &e), GR_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.v[0].uid, "old@gravity");
	gr_state_rems_free(&page);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT 1 FROM sqlite_master WHERE "
	    "name = 'reminders_due'", one_row, NULL, NULL), SQLITE_ABORT);
	sqlite3_close(db);
	token_of(st, 0, t1);
	memset(&r, 0, sizeof r);
	r.uid = "new@gravity";
	r.relpath = "reminders/new.ics";
	assert_int_equal(gr_state_rem_put(st, &r, &e), GR_OK);
	token_of(st, 0, t2);
	assert_string_not_equal(t1, t2);
	gr_state_close(st);
}

/* Schema 7: the last poll of each account; the rows a redo and status
 * read (one message, messages since, a message's outputs, the drafts not
 * answered); a state of schema 6 gains the polls table on open. */
static void
test_polls_and_outputs(void **state)
{
	struct fx *fx = *state;
	gr_state *st = open_ok(fx->db);
	gr_state_poll p = { 0 };
	gr_state_polls pl;
	gr_state_msgs ml;
	gr_state_outs ol;
	sqlite3 *db;
	gr_error e;

	p.account = "work";
	p.at = 100;
	p.status = "ok";
	p.processed = 3;
	assert_int_equal(gr_state_poll_put(st, &p, &e), GR_OK);
	p.account = "home";
	p.status = "failed";
	p.error = "login refused";
	assert_int_equal(gr_state_poll_put(st, &p, &e), GR_OK);
	p.at = 200;     /* replaces home's row */
	assert_int_equal(gr_state_poll_put(st, &p, &e), GR_OK);
	p.status = "maybe";
	assert_int_equal(gr_state_poll_put(st, &p, &e), GR_E_INTERNAL);
	assert_int_equal(gr_state_poll_list(st, &pl, &e), GR_OK);
	assert_int_equal(pl.n, 2);
	assert_string_equal(pl.v[0].account, "home");
	assert_int_equal(pl.v[0].at, 200);
	assert_string_equal(pl.v[0].error, "login refused");
	assert_string_equal(pl.v[1].status, "ok");
	assert_int_equal(pl.v[1].processed, 3);
	assert_null(pl.v[1].error);
	gr_state_polls_free(&pl);

	assert_int_equal(gr_state_record_message(st, "s1", "m1@x", NULL, "a@x", "Hi",
	                 "inquiry", "ok", NULL, 10, &e), GR_OK);
	assert_int_equal(gr_state_record_message(st, "s2", "m2@x", NULL, "b@x", "Yo",
	                 "other", "ok", NULL, 20, &e), GR_OK);
	assert_int_equal(gr_state_msg_list(st, "s2", 0, &ml, &e), GR_OK);
	assert_int_equal(ml.n, 1);
	assert_string_equal(ml.v[0].cls, "other");
	gr_state_msgs_free(&ml);
	assert_int_equal(gr_state_msg_list(st, NULL, 15, &ml, &e), GR_OK);
	assert_int_equal(ml.n, 1);
	assert_string_equal(ml.v[0].source_id, "s2");
	gr_state_msgs_free(&ml);
	assert_int_equal(gr_state_msg_list(st, "none", 0, &ml, &e), GR_OK);
	assert_int_equal(ml.n, 0);
	gr_state_msgs_free(&ml);

	assert_int_equal(gr_state_record_output(st, "m1@x", "draft", "reply",
	                 "drafts/1.eml", NULL, 0, 0, "aa", &e), GR_OK);
	assert_int_equal(gr_state_record_output(st, "m1@x", "reminder", "reply",
	                 "reminders/1.ics", "u1", 0, 50, "bb", &e), GR_OK);
	assert_int_equal(gr_state_record_output(st, "m2@x", "draft", "reply",
	                 "drafts/2.eml", NULL, 0, 0, "cc", &e), GR_OK);
	assert_int_equal(gr_state_output_list(st, "m1@x", 0, &ol, &e), GR_OK);
	assert_int_equal(ol.n, 2);
	assert_string_equal(ol.v[0].relpath, "drafts/1.eml");
	assert_string_equal(ol.v[0].sender, "a@x");
	assert_string_equal(ol.v[1].uid, "u1");
	assert_int_equal(ol.v[1].due, 50);
	gr_state_outs_free(&ol);
	assert_int_equal(gr_state_replied_add(st, "m2@x", 30, &e), GR_OK);
	assert_int_equal(gr_state_output_list(st, NULL, 1, &ol, &e), GR_OK);
	assert_int_equal(ol.n, 1);      /* m2 is answered */
	assert_string_equal(ol.v[0].relpath, "drafts/1.eml");
	assert_string_equal(ol.v[0].subject, "Hi");
	gr_state_outs_free(&ol);
	assert_int_equal(gr_state_output_forget(st, "drafts/1.eml", &e), GR_OK);
	assert_int_equal(gr_state_output_list(st, NULL, 0, &ol, &e), GR_OK);
	assert_int_equal(ol.n, 2);
	gr_state_outs_free(&ol);
	gr_state_close(st);

	/* Back to schema 6: opening it again brings the table back, empty. */
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, DROP_V9 "DROP TABLE polls;"
	    "ALTER TABLE messages DROP COLUMN digest;"
	    "PRAGMA user_version = 6;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(fx->db);
	assert_int_equal(gr_state_poll_list(st, &pl, &e), GR_OK);
	assert_int_equal(pl.n, 0);
	gr_state_polls_free(&pl);
	gr_state_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_and_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caldav_push_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folders_and_contacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rem_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_polls_and_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgid_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draft_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
