/* SPDX-License-Identifier: MIT */
/*
 * state.c - gravity's state in SQLite: WAL journal, synchronous=NORMAL, busy
 * timeout 5 s, BEGIN IMMEDIATE for every write, prepared statements cached
 * in the handle, schema versioned with PRAGMA user_version (and marked with
 * PRAGMA application_id).  One writer at a time: flock(LOCK_EX|LOCK_NB) on
 * "PATH.lock", held until gr_state_close().  Files are created mode 0600.
 *
 * Schema (version 1):
 *   messages(source_id UNIQUE, message_id, sender, subject, class,
 *            status 'ok'|'failed', error, at)      at: unix time recorded
 *   outputs(message_id, kind, action, relpath UNIQUE, uid UNIQUE, sequence,
 *           due, sha256, at)     re-recording a relpath or uid replaces it
 *   folders(folder PRIMARY KEY, uidvalidity, last_uid, at)
 *   contacts(addr PRIMARY KEY COLLATE NOCASE, at)
 * Version 2 adds:
 *   reminders(uid PRIMARY KEY, message_id, thread, action, relpath,
 *             sequence, done, as_todo, duration, alarm, due, stamp,
 *             changed, tzid, summary, description, etag, href, peer)
 *             everything needed to render a reminder again (the feed,
 *             cancellations) and its CalDAV ETag and URL
 * Version 3 adds reminders.push_seq: the SEQUENCE last pushed to CalDAV
 *             (-1: never); push_seq < sequence means a push is pending
 *   thread_msgs(message_id PRIMARY KEY, thread, from_owner, at)
 *   threads(thread PRIMARY KEY, cls, subject, peer_name, peer_addr,
 *           owner_msgid, last_in, last_out, followups)
 *   replied(message_id PRIMARY KEY, at)   answered by the owner
 *   referrals(id, kind 'received'|'given', at, message_id UNIQUE,
 *             introducer_*, contact_*, partner_*, service, subject,
 *             thanked, thanked_at)
 */
#include <errno.h>
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
	Q_SEEN[] = "SELECT 1 FROM messages WHERE source_id = ?1 UNION ALL "
	           "SELECT 1 FROM messages WHERE message_id = ?2 LIMIT 1",
	Q_REC_MSG[] = "INSERT INTO messages(source_id, message_id, sender, "
	              "subject, class, status, error, at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	              "ON CONFLICT(source_id) DO UPDATE SET "
	              "message_id = excluded.message_id, sender = excluded.sender, "
	              "subject = excluded.subject, class = excluded.class, "
	              "status = excluded.status, error = excluded.error, "
	              "at = excluded.at",
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
 * one when it is not handed out already (a caller iterating over rows may
 * call back into code that runs the same text: that one gets a statement
 * of its own, finalized by unprep()).
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
query_int(gr_state *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	long long v = -1;

	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		v = -2;
	sqlite3_reset(s);
	(void)st;
	return v;
}

static long long
pragma_int(gr_state *st, const char *sql)
{
	sqlite3_stmt *s;
	long long v;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	v = query_int(st, s);
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

void
gr_state_close(gr_state *st)
{
	if (!st)
		return;
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
	sqlite3_stmt *s = prep(st, Q_SEEN, NULL);
	long long v;

	if (!s)
		return -GR_E_STATE;
	bind_text(s, 1, source_id);
	bind_text(s, 2, message_id);
	v = query_int(st, s);
	unprep(st, s);
	if (v == -2)
		return -GR_E_STATE;
	return v == 1;
}

gr_status
gr_state_record_message(gr_state *st, const char *source_id,
                        const char *message_id, const char *from,
                        const char *subject, const char *cls,
                        const char *status, const char *error,
                        time_t when, gr_error *err)
{
	sqlite3_stmt *s;

	if (!source_id || !*source_id)
		return gr_error_set(err, GR_E_INTERNAL, "%s: recording a message "
		                    "without a source_id", st->path);
	if (!status || (strcmp(status, "ok") != 0 &&
	                strcmp(status, "failed") != 0))
		return gr_error_set(err, GR_E_INTERNAL, "%s: message status must "
		                    "be \"ok\" or \"failed\"", st->path);
	if (!(s = prep(st, Q_REC_MSG, err)))
		return GR_E_STATE;
	bind_text(s, 1, source_id);
	bind_text(s, 2, message_id);
	bind_text(s, 3, from);
	bind_text(s, 4, subject);
	bind_text(s, 5, cls);
	bind_text(s, 6, status);
	bind_text(s, 7, error);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)when);
	return run_write(st, s, "recording a message", err);
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
	if (!(s = prep(st, Q_REC_OUT, err)))
		return GR_E_STATE;
	bind_text(s, 1, message_id);
	bind_text(s, 2, kind);
	bind_text(s, 3, action);
	bind_text(s, 4, relpath);
	bind_text(s, 5, uid);
	sqlite3_bind_int(s, 6, sequence);
	if (due)
		sqlite3_bind_int64(s, 7, (sqlite3_int64)due);
	bind_text(s, 8, sha256);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)time(NULL));
	return run_write(st, s, "recording an output", err);
}

