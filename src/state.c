/* SPDX-License-Identifier: MIT */
/*
 * state.c - gravity's state in SQLite: WAL journal, synchronous=NORMAL, busy
 * timeout 5 s, BEGIN IMMEDIATE for every write, prepared statements cached
 * in the handle, schema versioned with PRAGMA user_version (and marked with
 * PRAGMA application_id).  One writer at a time: flock(LOCK_EX|LOCK_NB) on
 * "PATH.lock", held until gr_state_close().  Files are created mode 0600.
 *
 * Schema (migrations[] below brings any older file up to date, one version
 * at a time; every table keeps the columns it was created with):
 * Version 1:
 *   messages(id, source_id UNIQUE, message_id, sender, subject, class,
 *            status 'ok'|'failed', error, at)   at: unix time recorded;
 *            index on message_id
 *   outputs(id, message_id, kind, action, relpath UNIQUE, uid UNIQUE,
 *           sequence, due, sha256, at)   re-recording a relpath or uid
 *           replaces it; index on message_id
 *   folders(folder PRIMARY KEY, uidvalidity, last_uid, at)
 *   contacts(addr PRIMARY KEY COLLATE NOCASE, at)
 * Version 2 adds:
 *   reminders(uid PRIMARY KEY, message_id, thread, action, relpath,
 *             sequence, done, as_todo, duration, alarm, due, stamp,
 *             changed, tzid, summary, description, etag, href, peer)
 *             everything needed to render a reminder again (the feed,
 *             cancellations) and its CalDAV ETag and URL; index on thread
 *   thread_msgs(message_id PRIMARY KEY, thread, from_owner, at)
 *   threads(thread PRIMARY KEY, cls, subject, peer_name, peer_addr,
 *           owner_msgid, last_in, last_out, followups)
 *   replied(message_id PRIMARY KEY, at)   answered by the owner
 *   referrals(id, kind 'received'|'given', at, message_id UNIQUE,
 *             introducer_name, introducer_addr COLLATE NOCASE,
 *             contact_name, contact_addr, partner_name, partner_addr,
 *             service, subject, thanked, thanked_at)
 * Version 3 adds reminders.push_seq: the SEQUENCE last pushed to CalDAV
 *             (-1: never); push_seq < sequence means a push is pending
 * Version 4 adds counters(name PRIMARY KEY, value) with the row
 *             'reminders': a count of changes to what the feed shows, kept
 *             by triggers on reminders; indexes reminders(done, changed)
 *             and threads(followups) WHERE last_out > last_in
 * Version 5 adds the index reminders(due, uid): the feed read a page at a
 *             time in due order
 * Version 6 adds messages.tries: how many polls failed on the message (0
 *             for "ok"); one that failed once is tried again; a partial
 *             index on messages(at) WHERE status = 'failed'
 * Version 7 adds polls(account PRIMARY KEY, at, status, error, processed,
 *             failed): the last poll of each account
 * Version 8 adds messages.digest: SHA-256 over Message-ID, From, Date and
 *             the body's digest; two messages are one only when both their
 *             Message-ID and digest agree (rows from before have none)
 * Version 9 adds threads.lead_addr, lead_name (the person the conversation
 *             is with: the sender of an inquiry, the new contact of an
 *             introduction), open_question, lang, formal, later (the lead
 *             said there is no rush or named a later season) and asked
 *             (the owner's last message to the lead asked something or
 *             offered a next step; 1 for rows from before); and
 *             referrals.ask_mid, offer_mid, intro_mid (the drafts asking
 *             the partner, offering the requester an introduction, and
 *             the three-way introduction), sent_mid (the owner's sent
 *             mail that asked the partner), asked_at, offered_at,
 *             partner_said, contact_said (1 yes, -1 no, 0 not yet),
 *             introduced_at (the introduction drafted), sent_at (the
 *             introduction seen in the owner's sent mail: the referral is
 *             made), lang, area and urgent (what the introduction says
 *             of the need besides the service)
 * Version 10 adds secrets(name PRIMARY KEY, value BLOB) with the row
 *             'draft-ids': 32 random bytes (getrandom(2)) made once per
 *             state, the key of the drafts' Message-IDs (gr_state_draft_key);
 *             and referrals.offer_sent_mid (the owner's sent mail that
 *             offered the requester the introduction)
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gravity/state.h"
#include "gravity/util.h"

#define GR_STATE_APP_ID 0x67726176      /* "grav" */

/* The statements run for every message (all go through prep()). */
static const char
	/* A message recorded "failed" is seen once a second poll failed on
	 * it too (GR_STATE_FAILED_TRIES). */
	Q_SEEN[] = "SELECT 1 FROM messages WHERE source_id = ?1 AND "
	           "(status = 'ok' OR tries >= 2) UNION ALL "
	           "SELECT 1 FROM messages WHERE message_id = ?2 LIMIT 1",
	Q_REC_MSG[] = "INSERT INTO messages(source_id, message_id, digest, "
	              "sender, subject, class, status, error, at, tries) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7 = 'failed') "
	              "ON CONFLICT(source_id) DO UPDATE SET "
	              "message_id = excluded.message_id, digest = excluded.digest, "
	              "sender = excluded.sender, "
	              "subject = excluded.subject, class = excluded.class, "
	              "status = excluded.status, error = excluded.error, "
	              "at = excluded.at, tries = CASE excluded.status WHEN "
	              "'failed' THEN messages.tries + 1 ELSE 0 END",
	/* 1 when a message with Message-ID ?1 and digest ?2 (or one recorded
	 * before digests were kept) is recorded, 0 when only others with
	 * that Message-ID are, 2 when none is. */
	Q_MSGID[] = "SELECT coalesce(max(digest IS NULL OR digest = ?2), 2) "
	            "FROM messages WHERE message_id = ?1",
	Q_REC_OUT[] = "INSERT OR REPLACE INTO outputs(message_id, kind, action, "
	              "relpath, uid, sequence, due, sha256, at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	Q_SEQ[] = "SELECT sequence FROM outputs WHERE uid = ?1",
	Q_FOLDER_GET[] = "SELECT uidvalidity, last_uid FROM folders "
	                 "WHERE folder = ?1",
	Q_FOLDER_SET[] = "INSERT INTO folders(folder, uidvalidity, last_uid, at) "
	                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(folder) DO UPDATE "
	                 "SET uidvalidity = excluded.uidvalidity, "
	                 "last_uid = excluded.last_uid, at = excluded.at",
	Q_CONTACT_ADD[] = "INSERT OR IGNORE INTO contacts(addr, at) "
	                  "VALUES (?1, ?2)",
	Q_CONTACT_IS[] = "SELECT 1 FROM contacts WHERE addr = ?1",
	Q_COUNT_MSG[] = "SELECT count(*) FROM messages",
	Q_COUNT_OUT[] = "SELECT count(*) FROM outputs";

