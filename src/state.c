/* SPDX-License-Identifier: MIT */
/*
 * state.c - gravity's state in SQLite: WAL journal, synchronous=FULL, busy
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

enum stmt_id {
	Q_SEEN, Q_REC_MSG, Q_REC_OUT, Q_SEQ, Q_FOLDER_GET, Q_FOLDER_SET,
	Q_CONTACT_ADD, Q_CONTACT_IS, Q_COUNT_MSG, Q_COUNT_OUT, Q_LAST
};

static const char *const stmt_sql[Q_LAST] = {
	[Q_SEEN] = "SELECT 1 FROM messages WHERE source_id = ?1 UNION ALL "
	           "SELECT 1 FROM messages WHERE message_id = ?2 LIMIT 1",
	[Q_REC_MSG] = "INSERT INTO messages(source_id, message_id, sender, "
	              "subject, class, status, error, at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	              "ON CONFLICT(source_id) DO UPDATE SET "
	              "message_id = excluded.message_id, sender = excluded.sender, "
	              "subject = excluded.subject, class = excluded.class, "
	              "status = excluded.status, error = excluded.error, "
	              "at = excluded.at",
	[Q_REC_OUT] = "INSERT OR REPLACE INTO outputs(message_id, kind, action, "
	              "relpath, uid, sequence, due, sha256, at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_SEQ] = "SELECT sequence FROM outputs WHERE uid = ?1",
	[Q_FOLDER_GET] = "SELECT uidvalidity, last_uid FROM folders "
	                 "WHERE folder = ?1",
	[Q_FOLDER_SET] = "INSERT INTO folders(folder, uidvalidity, last_uid, at) "
	                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(folder) DO UPDATE "
	                 "SET uidvalidity = excluded.uidvalidity, "
	                 "last_uid = excluded.last_uid, at = excluded.at",
	[Q_CONTACT_ADD] = "INSERT OR IGNORE INTO contacts(addr, at) "
	                  "VALUES (?1, ?2)",
	[Q_CONTACT_IS] = "SELECT 1 FROM contacts WHERE addr = ?1",
	[Q_COUNT_MSG] = "SELECT count(*) FROM messages",
	[Q_COUNT_OUT] = "SELECT count(*) FROM outputs",
};

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
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

struct gr_state {
	sqlite3 *db;
	char *path;             /* owned */
	int lock_fd;
	sqlite3_stmt *stmt[Q_LAST];     /* owned, prepared on first use */
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

/* The cached statement q, reset and unbound; NULL with err set on error. */
static sqlite3_stmt *
stmt(gr_state *st, enum stmt_id q, gr_error *err)
{
	sqlite3_stmt *s = st->stmt[q];

	if (!s) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[q], -1,
		                       SQLITE_PREPARE_PERSISTENT, &s,
		                       NULL) != SQLITE_OK) {
			db_error(st, err, "prepare");
			return NULL;
		}
		st->stmt[q] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
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
		rc = exec(st, "PRAGMA synchronous = FULL", err);
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
	for (int i = 0; i < Q_LAST; i++)
		sqlite3_finalize(st->stmt[i]);
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
	sqlite3_stmt *s = stmt(st, Q_SEEN, NULL);
	long long v;

	if (!s)
		return -GR_E_STATE;
	bind_text(s, 1, source_id);
	bind_text(s, 2, message_id);
	v = query_int(st, s);
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
	if (!(s = stmt(st, Q_REC_MSG, err)))
		return GR_E_STATE;
	bind_text(s, 1, source_id);
	bind_text(s, 2, message_id);
	bind_text(s, 3, from);
	bind_text(s, 4, subject);
	bind_text(s, 5, cls);
	bind_text(s, 6, status);
	bind_text(s, 7, error);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)when);
	return step_write(st, s, "recording a message", err);
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
	if (!(s = stmt(st, Q_REC_OUT, err)))
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
	return step_write(st, s, "recording an output", err);
}

int
gr_state_sequence_of(gr_state *st, const char *uid)
{
	sqlite3_stmt *s;
	long long v;

	if (!uid || !*uid || !(s = stmt(st, Q_SEQ, NULL)))
		return -1;
	bind_text(s, 1, uid);
	v = query_int(st, s);
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
	if (!(s = stmt(st, Q_FOLDER_GET, err)))
		return GR_E_STATE;
	bind_text(s, 1, folder);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
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
	if (!(s = stmt(st, Q_FOLDER_SET, err)))
		return GR_E_STATE;
	bind_text(s, 1, folder);
	sqlite3_bind_int64(s, 2, uidvalidity);
	sqlite3_bind_int64(s, 3, last_uid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	return step_write(st, s, "recording a folder mark", err);
}

gr_status
gr_state_add_contact(gr_state *st, const char *addr, gr_error *err)
{
	sqlite3_stmt *s;

	if (!addr || !*addr)
		return GR_OK;
	if (!(s = stmt(st, Q_CONTACT_ADD, err)))
		return GR_E_STATE;
	bind_text(s, 1, addr);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	return step_write(st, s, "recording a contact", err);
}

int
gr_state_is_contact(gr_state *st, const char *addr)
{
	sqlite3_stmt *s;

	if (!addr || !*addr || !(s = stmt(st, Q_CONTACT_IS, NULL)))
		return 0;
	bind_text(s, 1, addr);
	return query_int(st, s) == 1;
}

gr_status
gr_state_counts(gr_state *st, long *messages, long *outputs, gr_error *err)
{
	sqlite3_stmt *s;
	long long m = -2, o = -2;

	if ((s = stmt(st, Q_COUNT_MSG, err)))
		m = query_int(st, s);
	if ((s = stmt(st, Q_COUNT_OUT, err)))
		o = query_int(st, s);
	if (m < 0 || o < 0)
		return db_error(st, err, "counting");
	*messages = (long)m;
	*outputs = (long)o;
	return GR_OK;
}