int
gr_state_sequence_of(gr_state *st, const char *uid)
{
	sqlite3_stmt *s;
	long long v;

	if (!uid || !*uid || !(s = prep(st, Q_SEQ, NULL)))
		return -1;
	bind_text(s, 1, uid);
	v = query_int(st, s);
	unprep(st, s);
	return v < 0 ? -1 : (int)v;
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
	if (!(s = prep(st, Q_FOLDER_GET, err)))
		return GR_E_STATE;
	bind_text(s, 1, folder);
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
	sqlite3_stmt *s;

	if (!folder || !*folder)
		return gr_error_set(err, GR_E_INTERNAL, "%s: folder mark without "
		                    "a folder", st->path);
	if (!(s = prep(st, Q_FOLDER_SET, err)))
		return GR_E_STATE;
	bind_text(s, 1, folder);
	sqlite3_bind_int64(s, 2, uidvalidity);
	sqlite3_bind_int64(s, 3, last_uid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	return run_write(st, s, "recording a folder mark", err);
}

gr_status
gr_state_add_contact(gr_state *st, const char *addr, gr_error *err)
{
	sqlite3_stmt *s;

	if (!addr || !*addr)
		return GR_OK;
	if (!(s = prep(st, Q_CONTACT_ADD, err)))
		return GR_E_STATE;
	bind_text(s, 1, addr);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	return run_write(st, s, "recording a contact", err);
}

int
gr_state_is_contact(gr_state *st, const char *addr)
{
	sqlite3_stmt *s;
	long long v;

	if (!addr || !*addr || !(s = prep(st, Q_CONTACT_IS, NULL)))
		return 0;
	bind_text(s, 1, addr);
	v = query_int(st, s);
	unprep(st, s);
	return v == 1;
}

gr_status
gr_state_counts(gr_state *st, long *messages, long *outputs, gr_error *err)
{
	sqlite3_stmt *s;
	long long m = -2, o = -2;

	if ((s = prep(st, Q_COUNT_MSG, err))) {
		m = query_int(st, s);
		unprep(st, s);
	}
	if ((s = prep(st, Q_COUNT_OUT, err))) {
		o = query_int(st, s);
		unprep(st, s);
	}
	if (m < 0 || o < 0)
		return db_error(st, err, "counting");
	*messages = (long)m;
	*outputs = (long)o;
	return GR_OK;
}

/* --- reminders, threads, referrals (schema 2) -------------------------- */

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

gr_status
gr_state_rem_put(gr_state *st, const gr_state_rem *r, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "INSERT OR REPLACE INTO reminders(uid, "
	    "message_id, thread, action, relpath, sequence, done, as_todo, "
	    "duration, alarm, due, stamp, changed, tzid, summary, description, "
	    "etag, href, peer, push_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
	    /* A re-recorded reminder keeps its CalDAV ETag, URL and pushed
	     * SEQUENCE unless the caller gives new ones. */
	    "coalesce(?17, (SELECT etag FROM reminders WHERE uid = ?1)), "
	    "coalesce(?18, (SELECT href FROM reminders WHERE uid = ?1)), ?19, "
	    "coalesce((SELECT push_seq FROM reminders WHERE uid = ?1), -1))",
	    err);

	if (!s)
		return GR_E_STATE;
	if (!r->uid || !*r->uid || !r->relpath || !*r->relpath) {
		unprep(st, s);
		return gr_error_set(err, GR_E_INTERNAL, "%s: a reminder needs a "
		                    "uid and a relpath", st->path);
	}
	bind_text(s, 1, r->uid);
	bind_text(s, 2, r->message_id);
	bind_text(s, 3, r->thread);
	bind_text(s, 4, r->action);
	bind_text(s, 5, r->relpath);
	sqlite3_bind_int(s, 6, r->sequence);
	sqlite3_bind_int(s, 7, r->done != 0);
	sqlite3_bind_int(s, 8, r->as_todo != 0);
	sqlite3_bind_int(s, 9, r->duration_min);
	sqlite3_bind_int(s, 10, r->alarm_min);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)r->due);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)r->stamp);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)r->changed);
	bind_text(s, 14, r->tzid);
	bind_text(s, 15, r->summary);
	bind_text(s, 16, r->description);
	bind_text(s, 17, r->etag);
	bind_text(s, 18, r->href);
	bind_text(s, 19, r->peer);
	return run_write(st, s, "recording a reminder", err);
}