/* migrations[i] brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" source_id TEXT NOT NULL UNIQUE,"
	" message_id TEXT,"
	" sender TEXT, subject TEXT, class TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),"
	" error TEXT,"
	" at INTEGER NOT NULL);"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE TABLE outputs ("
	" id INTEGER PRIMARY KEY,"
	" message_id TEXT,"
	" kind TEXT NOT NULL, action TEXT,"
	" relpath TEXT NOT NULL UNIQUE,"
	" uid TEXT UNIQUE,"
	" sequence INTEGER NOT NULL DEFAULT 0,"
	" due INTEGER, sha256 TEXT,"
	" at INTEGER NOT NULL);"
	"CREATE INDEX outputs_message_id ON outputs(message_id);"
	"CREATE TABLE folders ("
	" folder TEXT PRIMARY KEY,"
	" uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL,"
	" at INTEGER NOT NULL);"
	"CREATE TABLE contacts ("
	" addr TEXT PRIMARY KEY COLLATE NOCASE,"
	" at INTEGER NOT NULL);",
	/* 1 -> 2: reminder lifecycle, threads, referral ledger. */
	"CREATE TABLE reminders ("
	" uid TEXT PRIMARY KEY, message_id TEXT, thread TEXT, action TEXT,"
	" relpath TEXT NOT NULL, sequence INTEGER NOT NULL DEFAULT 0,"
	" done INTEGER NOT NULL DEFAULT 0, as_todo INTEGER NOT NULL DEFAULT 0,"
	" duration INTEGER, alarm INTEGER, due INTEGER NOT NULL,"
	" stamp INTEGER NOT NULL, changed INTEGER NOT NULL,"
	" tzid TEXT, summary TEXT, description TEXT, etag TEXT, href TEXT,"
	" peer TEXT);"
	"CREATE INDEX reminders_thread ON reminders(thread);"
	"CREATE TABLE thread_msgs ("
	" message_id TEXT PRIMARY KEY, thread TEXT NOT NULL,"
	" from_owner INTEGER NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE threads ("
	" thread TEXT PRIMARY KEY, cls TEXT, subject TEXT,"
	" peer_name TEXT, peer_addr TEXT, owner_msgid TEXT,"
	" last_in INTEGER NOT NULL DEFAULT 0,"
	" last_out INTEGER NOT NULL DEFAULT 0,"
	" followups INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE replied ("
	" message_id TEXT PRIMARY KEY, at INTEGER NOT NULL);"
	"CREATE TABLE referrals ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('received', 'given')),"
	" at INTEGER NOT NULL, message_id TEXT UNIQUE,"
	" introducer_name TEXT, introducer_addr TEXT COLLATE NOCASE,"
	" contact_name TEXT, contact_addr TEXT,"
	" partner_name TEXT, partner_addr TEXT,"
	" service TEXT, subject TEXT,"
	" thanked INTEGER NOT NULL DEFAULT 0, thanked_at INTEGER);",
	/* 2 -> 3: the SEQUENCE last pushed to CalDAV (-1: never). */
	"ALTER TABLE reminders ADD COLUMN push_seq INTEGER NOT NULL DEFAULT -1;",
	/* 3 -> 4: what a poll that finds nothing new needs, in constant
	 * time: a count of changes to the reminders that the feed shows
	 * (kept by triggers, so no writer can forget it), an index for the
	 * done reminders still in the feed's window, and one for the threads
	 * that wait on the other side (the follow-up candidates). */
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO counters VALUES ('reminders', 0);"
	"CREATE TRIGGER reminders_ins AFTER INSERT ON reminders BEGIN"
	" UPDATE counters SET value = value + 1 WHERE name = 'reminders'; END;"
	"CREATE TRIGGER reminders_del AFTER DELETE ON reminders BEGIN"
	" UPDATE counters SET value = value + 1 WHERE name = 'reminders'; END;"
	"CREATE TRIGGER reminders_upd AFTER UPDATE OF uid, message_id, thread,"
	" action, relpath, sequence, done, as_todo, duration, alarm, due, stamp,"
	" changed, tzid, summary, description, peer ON reminders BEGIN"
	" UPDATE counters SET value = value + 1 WHERE name = 'reminders'; END;"
	"CREATE INDEX reminders_done ON reminders(done, changed);"
	"CREATE INDEX threads_waiting ON threads(followups) "
	" WHERE last_out > last_in;",
	/* 4 -> 5: the feed is read a page at a time, each page starting
	 * after the last (due, uid) of the one before. */
	"CREATE INDEX reminders_due ON reminders(due, uid);",
	/* 5 -> 6: how many polls failed on a message; a message that failed
	 * before is given its second try. */
	"ALTER TABLE messages ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;"
	"UPDATE messages SET tries = 1 WHERE status = 'failed';"
	"CREATE INDEX messages_failed ON messages(at) WHERE status = 'failed';",
	/* 6 -> 7: the last poll of each account, and when. */
	"CREATE TABLE polls ("
	" account TEXT PRIMARY KEY, at INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),"
	" error TEXT, processed INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0);",
	/* 7 -> 8: a message is a duplicate of another only when both have
	 * the same Message-ID, From, Date and body: their digest. */
	"ALTER TABLE messages ADD COLUMN digest TEXT;",
	/* 8 -> 9: follow-ups with judgment; a referral drafted is not a
	 * referral made, and a double opt-in is followed to its end. */
	"ALTER TABLE threads ADD COLUMN lead_addr TEXT;"
	"ALTER TABLE threads ADD COLUMN lead_name TEXT;"
	"ALTER TABLE threads ADD COLUMN open_question TEXT;"
	"ALTER TABLE threads ADD COLUMN lang TEXT;"
	"ALTER TABLE threads ADD COLUMN formal INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE threads ADD COLUMN later INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE threads ADD COLUMN asked INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE referrals ADD COLUMN ask_mid TEXT;"
	"ALTER TABLE referrals ADD COLUMN offer_mid TEXT;"
	"ALTER TABLE referrals ADD COLUMN intro_mid TEXT;"
	"ALTER TABLE referrals ADD COLUMN sent_mid TEXT;"
	"ALTER TABLE referrals ADD COLUMN asked_at INTEGER;"
	"ALTER TABLE referrals ADD COLUMN offered_at INTEGER;"
	"ALTER TABLE referrals ADD COLUMN partner_said INTEGER NOT NULL "
	" DEFAULT 0;"
	"ALTER TABLE referrals ADD COLUMN contact_said INTEGER NOT NULL "
	" DEFAULT 0;"
	"ALTER TABLE referrals ADD COLUMN introduced_at INTEGER;"
	"ALTER TABLE referrals ADD COLUMN sent_at INTEGER;"
	"ALTER TABLE referrals ADD COLUMN lang TEXT;"
	"ALTER TABLE referrals ADD COLUMN area TEXT;"
	"ALTER TABLE referrals ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
	/* Rows from before: a referral given was counted as made. */
	"UPDATE referrals SET sent_at = at WHERE kind = 'given';",
	/* 9 -> 10: the key that makes the drafts' Message-IDs unguessable
	 * (its row is written by draft_key_make: SQL has no getrandom), and
	 * the sent offer a requester's answer must refer to. */
	"CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"ALTER TABLE referrals ADD COLUMN offer_sent_mid TEXT;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

#define STATE_KEPT 48

struct gr_state {
	sqlite3 *db;
	char *path;             /* owned */
	int lock_fd;
	/* Statements kept after their first use (prep()): preparing them
	 * again for every message was an eighth of a poll. */
	struct kept {
		sqlite3_stmt *s;        /* owned */
		int out;                /* handed out, not yet given back */
	} kept[STATE_KEPT];
	size_t nkept;
	unsigned char draft_key[GR_STATE_DRAFT_KEY_LEN];   /* secrets 'draft-ids' */
};

static gr_status
db_error(gr_state *st, gr_error *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);

	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		return gr_error_set(err, GR_E_STATE, "%s: not a gravity state "
		                    "database or corrupt (%s: %s)", st->path, what,
		                    sqlite3_errmsg(st->db));
	return gr_error_set(err, GR_E_STATE, "%s: %s: %s", st->path, what,
	                    sqlite3_errmsg(st->db));
}

static gr_status
exec(gr_state *st, const char *sql, gr_error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(st, err, sql);
	return GR_OK;
}

/* Bind s as text, NULL for NULL or "". */
static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Step a write statement; wraps it in BEGIN IMMEDIATE ... COMMIT unless the
 * caller has a transaction open. */