#define REM_SELECT "SELECT uid, message_id, thread, action, relpath, " \
	"sequence, done, as_todo, duration, alarm, due, stamp, changed, " \
	"tzid, summary, description, etag, href, peer, push_seq FROM reminders "
#define REM_WHERE "(done = 0 OR (?2 = 0 AND changed >= ?3)) ORDER BY due, uid"

gr_status
gr_state_rem_token(gr_state *st, time_t done_since, char out[64],
                   gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT (SELECT value FROM counters WHERE "
	    "name = 'reminders'), (SELECT count(*) FROM reminders WHERE "
	    "done = 1 AND changed >= ?1)", err);
	int rc;

	if (!s)
		return GR_E_STATE;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)done_since);
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
gr_state_rem_each(gr_state *st, const char *thread, int pending_only,
                  time_t done_since, gr_state_rem_fn fn, void *aux,
                  gr_error *err)
{
	/* Two texts, not "?1 IS NULL OR thread = ?1": SQLite cannot use the
	 * thread index for that, and a scan per message makes a poll
	 * quadratic in the number of reminders. */
	sqlite3_stmt *s = prep(st, thread ? REM_SELECT "WHERE thread = ?1 AND "
	    REM_WHERE : REM_SELECT "WHERE ?1 IS NULL AND " REM_WHERE, err);
	int rc;

	if (!s)
		return GR_E_STATE;
	bind_text(s, 1, thread);
	sqlite3_bind_int(s, 2, pending_only != 0);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)done_since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gr_state_rem r;

		r.uid = col_text(s, 0);
		r.message_id = col_text(s, 1);
		r.thread = col_text(s, 2);
		r.action = col_text(s, 3);
		r.relpath = col_text(s, 4);
		r.sequence = sqlite3_column_int(s, 5);
		r.done = sqlite3_column_int(s, 6);
		r.as_todo = sqlite3_column_int(s, 7);
		r.duration_min = sqlite3_column_int(s, 8);
		r.alarm_min = sqlite3_column_int(s, 9);
		r.due = (time_t)sqlite3_column_int64(s, 10);
		r.stamp = (time_t)sqlite3_column_int64(s, 11);
		r.changed = (time_t)sqlite3_column_int64(s, 12);
		r.tzid = col_text(s, 13);
		r.summary = col_text(s, 14);
		r.description = col_text(s, 15);
		r.etag = col_text(s, 16);
		r.href = col_text(s, 17);
		r.peer = col_text(s, 18);
		r.push_seq = sqlite3_column_int(s, 19);
		if (fn(aux, &r) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, err, "reading reminders");
		unprep(st, s);
		return GR_E_STATE;
	}
	unprep(st, s);
	return GR_OK;
}

gr_status
gr_state_rem_pushed(gr_state *st, const char *uid, int push_seq,
                    const char *etag, const char *href, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "UPDATE reminders SET push_seq = ?2, "
	    "etag = ?3, href = ?4 WHERE uid = ?1", err);

	if (!s)
		return GR_E_STATE;
	bind_text(s, 1, uid);
	sqlite3_bind_int(s, 2, push_seq);
	bind_text(s, 3, etag);
	bind_text(s, 4, href);
	return run_write(st, s, "recording a CalDAV push", err);
}

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
			if (!(*thread = gr_strdup(col_text(s, 0))))
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
	sqlite3_stmt *s;

	if (!message_id || !*message_id || !thread || !*thread)
		return GR_OK;
	if (!(s = prep(st, "INSERT OR IGNORE INTO thread_msgs(message_id, "
	               "thread, from_owner, at) VALUES (?1, ?2, ?3, ?4)", err)))
		return GR_E_STATE;
	bind_text(s, 1, message_id);
	bind_text(s, 2, thread);
	sqlite3_bind_int(s, 3, from_owner != 0);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)at);
	return run_write(st, s, "linking a message to its thread", err);
}

static const char thread_cols[] = "thread, cls, subject, peer_name, "
	"peer_addr, owner_msgid, last_in, last_out, followups";

static void
thread_row(sqlite3_stmt *s, gr_state_thread *t)
{
	t->thread = col_text(s, 0);
	t->cls = col_text(s, 1);
	t->subject = col_text(s, 2);
	t->peer_name = col_text(s, 3);
	t->peer_addr = col_text(s, 4);
	t->owner_msgid = col_text(s, 5);
	t->last_in = (time_t)sqlite3_column_int64(s, 6);
	t->last_out = (time_t)sqlite3_column_int64(s, 7);
	t->followups = sqlite3_column_int(s, 8);
}

/* Hand each row of s to fn (until it returns non-zero); gives s back. */
static gr_status
threads_step(gr_state *st, sqlite3_stmt *s, gr_state_thread_fn fn, void *aux,
             gr_error *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gr_state_thread t;

		thread_row(s, &t);
		if (fn(aux, &t) != 0)
			break;
	}
	unprep(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading threads");
	return GR_OK;
}

gr_status
gr_state_thread_each(gr_state *st, const char *thread, gr_state_thread_fn fn,
                     void *aux, gr_error *err)
{
	char sql[256];
	sqlite3_stmt *s;

	/* As in gr_state_rem_each: one text per case, so that a lookup of
	 * one thread uses its primary key. */
	snprintf(sql, sizeof sql, "SELECT %s FROM threads WHERE %s ORDER BY "
	         "thread", thread_cols, thread ? "thread = ?1" : "?1 IS NULL");
	if (!(s = prep(st, sql, err)))
		return GR_E_STATE;
	bind_text(s, 1, thread);
	return threads_step(st, s, fn, aux, err);
}

gr_status
gr_state_thread_waiting(gr_state *st, int max_followups,
                        gr_state_thread_fn fn, void *aux, gr_error *err)
{
	char sql[256];
	sqlite3_stmt *s;

	/* Through the partial index threads_waiting, by name: left to
	 * itself SQLite scans every thread in key order to spare the sort. */
	snprintf(sql, sizeof sql, "SELECT %s FROM threads INDEXED BY "
	         "threads_waiting WHERE last_out > last_in AND followups < ?1 "
	         "ORDER BY thread", thread_cols);
	if (!(s = prep(st, sql, err)))
		return GR_E_STATE;
	sqlite3_bind_int(s, 1, max_followups);
	return threads_step(st, s, fn, aux, err);
}

gr_status
gr_state_thread_put(gr_state *st, const gr_state_thread *t, gr_error *err)
{
	char sql[256];
	sqlite3_stmt *s;

	snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO threads(%s) VALUES "
	         "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", thread_cols);
	if (!t->thread || !*t->thread)
		return gr_error_set(err, GR_E_INTERNAL, "%s: thread without an "
		                    "id", st->path);
	if (!(s = prep(st, sql, err)))
		return GR_E_STATE;
	bind_text(s, 1, t->thread);
	bind_text(s, 2, t->cls);
	bind_text(s, 3, t->subject);
	bind_text(s, 4, t->peer_name);
	bind_text(s, 5, t->peer_addr);
	bind_text(s, 6, t->owner_msgid);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)t->last_in);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)t->last_out);
	sqlite3_bind_int(s, 9, t->followups);
	return run_write(st, s, "recording a thread", err);
}