static gr_status
step_write(gr_state *st, sqlite3_stmt *s, const char *what, gr_error *err)
{
	int own = sqlite3_get_autocommit(st->db);
	gr_status rc;

	if (own && (rc = exec(st, "BEGIN IMMEDIATE", err)) != GR_OK)
		return rc;
	rc = sqlite3_step(s) == SQLITE_DONE ? GR_OK : db_error(st, err, what);
	sqlite3_reset(s);
	if (own && rc == GR_OK)
		rc = exec(st, "COMMIT", err);
	if (own && rc != GR_OK && !sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * A statement for sql, given back with unprep() on every path.  The kept
 * one when it is not handed out already; one that is (rows are read whole
 * before any caller sees them, so only a future nested use could) gives a
 * statement of its own, finalized by unprep().
 */
static sqlite3_stmt *
prep(gr_state *st, const char *sql, gr_error *err)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int busy = 0;

	for (i = 0; i < st->nkept; i++) {
		if (strcmp(sqlite3_sql(st->kept[i].s), sql) != 0)
			continue;
		if (st->kept[i].out) {
			busy = 1;
			break;
		}
		st->kept[i].out = 1;
		return st->kept[i].s;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, busy ? 0 :
	                       SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		db_error(st, err, "prepare");
		return NULL;
	}
	if (!busy && st->nkept < STATE_KEPT) {
		st->kept[st->nkept].s = s;
		st->kept[st->nkept++].out = 1;
	}
	return s;
}

/* Give back a statement from prep(): reset if kept, else finalized. */
static void
unprep(gr_state *st, sqlite3_stmt *s)
{
	for (size_t i = 0; i < st->nkept; i++)
		if (st->kept[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			st->kept[i].out = 0;
			return;
		}
	sqlite3_finalize(s);
}

/* Step and give back a write statement. */
static gr_status
run_write(gr_state *st, sqlite3_stmt *s, const char *what, gr_error *err)
{
	gr_status rc = step_write(st, s, what, err);

	unprep(st, s);
	return rc;
}

/* Run a one-integer query; -1 when it gives no row, -2 on error. */
static long long
query_int(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	long long v = -1;

	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		v = -2;
	sqlite3_reset(s);
	return v;
}

/* --- statements with their parameters ---------------------------------- */

#define I64(x)  ((sqlite3_int64)(x))

/* Bind ?1, ?2, ... from ap, one letter of fmt each: 't' a const char *
 * (NULL and "" bind NULL), 'i' an int, 'l' a sqlite3_int64 (see I64). */
static void
vbind(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	for (int i = 1; *fmt; fmt++, i++)
		switch (*fmt) {
		case 't': bind_text(s, i, va_arg(ap, const char *)); break;
		case 'i': sqlite3_bind_int(s, i, va_arg(ap, int)); break;
		default: sqlite3_bind_int64(s, i, va_arg(ap, sqlite3_int64));
		}
}

/* prep(sql) with its parameters bound from the arguments (see vbind);
 * given back with unprep(). */
static sqlite3_stmt *
prepb(gr_state *st, gr_error *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql, err);
	va_list ap;

	if (s) {
		va_start(ap, fmt);
		vbind(s, fmt, ap);
		va_end(ap);
	}
	return s;
}

/* Run the write sql with its parameters (see vbind); what names it in an
 * error. */
static gr_status
write_sql(gr_state *st, const char *what, gr_error *err, const char *sql,
          const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql, err);
	va_list ap;

	if (!s)
		return GR_E_STATE;
	va_start(ap, fmt);
	vbind(s, fmt, ap);
	va_end(ap);
	return run_write(st, s, what, err);
}

/* Run the one-integer query sql with its parameters (see vbind): its
 * value, -1 when it gives no row, -2 on error. */
static long long
query_sql(gr_state *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = prep(st, sql, NULL);
	long long v;
	va_list ap;

	if (!s)
		return -2;
	va_start(ap, fmt);
	vbind(s, fmt, ap);
	va_end(ap);
	v = query_int(s);
	unprep(st, s);
	return v;
}

/* --- rows the caller owns ------------------------------------------------ */

/* The strings of a list of rows, in blocks freed together. */
struct gr_state_mem {
	struct gr_state_mem *next;
	size_t used, cap;
	char data[];
};

#define MEM_BLOCK 16384

static void
mem_free(gr_state_mem *m)
{
	while (m) {
		gr_state_mem *next = m->next;

		free(m);
		m = next;
	}
}

/* A copy of s[0..len) in *m; NULL when out of memory.  A string longer
 * than a block gets a block of its own behind the current one. */
static const char *
mem_dup(gr_state_mem **m, const char *s, size_t len)
{
	gr_state_mem *b = *m;
	char *p;

	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > MEM_BLOCK ? len + 1 : MEM_BLOCK;

		if (!(b = malloc(sizeof *b + cap)))
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (*m && cap > MEM_BLOCK) {
			b->next = (*m)->next;
			(*m)->next = b;
		} else {
			b->next = *m;
			*m = b;
		}
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

/* How a row struct's field is read from its column and bound. */
enum {
	F_TEXT,         /* const char *: NULL and "" bind NULL */
	F_INT,          /* int */
	F_BOOL,         /* int, bound as 0 or 1 */
	F_TIME,         /* time_t */
	F_TIME0,        /* time_t, 0 bound as NULL */
	F_LONG,         /* long */
};
typedef struct field {
	size_t off;
	int type;
} field;
#define FIELD(type, member, t)  { offsetof(type, member), t }

/* Bind ?first, ?first+1, ... from the fields f[0..nf) of row. */
static void
bind_fields(sqlite3_stmt *s, int first, const void *row, const field *f,
            size_t nf)
{
	const char *r = row;

	for (size_t i = 0; i < nf; i++) {
		const void *p = r + f[i].off;
		int k = first + (int)i;

		switch (f[i].type) {
		case F_TEXT: bind_text(s, k, *(const char *const *)p); break;
		case F_INT: sqlite3_bind_int(s, k, *(const int *)p); break;
		case F_BOOL: sqlite3_bind_int(s, k, *(const int *)p != 0); break;
		case F_LONG: sqlite3_bind_int64(s, k, *(const long *)p); break;
		case F_TIME0:
			if (*(const time_t *)p == 0) {
				sqlite3_bind_null(s, k);
				break;
			}
			/* FALLTHROUGH */
		default: sqlite3_bind_int64(s, k, I64(*(const time_t *)p));
		}
	}
}

/* Columns 0..nf) of the current row of s into the fields of row; strings
 * copied into *m.  -1 when out of memory. */
static int
read_fields(sqlite3_stmt *s, void *row, const field *f, size_t nf,
            gr_state_mem **m)
{
	char *r = row;

	for (size_t i = 0; i < nf; i++) {
		void *p = r + f[i].off;
		int k = (int)i;

		switch (f[i].type) {
		case F_TEXT: {
			const char *t = (const char *)sqlite3_column_text(s, k);

			*(const char **)p = NULL;
			if (t && !(*(const char **)p = mem_dup(m, t,
			    (size_t)sqlite3_column_bytes(s, k))))
				return -1;
			break;
		}
		case F_INT:
		case F_BOOL: *(int *)p = sqlite3_column_int(s, k); break;
		case F_LONG: *(long *)p = (long)sqlite3_column_int64(s, k); break;
		default: *(time_t *)p = (time_t)sqlite3_column_int64(s, k);
		}
	}
	return 0;
}

static void
list_free(void *v, gr_state_mem *mem)
{
	free(v);
	mem_free(mem);
}

/* *v, *n, *mem := every row of s (given back here) read into structs of
 * size sz through f[0..nf); at most GR_STATE_MAX_ROWS of them.  what
 * names the rows in an error; nothing is kept on one.  s NULL (its
 * preparation failed and said so in err) gives no rows and GR_E_STATE. */
static gr_status
read_rows(gr_state *st, sqlite3_stmt *s, const field *f, size_t nf,
          size_t sz, void **v, size_t *n, gr_state_mem **mem,
          const char *what, gr_error *err)
{
	size_t cap = 0;
	gr_status ret = GR_OK;
	int rc;

	*v = NULL;
	*n = 0;
	*mem = NULL;
	if (!s)
		return GR_E_STATE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *nv;

			if (*n >= GR_STATE_MAX_ROWS) {
				ret = gr_error_set(err, GR_E_LIMIT, "%s: more than "
				                   "%d %s", st->path,
				                   GR_STATE_MAX_ROWS, what);
				break;
			}
			if (!(nv = realloc(*v, ncap * sz))) {
				ret = gr_error_set(err, GR_E_NOMEM, "%s: reading %s: "
				                   "out of memory", st->path, what);
				break;
			}
			*v = nv;
			cap = ncap;
		}
		if (read_fields(s, (char *)*v + *n * sz, f, nf, mem) != 0) {
			ret = gr_error_set(err, GR_E_NOMEM, "%s: reading %s: out "
			                   "of memory", st->path, what);
			break;
		}
		(*n)++;
	}
	if (ret == GR_OK && rc != SQLITE_DONE)
		ret = db_error(st, err, what);
	unprep(st, s);
	if (ret != GR_OK) {
		list_free(*v, *mem);
		*v = NULL;
		*n = 0;
		*mem = NULL;
	}
	return ret;
}

/* name(st, s, out, err): out (a list of rows, with v, n and mem) := the
 * rows of s read through fields (read_rows); what names them in errors. */
#define ROWS_READER(name, list_t, fields, what)                              \
	static gr_status                                                    \
	name(gr_state *st, sqlite3_stmt *s, list_t *out, gr_error *err)     \
	{                                                                   \
		void *v;                                                    \
		gr_status rc = read_rows(st, s, fields, sizeof fields /     \
		                         sizeof fields[0], sizeof *out->v,  \
		                         &v, &out->n, &out->mem, what, err); \
                                                                            \
		out->v = v;                                                 \
		return rc;                                                  \
	}

static long long
pragma_int(gr_state *st, const char *sql)
{
	sqlite3_stmt *s;
	long long v;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	v = query_int(s);
	sqlite3_finalize(s);
	return v;
}

/* --- opening ----------------------------------------------------------- */

static gr_status
take_lock(gr_state *st, gr_error *err)
{
	char lock[4096];
	int n = snprintf(lock, sizeof lock, "%s.lock", st->path);

	if (n < 0 || (size_t)n >= sizeof lock)
		return gr_error_set(err, GR_E_STATE, "%s: path too long", st->path);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (st->lock_fd < 0)
		return gr_error_set(err, GR_E_STATE, "%s: cannot create lock "
		                    "file %s: %s", st->path, lock,
		                    strerror(errno));
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return gr_error_set(err, GR_E_LOCKED, "another gravity "
			                    "poll is running (lock on %s held)",
			                    lock);
		return gr_error_set(err, GR_E_STATE, "%s: flock: %s", lock,
		                    strerror(errno));
	}
	return GR_OK;
}

/* Create the file ourselves so it is 0600 from the start (SQLite gives
 * the -wal and -shm files the database file's mode). */
static gr_status
create_file(gr_state *st, gr_error *err)
{
	int fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return gr_error_set(err, GR_E_STATE, "%s: cannot open or create: %s",
		                    st->path, strerror(errno));
	(void)fchmod(fd, 0600);
	close(fd);
	return GR_OK;
}

static void
chmod_side_files(gr_state *st)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char p[4096];

	for (size_t i = 0; i < 2; i++) {
		int n = snprintf(p, sizeof p, "%s%s", st->path, sfx[i]);

		if (n > 0 && (size_t)n < sizeof p)
			(void)chmod(p, 0600);
	}
}

/* The state's 'draft-ids' key into st->draft_key, made (32 bytes from
 * getrandom) when the state has none: in migrate()'s transaction, so two
 * processes opening a new state never make two. */
static gr_status
draft_key_load(gr_state *st, gr_error *err)
{
	static const char q[] = "SELECT value FROM secrets WHERE name = "
	                        "'draft-ids'";
	unsigned char key[GR_STATE_DRAFT_KEY_LEN];
	sqlite3_stmt *s;
	int rc, found = 0;

	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "reading the draft key");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) ==
	    GR_STATE_DRAFT_KEY_LEN) {
		memcpy(st->draft_key, sqlite3_column_blob(s, 0),
		       GR_STATE_DRAFT_KEY_LEN);
		found = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading the draft key");
	if (found)
		return GR_OK;
	if (gr_random_bytes(key, sizeof key) != 0)
		return gr_error_set(err, GR_E_STATE, "%s: getrandom: %s",
		                    st->path, strerror(errno));
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO secrets(name, "
	                       "value) VALUES ('draft-ids', ?1)", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_error(st, err, "writing the draft key");
	sqlite3_bind_blob(s, 1, key, sizeof key, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		explicit_bzero(key, sizeof key);
		return db_error(st, err, "writing the draft key");
	}
	memcpy(st->draft_key, key, sizeof key);
	explicit_bzero(key, sizeof key);
	return GR_OK;
}

static gr_status
migrate(gr_state *st, gr_error *err)
{
	long long ver, app, tables;
	char sql[64];
	gr_status rc = exec(st, "BEGIN IMMEDIATE", err);

	if (rc != GR_OK)
		return rc;
	ver = pragma_int(st, "PRAGMA user_version");
	app = pragma_int(st, "PRAGMA application_id");
	tables = pragma_int(st, "SELECT count(*) FROM sqlite_master");
	if (ver < 0 || app < 0 || tables < 0)
		rc = db_error(st, err, "reading the schema version");
	else if ((app != 0 && app != GR_STATE_APP_ID) || (ver == 0 && tables))
		rc = gr_error_set(err, GR_E_STATE, "%s: an SQLite database but "
		                  "not a gravity state file", st->path);
	else if (ver > SCHEMA_VERSION)
		rc = gr_error_set(err, GR_E_STATE, "%s: schema version %lld is "
		                  "newer than this gravity's (%d)", st->path, ver,
		                  SCHEMA_VERSION);
	for (; rc == GR_OK && ver < SCHEMA_VERSION; ver++)
		rc = exec(st, migrations[ver], err);
	if (rc == GR_OK)
		rc = draft_key_load(st, err);
	if (rc == GR_OK) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		         SCHEMA_VERSION);
		rc = exec(st, sql, err);
	}
	if (rc == GR_OK) {
		snprintf(sql, sizeof sql, "PRAGMA application_id = %d",
		         GR_STATE_APP_ID);
		rc = exec(st, sql, err);
	}
	if (rc == GR_OK)
		return exec(st, "COMMIT", err);
	(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static gr_status
open_db(gr_state *st, gr_error *err)
{
	gr_status rc;

	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE,
	                    NULL) != SQLITE_OK)
		return st->db ? db_error(st, err, "open") :
		       gr_error_set(err, GR_E_NOMEM, "%s: out of memory", st->path);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	(void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	rc = exec(st, "PRAGMA journal_mode = WAL", err);
	if (rc == GR_OK)
		/* NORMAL in WAL: a commit does not fsync; a power loss may undo
		 * the last commits, never half of one.  Safe because every output
		 * is written (and fsync'd) under a deterministic name before its
		 * commit, so an undone message is simply processed again and the
		 * same files are rewritten; it saves one
		 * fsync per message (make bench). */
		rc = exec(st, "PRAGMA synchronous = NORMAL", err);
	if (rc == GR_OK)
		rc = migrate(st, err);
	chmod_side_files(st);
	return rc;
}