gr_status
gr_state_replied_add(gr_state *st, const char *message_id, time_t at,
                     gr_error *err)
{
	sqlite3_stmt *s;

	if (!message_id || !*message_id)
		return GR_OK;
	if (!(s = prep(st, "INSERT OR IGNORE INTO replied(message_id, at) "
	               "VALUES (?1, ?2)", err)))
		return GR_E_STATE;
	bind_text(s, 1, message_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)at);
	return run_write(st, s, "recording a reply", err);
}

int
gr_state_replied(gr_state *st, const char *message_id)
{
	sqlite3_stmt *s;
	long long v;

	if (!message_id || !*message_id || !(s = prep(st, "SELECT 1 FROM "
	    "replied WHERE message_id = ?1", NULL)))
		return 0;
	bind_text(s, 1, message_id);
	v = query_int(st, s);
	unprep(st, s);
	return v == 1;
}

gr_status
gr_state_referral_add(gr_state *st, const gr_state_referral *r, gr_error *err)
{
	sqlite3_stmt *s = prep(st, "INSERT OR IGNORE INTO referrals(kind, at, "
	    "message_id, introducer_name, introducer_addr, contact_name, "
	    "contact_addr, partner_name, partner_addr, service, subject, "
	    "thanked, thanked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12, ?13)", err);

	if (!s)
		return GR_E_STATE;
	bind_text(s, 1, r->kind);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->at);
	bind_text(s, 3, r->message_id);
	bind_text(s, 4, r->introducer_name);
	bind_text(s, 5, r->introducer_addr);
	bind_text(s, 6, r->contact_name);
	bind_text(s, 7, r->contact_addr);
	bind_text(s, 8, r->partner_name);
	bind_text(s, 9, r->partner_addr);
	bind_text(s, 10, r->service);
	bind_text(s, 11, r->subject);
	sqlite3_bind_int(s, 12, r->thanked != 0);
	if (r->thanked_at)
		sqlite3_bind_int64(s, 13, (sqlite3_int64)r->thanked_at);
	return run_write(st, s, "recording a referral", err);
}

gr_status
gr_state_referral_thank(gr_state *st, const char *introducer, time_t when,
                        gr_error *err)
{
	sqlite3_stmt *s;

	if (!introducer || !*introducer)
		return GR_OK;
	if (!(s = prep(st, "UPDATE referrals SET thanked = 1, thanked_at = ?2 "
	               "WHERE kind = 'received' AND thanked = 0 AND "
	               "introducer_addr = ?1 AND at <= ?2", err)))
		return GR_E_STATE;
	bind_text(s, 1, introducer);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)when);
	return run_write(st, s, "marking a referral thanked", err);
}

gr_status
gr_state_referral_each(gr_state *st, gr_state_referral_fn fn, void *aux,
                       gr_error *err)
{
	sqlite3_stmt *s = prep(st, "SELECT id, kind, at, message_id, "
	    "introducer_name, introducer_addr, contact_name, contact_addr, "
	    "partner_name, partner_addr, service, subject, thanked, "
	    "thanked_at FROM referrals ORDER BY at DESC, id DESC", err);
	int rc;

	if (!s)
		return GR_E_STATE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gr_state_referral r;

		r.id = (long)sqlite3_column_int64(s, 0);
		r.kind = col_text(s, 1);
		r.at = (time_t)sqlite3_column_int64(s, 2);
		r.message_id = col_text(s, 3);
		r.introducer_name = col_text(s, 4);
		r.introducer_addr = col_text(s, 5);
		r.contact_name = col_text(s, 6);
		r.contact_addr = col_text(s, 7);
		r.partner_name = col_text(s, 8);
		r.partner_addr = col_text(s, 9);
		r.service = col_text(s, 10);
		r.subject = col_text(s, 11);
		r.thanked = sqlite3_column_int(s, 12);
		r.thanked_at = (time_t)sqlite3_column_int64(s, 13);
		if (fn(aux, &r) != 0)
			break;
	}
	unprep(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "reading referrals");
	return GR_OK;
}