gr_status
gr_state_open(const char *path, gr_state **out, gr_error *err)
{
	gr_state *st;
	gr_status rc;

	*out = NULL;
	if (!path || !*path)
		return gr_error_set(err, GR_E_USAGE, "no state file given");
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return gr_error_set(err, GR_E_NOMEM, "%s: out of memory", path);
	}
	st->lock_fd = -1;
	rc = take_lock(st, err);
	if (rc == GR_OK)
		rc = create_file(st, err);
	if (rc == GR_OK)
		rc = open_db(st, err);
	if (rc != GR_OK) {
		gr_state_close(st);
		return rc;
	}
	*out = st;
	return GR_OK;
}

const unsigned char *
gr_state_draft_key(const gr_state *st)
{
	return st ? st->draft_key : NULL;
}

void
gr_state_close(gr_state *st)
{
	if (!st)
		return;
	explicit_bzero(st->draft_key, sizeof st->draft_key);
	for (size_t i = 0; i < st->nkept; i++)
		sqlite3_finalize(st->kept[i].s);
	if (st->db) {
		if (!sqlite3_get_autocommit(st->db))
			(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd);     /* releases the flock */
	free(st->path);
	free(st);
}

gr_status
gr_state_check(gr_state *st, gr_error *err)
{
	sqlite3_stmt *s;
	gr_status rc = GR_OK;
	int r;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	                       NULL) != SQLITE_OK)
		return db_error(st, err, "integrity_check");
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		rc = db_error(st, err, "integrity_check");
	else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
		rc = gr_error_set(err, GR_E_STATE, "%s: integrity check failed: "
		                  "%s", st->path,
		                  (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc;
}

/* --- transactions ------------------------------------------------------ */

gr_status
gr_state_begin(gr_state *st, gr_error *err)
{
	return exec(st, "BEGIN IMMEDIATE", err);
}

gr_status
gr_state_commit(gr_state *st, gr_error *err)
{
	return exec(st, "COMMIT", err);
}

void
gr_state_rollback(gr_state *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* --- messages and outputs ---------------------------------------------- */

int
gr_state_seen(gr_state *st, const char *source_id, const char *message_id)
{
	long long v = query_sql(st, Q_SEEN, "tt", source_id, message_id);

	if (v == -2)
		return -GR_E_STATE;
	return v == 1;
}

gr_status
gr_state_record_message(gr_state *st, const char *source_id,
                        const char *message_id, const char *digest,
                        const char *from, const char *subject,
                        const char *cls, const char *status,
                        const char *error, time_t when, gr_error *err)
{
	if (!source_id || !*source_id)
		return gr_error_set(err, GR_E_INTERNAL, "%s: recording a message "
		                    "without a source_id", st->path);
	if (!status || (strcmp(status, "ok") != 0 &&
	                strcmp(status, "failed") != 0))
		return gr_error_set(err, GR_E_INTERNAL, "%s: message status must "
		                    "be \"ok\" or \"failed\"", st->path);
	return write_sql(st, "recording a message", err, Q_REC_MSG, "ttttttttl",
	                 source_id, message_id, digest, from, subject, cls,
	                 status, error, I64(when));
}

int
gr_state_msgid_match(gr_state *st, const char *message_id,
                     const char *digest)
{
	long long v;

	if (!message_id || !*message_id)
		return GR_MSGID_NEW;
	v = query_sql(st, Q_MSGID, "tt", message_id, digest ? digest : "");
	if (v < 0)
		return -GR_E_STATE;
	return v == 1 ? GR_MSGID_SAME : v == 0 ? GR_MSGID_OTHER : GR_MSGID_NEW;
}

int
gr_state_msgid_first(gr_state *st, const char *message_id,
                     const char *source_id)
{
	long long v = query_sql(st, "SELECT source_id = ?2 FROM messages "
	                        "WHERE message_id = ?1 AND status = 'ok' AND "
	                        "class IS NOT 'duplicate' ORDER BY id LIMIT 1",
	                        "tt", message_id, source_id);

	if (v == -2)
		return -GR_E_STATE;
	return v != 0;
}

gr_status
gr_state_record_output(gr_state *st, const char *message_id,
                       const char *kind, const char *action,
                       const char *relpath, const char *uid, int sequence,
                       time_t due, const char *sha256, gr_error *err)
{
	sqlite3_stmt *s;

	if (!kind || !*kind || !relpath || !*relpath)
		return gr_error_set(err, GR_E_INTERNAL, "%s: an output needs a "
		                    "kind and a relpath", st->path);
	if (!(s = prepb(st, err, Q_REC_OUT, "tttttil", message_id, kind, action,
	                relpath, uid, sequence, I64(due))))
		return GR_E_STATE;
	if (!due)
		sqlite3_bind_null(s, 7);
	bind_text(s, 8, sha256);
	sqlite3_bind_int64(s, 9, I64(time(NULL)));
	return run_write(st, s, "recording an output", err);
}

int
gr_state_sequence_of(gr_state *st, const char *uid)
{
	long long v;

	if (!uid || !*uid)
		return -1;
	v = query_sql(st, Q_SEQ, "t", uid);
	return v < 0 ? -1 : (int)v;
}

/* In the order of MSG_COLS. */
static const field msg_fields[] = {
	FIELD(gr_state_msg, source_id, F_TEXT),
	FIELD(gr_state_msg, message_id, F_TEXT),
	FIELD(gr_state_msg, sender, F_TEXT),
	FIELD(gr_state_msg, subject, F_TEXT),
	FIELD(gr_state_msg, cls, F_TEXT),
	FIELD(gr_state_msg, status, F_TEXT),
	FIELD(gr_state_msg, error, F_TEXT),
	FIELD(gr_state_msg, at, F_TIME),
	FIELD(gr_state_msg, tries, F_INT),
	FIELD(gr_state_msg, digest, F_TEXT),
};
#define MSG_COLS "source_id, message_id, sender, subject, class, status, " \
	"error, at, tries, digest"
ROWS_READER(msg_rows, gr_state_msgs, msg_fields, "messages")

void
gr_state_msgs_free(gr_state_msgs *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_failed_list(gr_state *st, gr_state_msgs *out, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT " MSG_COLS " FROM messages INDEXED "
	                       "BY messages_failed WHERE status = 'failed' "
	                       "ORDER BY at DESC, source_id", err);

	return msg_rows(st, s, out, err);
}

gr_status
gr_state_retry(gr_state *st, const char *source_id, gr_error *err)
{
	gr_status rc = write_sql(st, "marking a message for a retry", err,
	                         "UPDATE messages SET tries = 0 WHERE "
	                         "source_id = ?1 AND status = 'failed'", "t",
	                         source_id);

	if (rc == GR_OK && sqlite3_changes(st->db) == 0)
		return gr_error_set(err, GR_E_NOINPUT, "%s: no failed message "
		                    "%s", st->path, source_id ? source_id : "");
	return rc;
}

gr_status
gr_state_msg_list(gr_state *st, const char *source_id, time_t since,
                  gr_state_msgs *out, gr_error *err)
{
	sqlite3_stmt *s = source_id ?
	    prepb(st, err, "SELECT " MSG_COLS " FROM messages WHERE "
	          "source_id = ?1", "t", source_id) :
	    prepb(st, err, "SELECT " MSG_COLS " FROM messages WHERE at >= ?1 "
	          "ORDER BY at, id", "l", I64(since));

	return msg_rows(st, s, out, err);
}

/* In the order of OUT_COLS. */
static const field out_fields[] = {
	FIELD(gr_state_out, message_id, F_TEXT),
	FIELD(gr_state_out, kind, F_TEXT),
	FIELD(gr_state_out, action, F_TEXT),
	FIELD(gr_state_out, relpath, F_TEXT),
	FIELD(gr_state_out, uid, F_TEXT),
	FIELD(gr_state_out, sequence, F_INT),
	FIELD(gr_state_out, due, F_TIME),
	FIELD(gr_state_out, sha256, F_TEXT),
	FIELD(gr_state_out, at, F_TIME),
	FIELD(gr_state_out, sender, F_TEXT),
	FIELD(gr_state_out, subject, F_TEXT),
};
#define OUT_COLS "o.message_id, o.kind, o.action, o.relpath, o.uid, " \
	"o.sequence, o.due, o.sha256, o.at, " \
	"(SELECT sender FROM messages m WHERE m.message_id = o.message_id " \
	" ORDER BY m.id LIMIT 1), " \
	"(SELECT subject FROM messages m WHERE m.message_id = o.message_id " \
	" ORDER BY m.id LIMIT 1)"
ROWS_READER(out_rows, gr_state_outs, out_fields, "outputs")

void
gr_state_outs_free(gr_state_outs *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_output_list(gr_state *st, const char *message_id, int open_drafts,
                     gr_state_outs *out, gr_error *err)
{
	sqlite3_stmt *s = message_id ?
	    prepb(st, err, "SELECT " OUT_COLS " FROM outputs o WHERE "
	          "o.message_id = ?1 ORDER BY o.relpath", "t", message_id) :
	    prepb(st, err, "SELECT " OUT_COLS " FROM outputs o WHERE "
	          "?1 = 0 OR (o.kind = 'draft' AND (o.message_id IS NULL OR "
	          "o.message_id NOT IN (SELECT message_id FROM replied))) "
	          "ORDER BY o.at, o.relpath", "i", open_drafts != 0);

	return out_rows(st, s, out, err);
}

gr_status
gr_state_output_forget(gr_state *st, const char *relpath, gr_error *err)
{
	return write_sql(st, "forgetting an output", err,
	                 "DELETE FROM outputs WHERE relpath = ?1", "t", relpath);
}

/* --- polls (schema 7) ---------------------------------------------------- */

/* In the order of POLL_COLS. */
static const field poll_fields[] = {
	FIELD(gr_state_poll, account, F_TEXT),
	FIELD(gr_state_poll, at, F_TIME),
	FIELD(gr_state_poll, status, F_TEXT),
	FIELD(gr_state_poll, error, F_TEXT),
	FIELD(gr_state_poll, processed, F_LONG),
	FIELD(gr_state_poll, failed, F_LONG),
};
#define POLL_COLS "account, at, status, error, processed, failed"
ROWS_READER(poll_rows, gr_state_polls, poll_fields, "polls")
#define NPOLL (sizeof poll_fields / sizeof poll_fields[0])

void
gr_state_polls_free(gr_state_polls *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_poll_put(gr_state *st, const gr_state_poll *p, gr_error *err)
{
	sqlite3_stmt *s;

	if (!p->account || !*p->account || !p->status ||
	    (strcmp(p->status, "ok") != 0 && strcmp(p->status, "failed") != 0))
		return gr_error_set(err, GR_E_INTERNAL, "%s: a poll needs an "
		                    "account and the status \"ok\" or \"failed\"",
		                    st->path);
	s = prep(st, "INSERT OR REPLACE INTO polls(" POLL_COLS ") VALUES "
	         "(?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!s)
		return GR_E_STATE;
	bind_fields(s, 1, p, poll_fields, NPOLL);
	return run_write(st, s, "recording a poll", err);
}

gr_status
gr_state_poll_list(gr_state *st, gr_state_polls *out, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT " POLL_COLS " FROM polls "
	                       "ORDER BY account", err);

	return poll_rows(st, s, out, err);
}

/* --- folders and contacts ---------------------------------------------- */

gr_status
gr_state_folder_get(gr_state *st, const char *folder, uint32_t *uidvalidity,
                    uint32_t *last_uid, gr_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*uidvalidity = 0;
	*last_uid = 0;
	if (!(s = prepb(st, err, Q_FOLDER_GET, "t", folder)))
		return GR_E_STATE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid = (uint32_t)sqlite3_column_int64(s, 1);
	}
	unprep(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading a folder mark");
	return GR_OK;
}

gr_status
gr_state_folder_set(gr_state *st, const char *folder, uint32_t uidvalidity,
                    uint32_t last_uid, gr_error *err)
{
	if (!folder || !*folder)
		return gr_error_set(err, GR_E_INTERNAL, "%s: folder mark without "
		                    "a folder", st->path);
	return write_sql(st, "recording a folder mark", err, Q_FOLDER_SET,
	                 "tlll", folder, I64(uidvalidity), I64(last_uid),
	                 I64(time(NULL)));
}

gr_status
gr_state_add_contact(gr_state *st, const char *addr, gr_error *err)
{
	if (!addr || !*addr)
		return GR_OK;
	return write_sql(st, "recording a contact", err, Q_CONTACT_ADD, "tl",
	                 addr, I64(time(NULL)));
}

int
gr_state_is_contact(gr_state *st, const char *addr)
{
	return addr && *addr && query_sql(st, Q_CONTACT_IS, "t", addr) == 1;
}

gr_status
gr_state_counts(gr_state *st, long *messages, long *outputs, gr_error *err)
{
	long long m = query_sql(st, Q_COUNT_MSG, ""),
	          o = query_sql(st, Q_COUNT_OUT, "");

	if (m < 0 || o < 0)
		return db_error(st, err, "counting");
	*messages = (long)m;
	*outputs = (long)o;
	return GR_OK;
}

/* --- reminders (schema 2) ------------------------------------------------ */

/* In the order of REM_COLS; gr_state_rem_put binds all but push_seq. */
static const field rem_fields[] = {
	FIELD(gr_state_rem, uid, F_TEXT),
	FIELD(gr_state_rem, message_id, F_TEXT),
	FIELD(gr_state_rem, thread, F_TEXT),
	FIELD(gr_state_rem, action, F_TEXT),
	FIELD(gr_state_rem, relpath, F_TEXT),
	FIELD(gr_state_rem, sequence, F_INT),
	FIELD(gr_state_rem, done, F_BOOL),
	FIELD(gr_state_rem, as_todo, F_BOOL),
	FIELD(gr_state_rem, duration_min, F_INT),
	FIELD(gr_state_rem, alarm_min, F_INT),
	FIELD(gr_state_rem, due, F_TIME),
	FIELD(gr_state_rem, stamp, F_TIME),
	FIELD(gr_state_rem, changed, F_TIME),
	FIELD(gr_state_rem, tzid, F_TEXT),
	FIELD(gr_state_rem, summary, F_TEXT),
	FIELD(gr_state_rem, description, F_TEXT),
	FIELD(gr_state_rem, etag, F_TEXT),
	FIELD(gr_state_rem, href, F_TEXT),
	FIELD(gr_state_rem, peer, F_TEXT),
	FIELD(gr_state_rem, push_seq, F_INT),
};
#define NREM    (sizeof rem_fields / sizeof rem_fields[0])

#define REM_COLS "uid, message_id, thread, action, relpath, sequence, done, " \
	"as_todo, duration, alarm, due, stamp, changed, tzid, summary, " \
	"description, etag, href, peer, push_seq"
#define REM_SELECT "SELECT " REM_COLS " FROM reminders "
/* The reminders the feed shows: pending, or done at or after ?3 (unless
 * ?2, pending only). */
#define REM_SHOWN "(done = 0 OR (?2 = 0 AND changed >= ?3))"

ROWS_READER(rem_rows, gr_state_rems, rem_fields, "reminders")

void
gr_state_rems_free(gr_state_rems *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_rem_put(gr_state *st, const gr_state_rem *r, gr_error *err)
{
	sqlite3_stmt *s;

	if (!r->uid || !*r->uid || !r->relpath || !*r->relpath)
		return gr_error_set(err, GR_E_INTERNAL, "%s: a reminder needs a "
		                    "uid and a relpath", st->path);
	s = prep(st, "INSERT OR REPLACE INTO reminders(" REM_COLS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
	    "?16, "
	    /* A re-recorded reminder keeps its CalDAV ETag, URL and pushed
	     * SEQUENCE unless the caller gives new ones. */
	    "coalesce(?17, (SELECT etag FROM reminders WHERE uid = ?1)), "
	    "coalesce(?18, (SELECT href FROM reminders WHERE uid = ?1)), ?19, "
	    "coalesce((SELECT push_seq FROM reminders WHERE uid = ?1), -1))",
	    err);
	if (!s)
		return GR_E_STATE;
	bind_fields(s, 1, r, rem_fields, NREM - 1);
	return run_write(st, s, "recording a reminder", err);
}

gr_status
gr_state_rem_token(gr_state *st, time_t done_since, char out[64],
                   gr_error *err)
{
	sqlite3_stmt *s = prepb(st, err, "SELECT (SELECT value FROM counters "
	    "WHERE name = 'reminders'), (SELECT count(*) FROM reminders WHERE "
	    "done = 1 AND changed >= ?1)", "l", I64(done_since));
	int rc;

	if (!s)
		return GR_E_STATE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(out, 64, "%lld:%lld", (long long)sqlite3_column_int64(s, 0),
		         (long long)sqlite3_column_int64(s, 1));
	unprep(st, s);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "reading the reminders' change count");
	return GR_OK;
}

gr_status
gr_state_rem_list(gr_state *st, const char *thread, int pending_only,
                  time_t done_since, gr_state_rems *out, gr_error *err)
{
	/* Two texts, not "?1 IS NULL OR thread = ?1": SQLite cannot use the
	 * thread index for that, and a scan per message makes a poll
	 * quadratic in the number of reminders. */
	sqlite3_stmt *s = prepb(st, err, thread ?
	    REM_SELECT "WHERE thread = ?1 AND " REM_SHOWN " ORDER BY due, uid" :
	    REM_SELECT "WHERE ?1 IS NULL AND " REM_SHOWN " ORDER BY due, uid",
	    "til", thread, pending_only != 0, I64(done_since));

	return rem_rows(st, s, out, err);
}

gr_status
gr_state_rem_unpushed(gr_state *st, gr_state_rems *out, gr_error *err)
{
	sqlite3_stmt *s = prep(st, REM_SELECT "WHERE push_seq < sequence "
	                       "ORDER BY due, uid", err);

	return rem_rows(st, s, out, err);
}

gr_status
gr_state_rem_page(gr_state *st, time_t done_since, size_t max,
                  gr_state_rems *page, gr_error *err)
{
	/* Keyset paging over the index on (due, uid): each page starts
	 * where the last one ended, so every page costs its own rows. */
	sqlite3_stmt *s;
	sqlite3_int64 due = INT64_MIN;
	const char *after = "";

	if (page->n) {
		due = I64(page->v[page->n - 1].due);
		after = page->v[page->n - 1].uid;
	}
	s = prepb(st, err, REM_SELECT "WHERE (due, uid) > (?4, ?5) AND "
	          REM_SHOWN " ORDER BY due, uid LIMIT ?6", "tillt", NULL, 0,
	          I64(done_since), due, after);
	if (s)
		sqlite3_bind_int64(s, 6, I64(max ? max : 1));
	gr_state_rems_free(page);
	if (!s)
		return GR_E_STATE;
	return rem_rows(st, s, page, err);
}

gr_status
gr_state_rem_pushed(gr_state *st, const char *uid, int push_seq,
                    const char *etag, const char *href, gr_error *err)
{
	return write_sql(st, "recording a CalDAV push", err, "UPDATE reminders "
	                 "SET push_seq = ?2, etag = ?3, href = ?4 WHERE uid = ?1",
	                 "titt", uid, push_seq, etag, href);
}

/* --- threads (schema 2) -------------------------------------------------- */

gr_status
gr_state_thread_find(gr_state *st, const char *const *ids, size_t n,
                     char **thread, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT thread FROM thread_msgs "
	                       "WHERE message_id = ?1", err);
	gr_status rc = GR_OK;

	*thread = NULL;
	if (!s)
		return GR_E_STATE;
	for (size_t i = 0; i < n && !*thread; i++) {
		int r;

		if (!ids[i] || !*ids[i])
			continue;
		sqlite3_reset(s);
		bind_text(s, 1, ids[i]);
		r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			if (!(*thread = gr_strdup((const char *)
			                          sqlite3_column_text(s, 0))))
				rc = gr_error_set(err, GR_E_NOMEM, "out of memory");
		} else if (r != SQLITE_DONE) {
			rc = db_error(st, err, "finding a thread");
			break;
		}
	}
	unprep(st, s);
	return rc;
}

gr_status
gr_state_thread_link(gr_state *st, const char *message_id, const char *thread,
                     int from_owner, time_t at, gr_error *err)
{
	if (!message_id || !*message_id || !thread || !*thread)
		return GR_OK;
	return write_sql(st, "linking a message to its thread", err,
	                 "INSERT OR IGNORE INTO thread_msgs(message_id, thread, "
	                 "from_owner, at) VALUES (?1, ?2, ?3, ?4)", "ttil",
	                 message_id, thread, from_owner != 0, I64(at));
}

/* In the order of THREAD_COLS. */
static const field thread_fields[] = {
	FIELD(gr_state_thread, thread, F_TEXT),
	FIELD(gr_state_thread, cls, F_TEXT),
	FIELD(gr_state_thread, subject, F_TEXT),
	FIELD(gr_state_thread, peer_name, F_TEXT),
	FIELD(gr_state_thread, peer_addr, F_TEXT),
	FIELD(gr_state_thread, owner_msgid, F_TEXT),
	FIELD(gr_state_thread, last_in, F_TIME),
	FIELD(gr_state_thread, last_out, F_TIME),
	FIELD(gr_state_thread, followups, F_INT),
	FIELD(gr_state_thread, lead_addr, F_TEXT),
	FIELD(gr_state_thread, lead_name, F_TEXT),
	FIELD(gr_state_thread, open_question, F_TEXT),
	FIELD(gr_state_thread, lang, F_TEXT),
	FIELD(gr_state_thread, formal, F_BOOL),
	FIELD(gr_state_thread, later, F_BOOL),
	FIELD(gr_state_thread, asked, F_BOOL),
};
#define NTHREAD (sizeof thread_fields / sizeof thread_fields[0])
#define THREAD_COLS "thread, cls, subject, peer_name, peer_addr, " \
	"owner_msgid, last_in, last_out, followups, lead_addr, lead_name, " \
	"open_question, lang, formal, later, asked"

ROWS_READER(thread_rows, gr_state_threads, thread_fields, "threads")

void
gr_state_threads_free(gr_state_threads *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_thread_list(gr_state *st, const char *thread, gr_state_threads *out,
                     gr_error *err)
{
	/* As in gr_state_rem_list: one text per case, so that a lookup of
	 * one thread uses its primary key. */
	sqlite3_stmt *s = prepb(st, err, thread ?
	    "SELECT " THREAD_COLS " FROM threads WHERE thread = ?1" :
	    "SELECT " THREAD_COLS " FROM threads WHERE ?1 IS NULL "
	    "ORDER BY thread", "t", thread);

	return thread_rows(st, s, out, err);
}

gr_status
gr_state_thread_waiting(gr_state *st, int max_followups,
                        gr_state_threads *out, gr_error *err)
{
	/* Through the partial index threads_waiting, by name: left to
	 * itself SQLite scans every thread in key order to spare the sort. */
	sqlite3_stmt *s = prepb(st, err, "SELECT " THREAD_COLS " FROM threads "
	    "INDEXED BY threads_waiting WHERE last_out > last_in AND "
	    "followups < ?1 ORDER BY thread", "i", max_followups);

	return thread_rows(st, s, out, err);
}

gr_status
gr_state_thread_followed(gr_state *st, gr_state_threads *out, gr_error *err)
{
	sqlite3_stmt *s = prepb(st, err, "SELECT " THREAD_COLS " FROM threads "
	    "WHERE followups > ?1 ORDER BY thread", "i", 0);

	return thread_rows(st, s, out, err);
}

gr_status
gr_state_thread_put(gr_state *st, const gr_state_thread *t, gr_error *err)
{
	sqlite3_stmt *s;

	if (!t->thread || !*t->thread)
		return gr_error_set(err, GR_E_INTERNAL, "%s: thread without an "
		                    "id", st->path);
	if (!(s = prep(st, "INSERT OR REPLACE INTO threads(" THREAD_COLS ") "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	               "?12, ?13, ?14, ?15, ?16)", err)))
		return GR_E_STATE;
	bind_fields(s, 1, t, thread_fields, NTHREAD);
	return run_write(st, s, "recording a thread", err);
}

gr_status
gr_state_replied_add(gr_state *st, const char *message_id, time_t at,
                     gr_error *err)
{
	if (!message_id || !*message_id)
		return GR_OK;
	return write_sql(st, "recording a reply", err, "INSERT OR IGNORE INTO "
	                 "replied(message_id, at) VALUES (?1, ?2)", "tl",
	                 message_id, I64(at));
}

int
gr_state_replied(gr_state *st, const char *message_id)
{
	return message_id && *message_id && query_sql(st, "SELECT 1 FROM "
	       "replied WHERE message_id = ?1", "t", message_id) == 1;
}

int
gr_state_seen_from(gr_state *st, const char *const *ids, size_t n,
                   const char *addr)
{
	if (!st || !addr || !*addr)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ids[i] && *ids[i] && query_sql(st, "SELECT 1 FROM messages "
		    "WHERE message_id = ?1 AND sender = ?2 COLLATE NOCASE AND "
		    "status = 'ok' AND EXISTS (SELECT 1 FROM replied WHERE "
		    "replied.message_id = ?1) LIMIT 1", "tt", ids[i], addr) == 1)
			return 1;
	return 0;
}

/* --- referrals (schema 2) ------------------------------------------------ */

/* In the order of REF_COLS; gr_state_referral_add binds all but id. */
static const field ref_fields[] = {
	FIELD(gr_state_referral, id, F_LONG),
	FIELD(gr_state_referral, kind, F_TEXT),
	FIELD(gr_state_referral, at, F_TIME),
	FIELD(gr_state_referral, message_id, F_TEXT),
	FIELD(gr_state_referral, introducer_name, F_TEXT),
	FIELD(gr_state_referral, introducer_addr, F_TEXT),
	FIELD(gr_state_referral, contact_name, F_TEXT),
	FIELD(gr_state_referral, contact_addr, F_TEXT),
	FIELD(gr_state_referral, partner_name, F_TEXT),
	FIELD(gr_state_referral, partner_addr, F_TEXT),
	FIELD(gr_state_referral, service, F_TEXT),
	FIELD(gr_state_referral, subject, F_TEXT),
	FIELD(gr_state_referral, thanked, F_BOOL),
	FIELD(gr_state_referral, thanked_at, F_TIME0),
	FIELD(gr_state_referral, ask_mid, F_TEXT),
	FIELD(gr_state_referral, offer_mid, F_TEXT),
	FIELD(gr_state_referral, intro_mid, F_TEXT),
	FIELD(gr_state_referral, sent_mid, F_TEXT),
	FIELD(gr_state_referral, asked_at, F_TIME0),
	FIELD(gr_state_referral, offered_at, F_TIME0),
	FIELD(gr_state_referral, partner_said, F_INT),
	FIELD(gr_state_referral, contact_said, F_INT),
	FIELD(gr_state_referral, introduced_at, F_TIME0),
	FIELD(gr_state_referral, sent_at, F_TIME0),
	FIELD(gr_state_referral, lang, F_TEXT),
	FIELD(gr_state_referral, area, F_TEXT),
	FIELD(gr_state_referral, urgent, F_BOOL),
	FIELD(gr_state_referral, offer_sent_mid, F_TEXT),
};
#define NREF    (sizeof ref_fields / sizeof ref_fields[0])
#define REF_COLS "kind, at, message_id, introducer_name, introducer_addr, " \
	"contact_name, contact_addr, partner_name, partner_addr, service, " \
	"subject, thanked, thanked_at, ask_mid, offer_mid, intro_mid, " \
	"sent_mid, asked_at, offered_at, partner_said, contact_said, " \
	"introduced_at, sent_at, lang, area, urgent, offer_sent_mid"
ROWS_READER(ref_rows, gr_state_referrals, ref_fields, "referrals")

void
gr_state_referrals_free(gr_state_referrals *l)
{
	list_free(l->v, l->mem);
	memset(l, 0, sizeof *l);
}

gr_status
gr_state_referral_add(gr_state *st, const gr_state_referral *r, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "INSERT OR IGNORE INTO referrals(" REF_COLS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
	    "?27)",
	    err);

	if (!s)
		return GR_E_STATE;
	bind_fields(s, 1, r, ref_fields + 1, NREF - 1);
	return run_write(st, s, "recording a referral", err);
}

gr_status
gr_state_referral_thank(gr_state *st, const char *introducer, time_t when,
                        gr_error *err)
{
	if (!introducer || !*introducer)
		return GR_OK;
	return write_sql(st, "marking a referral thanked", err, "UPDATE "
	                 "referrals SET thanked = 1, thanked_at = ?2 WHERE "
	                 "kind = 'received' AND thanked = 0 AND "
	                 "introducer_addr = ?1 AND at <= ?2", "tl", introducer,
	                 I64(when));
}

/* The opt-in columns of referral r->id from r (the rest is as added). */
gr_status
gr_state_referral_update(gr_state *st, const gr_state_referral *r,
                         gr_error *err)
{
	sqlite3_stmt *s = prep(st, "UPDATE referrals SET sent_mid = ?1, "
	    "asked_at = ?2, offered_at = ?3, partner_said = ?4, "
	    "contact_said = ?5, introduced_at = ?6, sent_at = ?7, "
	    "intro_mid = ?8, offer_sent_mid = ?9 WHERE id = ?10", err);
	static const field f[] = {
		FIELD(gr_state_referral, sent_mid, F_TEXT),
		FIELD(gr_state_referral, asked_at, F_TIME0),
		FIELD(gr_state_referral, offered_at, F_TIME0),
		FIELD(gr_state_referral, partner_said, F_INT),
		FIELD(gr_state_referral, contact_said, F_INT),
		FIELD(gr_state_referral, introduced_at, F_TIME0),
		FIELD(gr_state_referral, sent_at, F_TIME0),
		FIELD(gr_state_referral, intro_mid, F_TEXT),
		FIELD(gr_state_referral, offer_sent_mid, F_TEXT),
		FIELD(gr_state_referral, id, F_LONG),
	};

	if (!s)
		return GR_E_STATE;
	bind_fields(s, 1, r, f, sizeof f / sizeof f[0]);
	return run_write(st, s, "recording a referral's progress", err);
}

gr_status
gr_state_referral_open(gr_state *st, gr_state_referrals *out, gr_error *err)
{
	/* Referrals given that are not made yet: the ones the owner's sent
	 * mail or an answer may move on.  Few: a partial scan is enough. */
	sqlite3_stmt *s = prep(st, "SELECT id, " REF_COLS " FROM referrals "
	                       "WHERE kind = 'given' AND sent_at IS NULL AND "
	                       "partner_said >= 0 AND contact_said >= 0 "
	                       "ORDER BY at, id", err);

	return ref_rows(st, s, out, err);
}

gr_status
gr_state_referral_list(gr_state *st, gr_state_referrals *out, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT id, " REF_COLS " FROM referrals "
	                       "ORDER BY at DESC, id DESC", err);

	return ref_rows(st, s, out, err);
}
