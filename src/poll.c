/* SPDX-License-Identifier: MIT */
/*
 * poll.c - the main job: source -> message -> classify -> act -> outputs,
 * with the state beside it.
 *
 * Per message, in this order: render outputs with
 * deterministic names, write each atomically (temp file, rename), record
 * the message and its outputs, then tell the source it is done (so an IMAP
 * high-water mark moves only past recorded mail).  Messages are grouped in
 * batches of POLL_BATCH: one transaction per batch, opened before the first
 * record; before it commits, one syncfs(2) makes every file of the batch
 * durable (instead of two fsyncs per file).  A crash before the commit
 * means the batch is processed again and the same files are rewritten;
 * nothing is lost and nothing doubles.  Log lines are written after the
 * commit that records their messages.  The parser worker parses the next
 * message while this process classifies and plans the one before.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "gravity/caldav.h"
#include "gravity/calendar.h"
#include "gravity/classify.h"
#include "gravity/draft.h"
#include "gravity/extract.h"
#include "gravity/fileio.h"
#include "gravity/imap.h"
#include "gravity/lifecycle.h"
#include "gravity/message.h"
#include "gravity/poll.h"
#include "gravity/source.h"
#include "gravity/state.h"
#include "gravity/buf.h"
#include "gravity/util.h"

/* The state's key is the drafts' (gr_plan_ctx.draft_key). */
_Static_assert(GR_STATE_DRAFT_KEY_LEN == GR_DRAFT_KEY_LEN,
               "the state's draft key is a draft key");

#define POLL_BATCH      100             /* messages per transaction */
#define POLL_LOG_MAX    (64u << 20)     /* bytes of log lines held */

struct poll_run {
	const gr_poll_opts *o;
	gr_poll_stats *stats;
	gr_state *state;        /* NULL on --dry-run */
	gr_parser *parser;
	int log_fd;             /* OUT/log.jsonl, -1 on --dry-run */
	gr_source *src;         /* foreign: for gr_source_append() */
	gr_life life;           /* threads, follow-ups, ledger, feed */
	int in_batch;           /* a transaction is open */
	size_t batch_n;         /* messages recorded in it */
	gr_buf log;             /* log lines waiting for the commit */
	int parser_gone;        /* the parser spawner died: stop the poll */
	int setup_stop;         /* the owner's setup failed a message: stop */
	int marked;             /* OUT/.gravity-polling is ours to remove */
	int out_lock;           /* OUT/.gravity.lock, held; -1 when not */
};

enum { REC_PLAIN, REC_INCOMING, REC_OWNER };

/* What a message is recorded under besides its source identity: the
 * Message-ID it came with (kept even when another message carries it
 * too) and its digest (Message-ID, From, Date and body). */
typedef struct msg_key {
	const char *mid;
	char digest[65];
} msg_key;

static void
msg_key_of(const gr_message *m, msg_key *k)
{
	char body[65], *from = gr_strdup(m->from.addr ? m->from.addr : "");
	gr_buf b;

	k->mid = m->message_id;
	memset(k->digest, 0, sizeof k->digest);
	if (!from)
		return;         /* out of memory: no digest */
	gr_str_lower(from);
	gr_sha256_hex(m->text ? m->text : "", m->text ? strlen(m->text) : 0,
	              body);
	/* the fields NUL-separated, so none can run into the next */
	gr_buf_init(&b, 1u << 16);
	if (gr_buf_printf(&b, "%s%c%s%c%lld%c%s", m->message_id ?
	                  m->message_id : "", 0, from, 0, (long long)m->date,
	                  0, body) == GR_OK)
		gr_sha256_hex(b.data, b.len, k->digest);
	gr_buf_free(&b);
	free(from);
}

/* gr_plan_ctx.seen_from over the state. */
static int
seen_from(void *aux, const char *const *ids, size_t n, const char *addr)
{
	return gr_state_seen_from(aux, ids, n, addr);
}

static int
known_contact(void *aux, const char *addr)
{
	return aux && addr ? gr_state_is_contact(aux, addr) == 1 : 0;
}

static int
sequence_of(void *aux, const char *uid)
{
	return aux ? gr_state_sequence_of(aux, uid) : -1;
}

static const char *
nz(const char *s)
{
	return s ? s : "";
}

/* Append one JSON line to OUT/log.jsonl (one write(2), O_APPEND). */
static void
log_line(struct poll_run *pr, const gr_raw_msg *raw, const gr_message *m,
         const gr_verdict *v, const gr_plan *pl, const char *status,
         const char *error)
{
	cJSON *o;
	char *s;
	size_t n;

	if (pr->log_fd < 0)
		return;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddStringToObject(o, "source_id", nz(raw->source_id));
	cJSON_AddStringToObject(o, "status", status);
	if (m) {
		cJSON_AddStringToObject(o, "message_id", nz(m->message_id));
		cJSON_AddStringToObject(o, "from", nz(m->from.addr));
		cJSON_AddStringToObject(o, "subject", nz(m->subject));
	}
	if (v) {
		cJSON *rules = cJSON_CreateArray();

		cJSON_AddStringToObject(o, "class", gr_class_name(v->cls));
		cJSON_AddNumberToObject(o, "score", v->scores[v->cls]);
		for (size_t i = 0; i < v->n_hits; i++)
			cJSON_AddItemToArray(rules,
			                     cJSON_CreateString(v->hits[i].rule));
		cJSON_AddItemToObject(o, "rules", rules);
		if (v->override)
			cJSON_AddStringToObject(o, "override", v->override);
		if (v->budget.cut) {
			char why[512];

			snprintf(why, sizeof why, "the rules used up the message's "
			         "%.1f s of CPU time at rule %.200s: classified with "
			         "the %zu of %zu rules evaluated before",
			         v->budget.cpu_seconds, nz(v->budget.cut_rule),
			         v->budget.rules_done, v->budget.rules_total);
			cJSON_AddStringToObject(o, "deadline", why);
		}
		if (v->budget.limits)
			cJSON_AddNumberToObject(o, "match_limits",
			                        (double)v->budget.limits);
	}
	if (pl) {
		cJSON *outs = cJSON_CreateArray();

		for (size_t i = 0; i < pl->n; i++)
			cJSON_AddItemToArray(outs, cJSON_CreateString(pl->v[i].relpath));
		cJSON_AddItemToObject(o, "outputs", outs);
	}
	if (error)
		cJSON_AddStringToObject(o, "error", error);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return;
	n = strlen(s);
	if (gr_buf_add(&pr->log, s, n) != GR_OK ||
	    gr_buf_addc(&pr->log, '\n') != GR_OK)
		fprintf(stderr, "gravity: %s/log.jsonl: too many lines held\n",
		        pr->o->out_dir);
	free(s);
}

/* Write the held log lines (one write(2), O_APPEND). */
static void
log_flush(struct poll_run *pr)
{
	if (pr->log_fd >= 0 && pr->log.len > 0 &&
	    write(pr->log_fd, pr->log.data, pr->log.len) != (ssize_t)pr->log.len)
		fprintf(stderr, "gravity: %s/log.jsonl: %s\n", pr->o->out_dir,
		        strerror(errno));
	gr_buf_reset(&pr->log);
}

/* Open the batch transaction if none is open. */
static gr_status
batch_begin(struct poll_run *pr, gr_error *err)
{
	gr_status st;

	if (pr->in_batch)
		return GR_OK;
	st = gr_state_begin(pr->state, err);
	if (st == GR_OK)
		pr->in_batch = 1;
	return st;
}

/* Make the batch's files durable, commit it, then write its log lines. */
static gr_status
batch_commit(struct poll_run *pr, gr_error *err)
{
	gr_status st;

	if (!pr->in_batch)
		return GR_OK;
	pr->in_batch = 0;
	pr->batch_n = 0;
	st = gr_sync_fs(pr->o->out_dir, err);
	if (st == GR_OK)
		st = gr_state_commit(pr->state, err);
	if (st != GR_OK) {
		gr_state_rollback(pr->state);
		gr_buf_reset(&pr->log);
		return st;
	}
	log_flush(pr);
	return GR_OK;
}

static void
batch_abort(struct poll_run *pr)
{
	if (pr->in_batch)
		gr_state_rollback(pr->state);
	pr->in_batch = 0;
	pr->batch_n = 0;
	gr_buf_reset(&pr->log);
}

/* A message that cannot be processed: say so, record it, go on. */
static gr_status
poll_failed(struct poll_run *pr, const gr_raw_msg *raw, const gr_error *perr)
{
	gr_error err;

	pr->stats->failed++;
	gr_term_line(stderr, "gravity: %s: skipped: %s", nz(raw->source_id),
	             perr->msg);
	log_line(pr, raw, NULL, NULL, NULL, "failed", perr->msg);
	if (!pr->state)
		return GR_OK;
	if (batch_begin(pr, &err) != GR_OK ||
	    gr_state_record_message(pr->state, raw->source_id, NULL, NULL, NULL,
	                            NULL, NULL, "failed", perr->msg, time(NULL),
	                            &err) != GR_OK) {
		gr_term_line(stderr, "gravity: %s", err.msg);
		return err.status;
	}
	return GR_OK;
}

static gr_status
write_outputs(struct poll_run *pr, const gr_plan *pl, gr_error *err)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < pl->n; i++) {
		const gr_output *out = &pl->v[i];
		int n = snprintf(path, sizeof path, "%s/%s", pr->o->out_dir,
		                 out->relpath);
		gr_status st;

		if (n < 0 || (size_t)n >= sizeof path || strstr(out->relpath, ".."))
			return gr_error_set(err, GR_E_INTERNAL,
			                    "refusing output path %s", out->relpath);
		st = gr_write_atomic_nosync(path, out->content, out->len, err);
		if (st != GR_OK)
			return st;
	}
	return GR_OK;
}

/* Record m (under key) and its outputs, then what it changes in its
 * thread.  Outputs are recorded under m's Message-ID, or its source
 * identity when it has none (or one another message carries). */
static gr_status
record_all(struct poll_run *pr, const gr_raw_msg *raw, const gr_message *m,
           const msg_key *key, const gr_verdict *v, const gr_plan *pl,
           int life, gr_error *err)
{
	gr_state *st = pr->state;
	gr_status s;

	s = batch_begin(pr, err);
	if (s != GR_OK)
		return s;
	s = gr_state_record_message(st, raw->source_id, key->mid, key->digest,
	                            m->from.addr, m->subject,
	                            life == REC_PLAIN ? "duplicate" :
	                            v ? gr_class_name(v->cls) : "sent",
	                            "ok", NULL, time(NULL), err);
	for (size_t i = 0; s == GR_OK && pl && i < pl->n; i++) {
		const gr_output *out = &pl->v[i];
		char hash[65];

		gr_sha256_hex(out->content, out->len, hash);
		s = gr_state_record_output(st, m->message_id ? m->message_id :
		                           raw->source_id,
		                           out->kind == GR_OUT_REMINDER ?
		                           "reminder" : "draft", out->action,
		                           out->relpath, out->uid, out->sequence,
		                           out->due, hash, err);
	}
	if (s == GR_OK && life == REC_INCOMING && v)
		s = gr_life_incoming(&pr->life, m, v, pl, err);
	else if (s == GR_OK && life == REC_OWNER)
		s = gr_life_owner_message(&pr->life, m, err);
	return s;
}

/* The owner's own sent mail: remember whom they write to. */
static gr_status
poll_sent(struct poll_run *pr, const gr_raw_msg *raw, const gr_message *m,
          const msg_key *key, gr_error *err)
{
	const gr_addrlist *lists[3] = { &m->to, &m->cc, &m->bcc };

	if (!pr->state)
		return GR_OK;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (lists[l]->v[i].addr &&
			    gr_state_add_contact(pr->state, lists[l]->v[i].addr,
			                         err) != GR_OK)
				return err->status;
	return record_all(pr, raw, m, key, NULL, NULL, REC_OWNER, err);
}

static void
print_plan(struct poll_run *pr, const gr_raw_msg *raw, const gr_message *m,
           const gr_verdict *v, const gr_plan *pl)
{
	FILE *fp = pr->o->summary;

	if (!fp || (!pr->o->verbose && !pr->o->dry_run && pl->n == 0))
		return;
	gr_term_line(fp, "%-14s %s: %s", gr_class_name(v->cls),
	            nz(m->from.addr), nz(m->subject));
	for (size_t i = 0; i < pl->n; i++)
		gr_term_line(fp, "    %s%s", pr->o->dry_run ? "(dry run) " : "",
		            pl->v[i].summary);
	(void)raw;
}

/* Drafts also go to the mailbox when the source does that (IMAP with
 * append-drafts).  Before the state commit, like the files: the driver
 * skips a draft already there, so a rerun after a failure or crash never
 * doubles it, and a failed append is retried by the next poll. */
static gr_status
append_drafts(struct poll_run *pr, const gr_plan *pl, gr_error *err)
{
	gr_status st = GR_OK;

	for (size_t i = 0; st == GR_OK && i < pl->n; i++)
		if (pl->v[i].kind == GR_OUT_DRAFT)
			st = gr_source_append(pr->src, NULL, pl->v[i].content,
			                      pl->v[i].len, pl->v[i].uid, err);
	return st;
}

/* 1 when a classify or plan error belongs to the message itself (it
 * cannot be parsed, or it is over a bound): recorded failed.  Any other
 * comes from the owner's setup or the machine and must not consume it. */
static int
message_fault(gr_status st)
{
	return st == GR_E_PARSE || st == GR_E_LIMIT || st == GR_E_CRASH;
}

/* The error that stops a poll on a message without consuming it: the
 * setup's (exit 78) or the machine's, one line. */
static gr_status
not_consumed(const gr_raw_msg *raw, gr_status st, const char *why,
             gr_error *err)
{
	char w[sizeof err->msg];

	snprintf(w, sizeof w, "%s", why);
	return gr_error_set(err, st == GR_E_CONFIG ? GR_E_SETUP : st,
	                    "%s: %.700s; fix it and poll again: this message "
	                    "and the ones after it were not recorded",
	                    nz(raw->source_id), w);
}

/* The outputs for m classified as v: what its class asks, unless it
 * answers a double opt-in (the partner's or the requester's reply), which
 * brings the introduction instead. */
static gr_status
plan_message(struct poll_run *pr, const gr_message *m, const gr_verdict *v,
             const gr_plan_ctx *pctx, gr_plan *pl, gr_error *err)
{
	int optin = 0;
	gr_status st = GR_OK;

	if (pr->state)
		st = gr_life_optin(&pr->life, m, pctx, pl, &optin, err);
	if (st == GR_OK && !optin)
		st = gr_actions_plan(pr->o->policy, pr->o->rules, m, v, pctx, pl,
		                     err);
	return st;
}

/* 1 if the state has recorded the message source_id names. */
static int
poll_seen(struct poll_run *pr, const char *source_id)
{
	return pr->state && gr_state_seen(pr->state, source_id, NULL) == 1;
}

static gr_status poll_parsed(struct poll_run *pr, const gr_raw_msg *raw,
                             gr_status st, gr_message *m, gr_extract *x,
                             const gr_error *perr, gr_error *err);
static gr_status poll_read(struct poll_run *pr, const gr_raw_msg *raw,
                           gr_status st, gr_message *m, gr_extract *x,
                           const gr_error *perr, gr_error *err);

/* Process one raw message.  Returns non-OK only for errors that must stop
 * the poll (state or output directory failures, the owner's setup). */
static gr_status
poll_one(struct poll_run *pr, const gr_raw_msg *raw, gr_error *err)
{
	gr_message *m = NULL;
	gr_error perr;
	gr_status st;

	if (poll_seen(pr, raw->source_id)) {
		pr->stats->skipped++;
		return GR_OK;
	}
	gr_error_clear(&perr);
	st = gr_parser_parse(pr->parser, raw->data, raw->len, &m, &perr);
	return poll_parsed(pr, raw, st, m, gr_parser_reading(pr->parser),
	                   &perr, err);
}

/* poll_one() after the parse: st and m, x m's reading or NULL (both
 * owned, freed here), perr what the parser said. */
static gr_status
poll_parsed(struct poll_run *pr, const gr_raw_msg *raw, gr_status st,
            gr_message *m, gr_extract *x, const gr_error *perr_in,
            gr_error *err)
{
	gr_status r = poll_read(pr, raw, st, m, x, perr_in, err);

	gr_extract_free(x);
	free(x);
	return r;
}

static gr_status
poll_read(struct poll_run *pr, const gr_raw_msg *raw, gr_status st,
          gr_message *m, gr_extract *x, const gr_error *perr_in,
          gr_error *err)
{
	gr_verdict v;
	gr_plan pl = { 0 };
	gr_classify_ctx cctx = { known_contact, pr->state };
	gr_plan_ctx pctx = { pr->life.now, sequence_of, pr->state, NULL,
	                     pr->life.cal, seen_from,
	                     gr_state_draft_key(pr->state), x };
	gr_error perr = *perr_in;
	msg_key key;
	int match = GR_MSGID_NEW;

	memset(&v, 0, sizeof v);
	if (st == GR_E_INTERNAL) {
		/* No worker can be had (src/parser.c): not this message's
		 * fault, so record nothing; stop, and the next poll retries. */
		pr->parser_gone = 1;
		*err = perr;
		return st;
	}
	if (st != GR_OK)
		return poll_failed(pr, raw, &perr);
	/* A message is its source identity; its Message-ID says whether it
	 * was met before only when From, Date and body agree too. */
	msg_key_of(m, &key);
	if (pr->state && key.mid)
		match = gr_state_msgid_match(pr->state, key.mid, key.digest);
	if (match == GR_MSGID_SAME) {
		/* The same message under another identity (a second folder,
		 * a copy, a new UIDVALIDITY): remember it, make nothing. */
		pr->stats->skipped++;
		st = record_all(pr, raw, m, &key, NULL, NULL, REC_PLAIN, err);
		if (st == GR_OK)
			log_line(pr, raw, m, NULL, NULL, "duplicate", NULL);
		gr_message_free(m);
		return st;
	}
	if (match == GR_MSGID_OTHER)
		/* Another message came with this Message-ID first: this one
		 * is judged, named and threaded by its source identity, and
		 * its Message-ID answers nothing and closes nothing. */
		m->message_id = NULL;
	/* The owner's own mail (Sent folder, or From the owner in any
	 * folder, as a Maildir cannot tell): it answers, it is not asked. */
	if (raw->is_sent || gr_life_from_owner(&pr->life, m)) {
		st = poll_sent(pr, raw, m, &key, err);
		m->message_id = (char *)key.mid;
		gr_message_free(m);
		return st;
	}
	pctx.source_id = raw->source_id;
	st = gr_classify(pr->o->rules, m, &cctx, &v, &perr);
	if (st == GR_OK && pr->state && gr_life_answered(&pr->life, m)) {
		/* Already answered before gravity saw it: nothing to do. */
		if (pr->o->verbose && pr->o->summary)
			gr_term_line(pr->o->summary, "%-14s %s: %s (already "
			            "answered)", gr_class_name(v.cls),
			            nz(m->from.addr), nz(m->subject));
	} else if (st == GR_OK)
		st = plan_message(pr, m, &v, &pctx, &pl, &perr);
	if (st != GR_OK && !message_fault(perr.status)) {
		/* The owner's setup (profile, policy, templates), not this
		 * message: record nothing, stop, and the next poll after the
		 * fix reads it again. */
		pr->setup_stop = 1;
		st = not_consumed(raw, st, perr.msg, err);
		goto out;
	}
	if (st != GR_OK) {
		st = poll_failed(pr, raw, &perr);
		goto out;
	}
	pr->stats->processed++;
	pr->stats->by_class[v.cls]++;
	print_plan(pr, raw, m, &v, &pl);
	if (!pr->o->dry_run) {
		st = write_outputs(pr, &pl, err);
		if (st == GR_OK)
			st = append_drafts(pr, &pl, err);
		if (st == GR_OK)
			st = record_all(pr, raw, m, &key, &v, &pl, REC_INCOMING, err);
		if (st == GR_E_CONFIG)  /* the lifecycle's setup: rolled back */
			st = not_consumed(raw, st, err->msg, err);
		if (st != GR_OK)
			goto out;
	}
	m->message_id = (char *)key.mid;        /* the log shows the one it had */
	/* Counted on --dry-run too: the summary says what it would write. */
	for (size_t i = 0; i < pl.n; i++) {
		if (pl.v[i].kind == GR_OUT_REMINDER)
			pr->stats->reminders++;
		else
			pr->stats->drafts++;
	}
	if (!pr->o->dry_run)
		log_line(pr, raw, m, &v, &pl, "ok", NULL);
out:
	m->message_id = (char *)key.mid;
	gr_plan_free(&pl);
	gr_verdict_free(&v);
	gr_message_free(m);
	return st;
}

/* OUT/.gravity-polling: present while a poll may have temporary files. */
static gr_status
poll_marker(const gr_poll_opts *o, char *path, size_t len, gr_error *err)
{
	int n = snprintf(path, len, "%s/.gravity-polling", o->out_dir);

	if (n < 0 || (size_t)n >= len)
		return gr_error_set(err, GR_E_IO, "%s: path too long",
		                    o->out_dir);
	return GR_OK;
}

/* The output directory cannot be made or written: say which and what to
 * do, keeping the system's reason. */
static gr_status
out_dir_error(const gr_poll_opts *o, gr_error *err)
{
	char why[sizeof err->msg];

	snprintf(why, sizeof why, "%s", err->msg);
	return gr_error_set(err, GR_E_IO, "output directory %s cannot be "
	                    "created or written (%.700s): make it writable, or "
	                    "name another with out-dir in the config or --out",
	                    o->out_dir, why);
}

static gr_status
poll_prepare(struct poll_run *pr, gr_error *err)
{
	const gr_poll_opts *o = pr->o;
	char path[PATH_MAX];
	const char *sub[] = { "reminders", "drafts" };
	gr_status st;
	int fd;

	/* One output directory, one poll: whatever the state, a second poll
	 * on OUT stops here, before it touches anything in it.  OUT and its
	 * directories are this user's own, 0700, and no links. */
	if (gr_mkdirs(o->out_dir, err) != GR_OK)
		return out_dir_error(o, err);
	if ((st = gr_private_dir(o->out_dir, err)) != GR_OK)
		return st;
	if ((st = gr_dir_lock(o->out_dir, &pr->out_lock, err)) != GR_OK)
		return st == GR_E_LOCKED ? st : out_dir_error(o, err);
	for (int i = 0; i < 2; i++) {
		int n = snprintf(path, sizeof path, "%s/%s", o->out_dir, sub[i]);

		if (n < 0 || (size_t)n >= sizeof path)
			return gr_error_set(err, GR_E_IO, "%s: path too long",
			                    o->out_dir);
		if (gr_mkdirs(path, err) != GR_OK)
			return out_dir_error(o, err);
		if ((st = gr_private_dir(path, err)) != GR_OK)
			return st;
	}
	snprintf(path, sizeof path, "%s", o->state_path);
	if (strrchr(path, '/') && strrchr(path, '/') != path) {
		*strrchr(path, '/') = '\0';
		if ((st = gr_mkdirs(path, err)) != GR_OK)
			return st;
	}
	snprintf(path, sizeof path, "%s/log.jsonl", o->out_dir);
	pr->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	                  O_NOFOLLOW, 0600);
	if (pr->log_fd < 0 && errno == ELOOP)
		return gr_error_set(err, GR_E_IO, "%s: a symbolic link: gravity "
		                    "writes only its own file there (remove the "
		                    "link)", path);
	if (pr->log_fd < 0) {
		gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
		return out_dir_error(o, err);
	}
	if ((st = gr_state_open(o->state_path, &pr->state, err)) != GR_OK)
		return st;
	/* Only now, holding OUT's lock: temporary files left by a killed
	 * poll, never those of a poll still running.  A marker lives while a
	 * poll runs; only when a poll died with it in place are the output
	 * directories scanned (a poll that finds nothing new must not cost
	 * more with every file it ever wrote). */
	if (poll_marker(o, path, sizeof path, err) != GR_OK)
		return GR_E_IO;
	if (access(path, F_OK) == 0)
		for (int i = 0; i < 3; i++) {
			char dir[PATH_MAX];
			int n = i < 2 ? snprintf(dir, sizeof dir, "%s/%s",
			                         o->out_dir, sub[i]) :
			                snprintf(dir, sizeof dir, "%s", o->out_dir);

			if (n > 0 && (size_t)n < sizeof dir &&
			    (st = gr_clean_tmp(dir, err)) != GR_OK)
				return st;
		}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return gr_error_set(err, GR_E_IO, "%s: %s", path, strerror(errno));
	close(fd);
	pr->marked = 1;
	return GR_OK;
}

static void
poll_summary(const gr_poll_opts *o, const gr_poll_stats *s)
{
	if (!o->summary)
		return;
	fprintf(o->summary, "gravity: %ld new message%s", s->processed,
	        s->processed == 1 ? "" : "s");
	for (int c = 0; c < GR_CLASS_COUNT; c++)
		if (s->by_class[c])
			fprintf(o->summary, ", %ld %s", s->by_class[c],
			        gr_class_name((gr_class)c));
	fprintf(o->summary, "; %s%ld reminder%s, %ld draft%s",
	        o->dry_run ? "would write " : "", s->reminders,
	        s->reminders == 1 ? "" : "s", s->drafts, s->drafts == 1 ? "" : "s");
	if (s->closed)
		fprintf(o->summary, "; %ld answered", s->closed);
	if (s->followups)
		fprintf(o->summary, "; %ld follow-up%s", s->followups,
		        s->followups == 1 ? "" : "s");
	if (s->withdrawn)
		fprintf(o->summary, "; %ld follow-up%s withdrawn", s->withdrawn,
		        s->withdrawn == 1 ? "" : "s");
	if (s->pushed)
		fprintf(o->summary, "; %ld pushed to CalDAV", s->pushed);
	if (s->skipped)
		fprintf(o->summary, "; %ld already seen", s->skipped);
	if (s->failed)
		fprintf(o->summary, "; %ld failed (see log)", s->failed);
	fprintf(o->summary, "\n");
}

/* After the local work is written and recorded: a failed push is one line
 * on stderr, never a failed poll; what was not pushed stays pending in the
 * state for the next poll. */
static void
push_caldav(struct poll_run *pr)
{
	gr_caldav_stats cs;
	gr_error e;

	if (!pr->o->caldav || !pr->o->caldav->url)
		return;
	if (gr_caldav_push(pr->o->caldav, pr->state, pr->o->out_dir, &cs, &e) !=
	    GR_OK)
		gr_term_line(stderr, "gravity: %s; %ld reminder%s not pushed, "
		             "will retry next poll", e.msg, cs.failed,
		             cs.failed == 1 ? "" : "s");
	pr->stats->pushed = cs.pushed + cs.deleted;
	pr->stats->push_failed = cs.failed;
}

/* The poll's time and result, for 'gravity status' (in the state) and,
 * when it stopped, for whoever reads the log: a scheduled poll whose login
 * is refused must leave a trace where its output goes. */
static void
poll_record(struct poll_run *pr, gr_status st, const gr_error *err)
{
	const gr_poll_opts *o = pr->o;
	gr_state_poll p = { 0 };
	gr_error e;
	const char *first;
	size_t nw = gr_warnings(&first);
	char warned[700];

	p.account = o->account ? o->account : o->source;
	p.at = time(NULL);
	p.status = st == GR_OK ? "ok" : "failed";
	p.error = st == GR_OK ? NULL : err->msg;
	if (st == GR_OK && nw) {
		/* A poll that completed with warnings (a folder skipped...)
		 * keeps them where 'gravity status' shows them. */
		snprintf(warned, sizeof warned, "%zu warning%s: %s", nw,
		         nw == 1 ? "" : "s", first);
		p.error = warned;
	}
	p.processed = pr->stats->processed;
	p.failed = pr->stats->failed;
	if (st != GR_OK && pr->log_fd >= 0) {
		cJSON *j = cJSON_CreateObject();
		char *s;

		cJSON_AddNumberToObject(j, "time", (double)p.at);
		cJSON_AddStringToObject(j, "status", "poll-failed");
		cJSON_AddStringToObject(j, "account", nz(p.account));
		cJSON_AddNumberToObject(j, "exit", gr_status_to_exit(st));
		cJSON_AddStringToObject(j, "error", err->msg);
		s = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (s) {
			size_t n = strlen(s);

			s[n] = '\n';   /* replaces the NUL: written by length */
			/* On a full disk the poll's own error says so: its
			 * copy that cannot be logged is no second error. */
			if (write(pr->log_fd, s, n + 1) != (ssize_t)(n + 1) &&
			    errno != ENOSPC && errno != EDQUOT && errno != EFBIG)
				fprintf(stderr, "gravity: %s/log.jsonl: %s\n",
				        o->out_dir, strerror(errno));
		}
		free(s);
	}
	if (pr->state && p.account &&
	    gr_state_poll_put(pr->state, &p, &e) != GR_OK)
		gr_term_line(stderr, "gravity: %s", e.msg);
}

/* --- redo ------------------------------------------------------------------ */

/* The next line of s[0..n) from *pos that a redo compares: a reminder's
 * DTSTAMP and SEQUENCE and a draft's Date header change on every
 * rendering, so they are left out.  NULL at the end. */
static const char *
kept_line(const char *s, size_t n, size_t *pos, int reminder, int *header,
          size_t *len)
{
	while (*pos < n) {
		const char *l = s + *pos, *nl = memchr(l, '\n', n - *pos);
		size_t ll = nl ? (size_t)(nl - l) : n - *pos;
		int skip;

		*pos += ll + (nl != NULL);
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			*header = 0;
		if (reminder)
			skip = (ll >= 8 && memcmp(l, "DTSTAMP:", 8) == 0) ||
			       (ll >= 9 && memcmp(l, "SEQUENCE:", 9) == 0);
		else
			skip = *header && ll >= 5 && strncasecmp(l, "Date:", 5) == 0;
		if (!skip) {
			*len = ll;
			return l;
		}
	}
	return NULL;
}

/* 1 if a and b differ only in the lines kept_line() leaves out. */
static int
same_output(const char *a, size_t na, const char *b, size_t nb, int reminder)
{
	size_t pa = 0, pb = 0, la, lb;
	int ha = 1, hb = 1;

	for (;;) {
		const char *x = kept_line(a, na, &pa, reminder, &ha, &la);
		const char *y = kept_line(b, nb, &pb, reminder, &hb, &lb);

		if (!x || !y)
			return !x && !y;
		if (la != lb || memcmp(x, y, la) != 0)
			return 0;
	}
}

static int
redo_selects(const gr_redo *r, const gr_state_msg *row)
{
	if (row->at < r->since)
		return 0;
	if (row->status && strcmp(row->status, "failed") == 0)
		return !r->nids && !r->cls;
	if (!row->cls || strcmp(row->cls, "sent") == 0 ||
	    strcmp(row->cls, "duplicate") == 0)
		return 0;       /* the owner's own mail, or a copy */
	if (r->cls && strcmp(row->cls, r->cls) != 0)
		return 0;
	for (size_t i = 0; i < r->nids; i++)
		if (row->message_id && strcmp(row->message_id, r->ids[i]) == 0)
			return 1;
	return r->nids == 0;
}

/* What a redo found for one message's outputs. */
struct redo_diff {
	gr_plan chg;            /* outputs to write (shallow copies) */
	const char **unchanged, **cancel, **removed, **kept;
	size_t nunchanged, ncancel, nremoved, nkept;
	const char **cancel_path;       /* relpath of each UID in cancel */
};

static void
redo_diff_free(struct redo_diff *d)
{
	free(d->chg.v);
	free(d->unchanged);
	free(d->cancel);
	free(d->cancel_path);
	free(d->removed);
	free(d->kept);
}

/* The file OUT/rel (NULL when absent) and whether its bytes are still
 * those recorded (sha256). */
static char *
redo_read(struct poll_run *pr, const char *rel, const char *sha256,
          size_t *len, int *pristine)
{
	char path[PATH_MAX], hash[65], *data = NULL;
	gr_error e;
	int n = snprintf(path, sizeof path, "%s/%s", pr->o->out_dir, rel);

	*pristine = 0;
	if (n < 0 || (size_t)n >= sizeof path || strstr(rel, "..") ||
	    gr_read_file(path, (size_t)64 << 20, &data, len, &e) != GR_OK)
		return NULL;
	gr_sha256_hex(data, *len, hash);
	*pristine = sha256 && strcmp(hash, sha256) == 0;
	return data;
}

/* Sort the new plan pl against the outputs recorded before (old). */
static gr_status
redo_compare(struct poll_run *pr, const gr_plan *pl, const gr_state_outs *old,
             struct redo_diff *d)
{
	size_t cap = pl->n + old->n + 1;

	memset(d, 0, sizeof *d);
	d->chg.v = calloc(cap, sizeof *d->chg.v);
	d->unchanged = calloc(cap, sizeof *d->unchanged);
	d->cancel = calloc(cap, sizeof *d->cancel);
	d->cancel_path = calloc(cap, sizeof *d->cancel_path);
	d->removed = calloc(cap, sizeof *d->removed);
	d->kept = calloc(cap, sizeof *d->kept);
	if (!d->chg.v || !d->unchanged || !d->cancel || !d->cancel_path ||
	    !d->removed || !d->kept)
		return GR_E_NOMEM;
	for (size_t i = 0; i < pl->n; i++) {
		const gr_output *o = &pl->v[i];
		const gr_state_out *was = NULL;
		int rem = o->kind == GR_OUT_REMINDER, pristine;
		size_t len = 0;
		char *cur;

		for (size_t k = 0; k < old->n && !was; k++)
			if (strcmp(old->v[k].relpath, o->relpath) == 0)
				was = &old->v[k];
		cur = redo_read(pr, o->relpath, was ? was->sha256 : NULL, &len,
		                &pristine);
		if (cur && was && !rem && !pristine)
			d->kept[d->nkept++] = o->relpath;       /* edited */
		else if (cur && same_output(cur, len, o->content, o->len, rem))
			d->unchanged[d->nunchanged++] = o->relpath;
		else
			d->chg.v[d->chg.n++] = *o;
		free(cur);
	}
	for (size_t k = 0; k < old->n; k++) {
		const gr_state_out *was = &old->v[k];
		int planned = 0, pristine;
		size_t len;
		char *cur;

		for (size_t i = 0; i < pl->n && !planned; i++)
			planned = strcmp(pl->v[i].relpath, was->relpath) == 0;
		if (planned)
			continue;
		cur = redo_read(pr, was->relpath, was->sha256, &len, &pristine);
		if (strcmp(was->kind, "reminder") == 0) {
			/* Only a pending one is cancelled (the file says). */
			if (was->uid && cur && !strstr(cur, "\nSTATUS:CANCELLED") &&
			    !strstr(cur, "\nSTATUS:COMPLETED")) {
				d->cancel_path[d->ncancel] = was->relpath;
				d->cancel[d->ncancel++] = was->uid;
			}
			free(cur);
			continue;
		}
		if (cur && !pristine)
			d->kept[d->nkept++] = was->relpath;
		else
			d->removed[d->nremoved++] = was->relpath;
		free(cur);
	}
	return GR_OK;
}

static cJSON *
str_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

/* One log line saying what the redo of a message changed (held until the
 * batch commits, like the poll's). */
static void
redo_log(struct poll_run *pr, const char *source_id, const char *message_id,
         const char *cls, const char *was, const struct redo_diff *d,
         const char *const *cancelled, size_t ncancelled)
{
	cJSON *o = cJSON_CreateObject(), *chg = cJSON_CreateArray();
	char *s;

	if (!o || !chg) {
		cJSON_Delete(o);
		cJSON_Delete(chg);
		return;
	}
	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	if (source_id)
		cJSON_AddStringToObject(o, "source_id", source_id);
	cJSON_AddStringToObject(o, "status", "redo");
	cJSON_AddStringToObject(o, "message_id", nz(message_id));
	cJSON_AddStringToObject(o, "class", cls);
	cJSON_AddStringToObject(o, "was", nz(was));
	for (size_t i = 0; i < d->chg.n; i++)
		cJSON_AddItemToArray(chg, cJSON_CreateString(d->chg.v[i].relpath));
	cJSON_AddItemToObject(o, "replaced", chg);
	cJSON_AddItemToObject(o, "unchanged", str_array(d->unchanged,
	                                                d->nunchanged));
	cJSON_AddItemToObject(o, "cancelled", str_array(cancelled, ncancelled));
	cJSON_AddItemToObject(o, "removed", str_array(d->removed, d->nremoved));
	cJSON_AddItemToObject(o, "kept_edited", str_array(d->kept, d->nkept));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s && (gr_buf_addstr(&pr->log, s) != GR_OK ||
	          gr_buf_addc(&pr->log, '\n') != GR_OK))
		fprintf(stderr, "gravity: %s/log.jsonl: too many lines held\n",
		        pr->o->out_dir);
	free(s);
}

/* Write the redo's outputs and remove the drafts withdrawn; then, in the
 * batch, forget those and record the outputs written under message_id. */
static gr_status
redo_write(struct poll_run *pr, const char *message_id,
           const struct redo_diff *d, gr_error *err)
{
	gr_status st = write_outputs(pr, &d->chg, err);

	for (size_t i = 0; st == GR_OK && i < d->nremoved; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof path, "%s/%s", pr->o->out_dir,
		                 d->removed[i]);

		if (n > 0 && (size_t)n < sizeof path && unlink(path) != 0 &&
		    errno != ENOENT)
			st = gr_error_set(err, GR_E_IO, "%s: %s", path,
			                  strerror(errno));
	}
	if (st == GR_OK)
		st = batch_begin(pr, err);
	for (size_t i = 0; st == GR_OK && i < d->chg.n; i++) {
		const gr_output *out = &d->chg.v[i];
		char hash[65];

		gr_sha256_hex(out->content, out->len, hash);
		st = gr_state_record_output(pr->state, message_id,
		                            out->kind == GR_OUT_REMINDER ?
		                            "reminder" : "draft", out->action,
		                            out->relpath, out->uid, out->sequence,
		                            out->due, hash, err);
	}
	for (size_t i = 0; st == GR_OK && i < d->nremoved; i++)
		st = gr_state_output_forget(pr->state, d->removed[i], err);
	return st;
}

/* Write the redo's outputs, remove the drafts withdrawn, then record. */
static gr_status
redo_apply(struct poll_run *pr, const gr_raw_msg *raw, const gr_message *m,
           const gr_verdict *v, const gr_state_msg *row,
           const struct redo_diff *d, const char ***cancelled,
           size_t *ncancelled, gr_error *err)
{
	long before = pr->stats->cancelled;
	gr_status st = redo_write(pr, m->message_id ? m->message_id :
	                          raw->source_id, d, err);

	if (st == GR_OK)
		st = gr_state_record_message(pr->state, raw->source_id,
		                             row->message_id, row->digest,
		                             m->from.addr, m->subject,
		                             gr_class_name(v->cls), "ok", NULL,
		                             row->at, err);
	if (st == GR_OK)
		st = gr_life_redo(&pr->life, m, v, &d->chg, d->cancel, d->ncancel,
		                  &pr->stats->cancelled, err);
	*cancelled = d->cancel_path;
	*ncancelled = (size_t)(pr->stats->cancelled - before);
	if (*ncancelled != d->ncancel)  /* the state had it done already */
		*ncancelled = 0;
	pr->stats->cancelled += (long)d->nremoved;
	return st;
}

static void
redo_print(struct poll_run *pr, const char *addr, const char *subject,
           const char *cls, const char *was, const struct redo_diff *d,
           const char *const *cancelled, size_t ncancelled)
{
	FILE *fp = pr->o->summary;

	if (!fp || (!pr->o->verbose && d->chg.n == 0 && ncancelled == 0 &&
	            d->nremoved == 0 && d->nkept == 0 &&
	            strcmp(cls, nz(was)) == 0))
		return;
	gr_term_line(fp, "%-14s %s: %s%s%s%s", cls, nz(addr),
	             nz(subject), strcmp(cls, nz(was)) ? "  (was " : "",
	             strcmp(cls, nz(was)) ? nz(was) : "",
	             strcmp(cls, nz(was)) ? ")" : "");
	for (size_t i = 0; i < d->chg.n; i++)
		gr_term_line(fp, "    replaced %s", d->chg.v[i].relpath);
	for (size_t i = 0; i < ncancelled; i++)
		gr_term_line(fp, "    cancelled %s", cancelled[i]);
	for (size_t i = 0; i < d->nremoved; i++)
		gr_term_line(fp, "    removed %s", d->removed[i]);
	for (size_t i = 0; i < d->nkept; i++)
		gr_term_line(fp, "    kept %s (you edited it)", d->kept[i]);
	for (size_t i = 0; pr->o->verbose && i < d->nunchanged; i++)
		gr_term_line(fp, "    unchanged %s", d->unchanged[i]);
}

/* Redo one message the state knows: classify and plan it with the
 * current rules, then replace only what changed.  A failed message is
 * processed as a poll would, once more. */
static gr_status
redo_one(struct poll_run *pr, const gr_raw_msg *raw, gr_error *err)
{
	gr_state_msgs rows = { 0 };
	gr_state_outs old = { 0 };
	gr_message *m = NULL;
	gr_verdict v;
	gr_plan pl = { 0 };
	struct redo_diff d;
	gr_classify_ctx cctx = { known_contact, pr->state };
	gr_plan_ctx pctx = { pr->life.now, sequence_of, pr->state, NULL,
	                     pr->life.cal, seen_from,
	                     gr_state_draft_key(pr->state) };
	const char **cancelled = NULL;
	size_t ncancelled = 0;
	const gr_state_msg *row;
	msg_key key = { 0 };
	gr_error perr;
	gr_status st;

	memset(&v, 0, sizeof v);
	memset(&d, 0, sizeof d);
	st = gr_state_msg_list(pr->state, raw->source_id, 0, &rows, err);
	if (st != GR_OK || rows.n == 0 ||
	    !redo_selects(pr->o->redo, &rows.v[0])) {
		gr_state_msgs_free(&rows);
		return st;      /* new mail is the next poll's */
	}
	row = &rows.v[0];
	if (strcmp(row->status, "failed") == 0) {
		pr->stats->retried++;
		st = gr_state_retry(pr->state, raw->source_id, err);
		if (st == GR_OK)
			st = poll_one(pr, raw, err);
		gr_state_msgs_free(&rows);
		return st;
	}
	st = gr_parser_parse(pr->parser, raw->data, raw->len, &m, &perr);
	if (st == GR_E_INTERNAL) {
		pr->parser_gone = 1;
		*err = perr;
		goto out;
	}
	if (st != GR_OK) {
		st = poll_failed(pr, raw, &perr);
		goto out;
	}
	if (raw->is_sent || gr_life_from_owner(&pr->life, m))
		goto out;       /* the owner's: nothing to plan */
	/* As the poll judged it: a message whose Message-ID another one
	 * came with first is named by its source identity. */
	msg_key_of(m, &key);
	if (key.mid && gr_state_msgid_first(pr->state, key.mid,
	                                    raw->source_id) == 0)
		m->message_id = NULL;
	pctx.source_id = raw->source_id;
	st = gr_classify(pr->o->rules, m, &cctx, &v, &perr);
	if (st == GR_OK && gr_life_answered(&pr->life, m))
		goto out;       /* answered: its outputs are done with */
	if (st == GR_OK)
		st = plan_message(pr, m, &v, &pctx, &pl, &perr);
	if (st != GR_OK) {
		st = poll_failed(pr, raw, &perr);
		goto out;
	}
	st = gr_state_output_list(pr->state, m->message_id ? m->message_id :
	                          raw->source_id, 0, &old, err);
	if (st == GR_OK && redo_compare(pr, &pl, &old, &d) != GR_OK)
		st = gr_error_set(err, GR_E_NOMEM, "out of memory");
	if (st == GR_OK)
		st = redo_apply(pr, raw, m, &v, row, &d, &cancelled, &ncancelled,
		                err);
	if (st != GR_OK)
		goto out;
	pr->stats->redone++;
	pr->stats->by_class[v.cls]++;
	if (!row->cls || strcmp(row->cls, gr_class_name(v.cls)) != 0)
		pr->stats->reclassified++;
	pr->stats->replaced += (long)d.chg.n;
	pr->stats->unchanged += (long)d.nunchanged;
	pr->stats->kept += (long)d.nkept;
	redo_print(pr, m->from.addr, m->subject, gr_class_name(v.cls),
	           row->cls, &d, cancelled, ncancelled);
	redo_log(pr, nz(raw->source_id), m->message_id, gr_class_name(v.cls),
	         row->cls, &d, cancelled, ncancelled);
out:
	if (m)
		m->message_id = (char *)key.mid;
	redo_diff_free(&d);
	gr_state_outs_free(&old);
	gr_plan_free(&pl);
	gr_verdict_free(&v);
	gr_message_free(m);
	gr_state_msgs_free(&rows);
	return st;
}

/* Does the redo's selection take thread t's follow-up: a selection by
 * Message-ID names the owner's message it follows or the thread's first;
 * --class, the thread's class; --since, when the owner wrote. */
static int
redo_selects_thread(const gr_redo *r, const gr_state_thread *t)
{
	if (t->last_out < r->since)
		return 0;
	if (r->cls && (!t->cls || strcmp(t->cls, r->cls) != 0))
		return 0;
	for (size_t i = 0; i < r->nids; i++)
		if ((t->owner_msgid && strcmp(t->owner_msgid, r->ids[i]) == 0) ||
		    (t->thread && strcmp(t->thread, r->ids[i]) == 0))
			return 1;
	return r->nids == 0;
}

/* Redo the follow-ups written before: each one still pending (the other
 * side has not written back, the owner has not written again) is planned
 * again with the current rules and policy and replaced where it changed,
 * as a message's outputs are; withdrawn when no follow-up is planned
 * now.  They are the owner's message's outputs, so no mail is read. */
static gr_status
redo_followups(struct poll_run *pr, gr_error *err)
{
	gr_state_threads tl = { 0 };
	gr_status st;

	st = gr_state_thread_followed(pr->state, &tl, err);
	for (size_t i = 0; st == GR_OK && i < tl.n; i++) {
		const gr_state_thread *t = &tl.v[i];
		gr_state_outs all = { 0 }, old = { 0 };
		gr_state_rems rl = { 0 };
		gr_plan pl = { 0 };
		struct redo_diff d;
		long before = pr->stats->cancelled;
		size_t ncancelled, pending = 0;

		memset(&d, 0, sizeof d);
		if (!t->owner_msgid || !redo_selects_thread(pr->o->redo, t))
			continue;
		st = gr_state_output_list(pr->state, t->owner_msgid, 0, &all, err);
		if (st == GR_OK)
			st = gr_state_rem_list(pr->state, t->thread, 1, 0, &rl, err);
		/* Only a follow-up whose reminder is pending: one closed
		 * (they wrote back) is done with, as an answered message's
		 * outputs are. */
		for (size_t k = 0; st == GR_OK && k < rl.n; k++)
			pending += rl.v[k].action && rl.v[k].message_id &&
			           strcmp(rl.v[k].action, "followup") == 0 &&
			           strcmp(rl.v[k].message_id, t->owner_msgid) == 0;
		if (st == GR_OK && pending) {
			old.v = calloc(all.n + 1, sizeof *old.v);
			if (!old.v)
				st = gr_error_set(err, GR_E_NOMEM, "out of memory");
			for (size_t k = 0; old.v && k < all.n; k++)
				if (all.v[k].action &&
				    strcmp(all.v[k].action, "followup") == 0)
					old.v[old.n++] = all.v[k];
		}
		if (st == GR_OK && old.n)
			st = gr_life_followup_replan(&pr->life, t, &pl, err);
		if (st == GR_OK && old.n && redo_compare(pr, &pl, &old, &d) != GR_OK)
			st = gr_error_set(err, GR_E_NOMEM, "out of memory");
		if (st == GR_OK && old.n)
			st = redo_write(pr, t->owner_msgid, &d, err);
		if (st == GR_OK && old.n)
			st = gr_life_redo_thread(&pr->life, t->thread, t->owner_msgid,
			                         &d.chg, d.cancel, d.ncancel,
			                         &pr->stats->cancelled, err);
		if (st == GR_OK && old.n) {
			ncancelled = (size_t)(pr->stats->cancelled - before);
			if (ncancelled != d.ncancel)
				ncancelled = 0;
			pr->stats->cancelled += (long)d.nremoved;
			pr->stats->fu_redone++;
			pr->stats->replaced += (long)d.chg.n;
			pr->stats->unchanged += (long)d.nunchanged;
			pr->stats->kept += (long)d.nkept;
			redo_print(pr, t->peer_addr, t->subject, "followup",
			           "followup", &d, d.cancel_path, ncancelled);
			redo_log(pr, NULL, t->owner_msgid, "followup", "followup",
			         &d, d.cancel_path, ncancelled);
		}
		redo_diff_free(&d);
		free(old.v);
		gr_plan_free(&pl);
		gr_state_rems_free(&rl);
		gr_state_outs_free(&all);
	}
	gr_state_threads_free(&tl);
	return st;
}

static void
redo_summary(const gr_poll_opts *o, const gr_poll_stats *s)
{
	if (!o->summary)
		return;
	fprintf(o->summary, "gravity: redid %ld message%s (%ld changed class); "
	        "%ld output%s replaced, %ld unchanged, %ld withdrawn",
	        s->redone, s->redone == 1 ? "" : "s", s->reclassified,
	        s->replaced, s->replaced == 1 ? "" : "s", s->unchanged,
	        s->cancelled);
	if (s->kept)
		fprintf(o->summary, ", %ld edited draft%s kept", s->kept,
		        s->kept == 1 ? "" : "s");
	if (s->fu_redone)
		fprintf(o->summary, "; %ld follow-up%s planned again",
		        s->fu_redone, s->fu_redone == 1 ? "" : "s");
	if (s->retried)
		fprintf(o->summary, "; %ld failed message%s tried again (%ld "
		        "new, %ld failed)", s->retried, s->retried == 1 ? "" : "s",
		        s->processed, s->failed);
	fprintf(o->summary, "\n");
}

/* A message read ahead of the one being processed: what next() said, with
 * the source's strings copied (they last only until its next next()), and,
 * on a poll, whether the parser worker has it. */
struct ahead {
	gr_status st;           /* next()'s */
	gr_error serr;
	gr_raw_msg raw;         /* source_id and folder point into ids */
	char *ids;
	int parsing;            /* submitted to the parser */
	gr_status pst;          /* once collected: the parse */
	gr_message *m;
	gr_extract *x;          /* and the worker's reading of m, or NULL */
	gr_error perr;
};

static void
ahead_clear(struct ahead *a)
{
	free(a->ids);
	gr_message_free(a->m);
	gr_extract_free(a->x);
	free(a->x);
	memset(a, 0, sizeof *a);
}

/* Read the next message of src into a; on a poll, hand it to the parser
 * worker unless the state has it already.  GR_E_NOMEM only. */
static gr_status
read_ahead(struct poll_run *pr, gr_source *src, struct ahead *a)
{
	size_t ns, nf;

	memset(a, 0, sizeof *a);
	a->st = gr_source_next(src, &a->raw, &a->serr);
	if (!a->raw.source_id)
		return GR_OK;
	ns = strlen(a->raw.source_id) + 1;
	nf = a->raw.folder ? strlen(a->raw.folder) + 1 : 0;
	if (!(a->ids = malloc(ns + nf)))
		return GR_E_NOMEM;
	memcpy(a->ids, a->raw.source_id, ns);
	a->raw.source_id = a->ids;
	if (nf) {
		memcpy(a->ids + ns, a->raw.folder, nf);
		a->raw.folder = a->ids + ns;
	}
	if (a->st == GR_OK && !pr->o->redo && !poll_seen(pr, a->ids)) {
		gr_parser_submit(pr->parser, a->raw.data, a->raw.len);
		a->parsing = 1;
	}
	return GR_OK;
}

/* One message of read_source(). */
static gr_status
source_one(struct poll_run *pr, struct ahead *a, gr_error *err)
{
	gr_raw_msg *raw = &a->raw;
	gr_status st;

	pr->stats->seen++;
	if (a->st == GR_E_IO) {
		/* Transient (a file vanished mid-read): say so, do not record
		 * it, so the next poll tries again. */
		pr->stats->failed++;
		gr_term_line(stderr, "gravity: %s: %s (will retry)",
		             raw->source_id, a->serr.msg);
		return GR_OK;
	}
	if (a->st != GR_OK)
		return poll_failed(pr, raw, &a->serr);
	if (pr->o->redo)
		return redo_one(pr, raw, err);
	if (!a->parsing) {
		pr->stats->skipped++;   /* recorded before */
		return GR_OK;
	}
	st = poll_parsed(pr, raw, a->pst, a->m, a->x, &a->perr, err);
	a->m = NULL;                /* poll_parsed() freed them */
	a->x = NULL;
	return st;
}

/* Hand every message of src to poll_one() (redo_one() on a redo),
 * committing a batch every POLL_BATCH.  On a poll, the next message is
 * read and handed to the parser worker before the current one is
 * classified, so the worker parses while the poller classifies (and the
 * poller does not wait for it).  *src_failed: the source itself failed
 * (err says why); what came before it is complete. */
static gr_status
read_source(struct poll_run *pr, gr_source *src, int *src_failed,
            gr_error *err)
{
	struct ahead cur, next;
	gr_status st;

	pr->src = src;
	st = read_ahead(pr, src, &next);
	while (st == GR_OK) {
		cur = next;
		memset(&next, 0, sizeof next);
		if (cur.st == GR_DONE) {
			ahead_clear(&cur);
			break;
		}
		if (cur.st != GR_OK && !cur.raw.source_id) {
			*err = cur.serr;    /* the source itself failed */
			*src_failed = 1;
			st = cur.st;
			ahead_clear(&cur);
			break;
		}
		if (cur.parsing) {
			gr_error_clear(&cur.perr);
			cur.pst = gr_parser_collect(pr->parser, &cur.m,
			                            &cur.perr);
			cur.x = gr_parser_reading(pr->parser);
		}
		/* A poll needs cur's bytes no more: read the next message
		 * now.  A redo parses cur itself, so it reads on after. */
		if (!pr->o->redo)
			st = read_ahead(pr, src, &next);
		if (st == GR_OK)
			st = source_one(pr, &cur, err);
		if (st == GR_OK && !pr->o->dry_run)
			st = gr_source_done(src, &cur.raw, err);
		if (st == GR_OK && pr->in_batch && ++pr->batch_n >= POLL_BATCH)
			st = batch_commit(pr, err);
		if (st == GR_OK && pr->o->redo)
			st = read_ahead(pr, src, &next);
		ahead_clear(&cur);
	}
	if (st == GR_E_NOMEM)
		gr_error_set(err, st, "out of memory");
	/* A message left with the worker is dropped with it
	 * (gr_parser_stop). */
	ahead_clear(&next);
	return st;
}

/* One IMAP folder's messages to redo: UIDs seen on one UIDVALIDITY. */
struct redo_folder {
	char *name;
	uint32_t uidvalidity;
	uint32_t *uids;
	size_t n;
};

/* The IMAP messages of the state that the redo selects, by folder: their
 * source_ids are PREFIX FOLDER;UIDVALIDITY=N;UID=M, PREFIX being this
 * account's imap[s]://USER@HOST:PORT/ (as source_imap.c names them). */
static gr_status
redo_imap_folders(struct poll_run *pr, struct redo_folder **out, size_t *nout,
                  gr_error *err)
{
	const struct gr_imap_opts *io = pr->o->imap;
	gr_imap_uri u;
	gr_state_msgs rows = { 0 };
	struct redo_folder *f = NULL;
	size_t nf = 0, plen;
	char prefix[1024];
	gr_status st;

	*out = NULL;
	*nout = 0;
	st = gr_imap_uri_parse(pr->o->source, &u, err);
	if (st != GR_OK)
		return st;
	snprintf(prefix, sizeof prefix, "%s://%s%s%s:%u/",
	         u.implicit_tls ? "imaps" : "imap",
	         io && io->user ? io->user : u.user ? u.user : "",
	         (io && io->user) || u.user ? "@" : "", u.host, u.port);
	gr_imap_uri_free(&u);
	plen = strlen(prefix);
	st = gr_state_msg_list(pr->state, NULL, pr->o->redo->since, &rows, err);
	for (size_t i = 0; st == GR_OK && i < rows.n; i++) {
		const char *sid = rows.v[i].source_id, *p, *q = NULL;
		unsigned long uv, uid;
		struct redo_folder *g = NULL;
		uint32_t *nu;

		if (!redo_selects(pr->o->redo, &rows.v[i]) ||
		    strncmp(sid, prefix, plen) != 0)
			continue;
		for (p = strstr(sid + plen, ";UIDVALIDITY="); p;
		     p = strstr(p + 1, ";UIDVALIDITY="))
			q = p;
		if (!q || sscanf(q, ";UIDVALIDITY=%lu;UID=%lu", &uv, &uid) != 2 ||
		    !uv || !uid || uv > UINT32_MAX || uid > UINT32_MAX)
			continue;
		for (size_t k = 0; k < nf && !g; k++)
			if (f[k].uidvalidity == uv &&
			    strlen(f[k].name) == (size_t)(q - sid - plen) &&
			    memcmp(f[k].name, sid + plen, f[k].name ?
			           strlen(f[k].name) : 0) == 0)
				g = &f[k];
		if (!g) {
			struct redo_folder *nfv = realloc(f, (nf + 1) * sizeof *f);

			if (!nfv) {
				st = GR_E_NOMEM;
				break;
			}
			f = nfv;
			g = &f[nf++];
			memset(g, 0, sizeof *g);
			g->uidvalidity = (uint32_t)uv;
			g->name = strndup(sid + plen, (size_t)(q - sid - plen));
			if (!g->name) {
				st = GR_E_NOMEM;
				break;
			}
		}
		nu = realloc(g->uids, (g->n + 1) * sizeof *nu);
		if (!nu) {
			st = GR_E_NOMEM;
			break;
		}
		g->uids = nu;
		g->uids[g->n++] = (uint32_t)uid;
	}
	if (st == GR_E_NOMEM)
		gr_error_set(err, st, "out of memory");
	gr_state_msgs_free(&rows);
	*out = f;
	*nout = nf;
	return st;
}

/* A redo: the failed messages get their new try, then the selected
 * messages are read again, from a local source whole (redo_one() picks),
 * from IMAP by UID, folder by folder. */
static gr_status
redo_run(struct poll_run *pr, gr_source_opts *so, int *src_failed,
         gr_error *err)
{
	const struct gr_source_driver *drv = gr_source_driver_for(pr->o->source);
	const gr_redo *rd = pr->o->redo;
	struct redo_folder *f = NULL;
	size_t nf = 0;
	gr_source *src = NULL;
	gr_status st;

	for (size_t i = 0; i < rd->nids; i++)
		if (gr_state_seen(pr->state, NULL, rd->ids[i]) != 1)
			gr_term_line(stderr, "gravity: redo: no message with "
			             "Message-ID <%s> was seen", rd->ids[i]);
	if (!drv || strcmp(drv->name, "imap") != 0) {
		st = gr_source_open(pr->o->source, so, &src, err);
		if (st == GR_OK)
			st = read_source(pr, src, src_failed, err);
		gr_source_close(src);
		pr->src = NULL;
		return st;
	}
	st = redo_imap_folders(pr, &f, &nf, err);
	for (size_t i = 0; st == GR_OK && i < nf; i++) {
		struct gr_imap_opts io;
		gr_source_opts fo = *so;

		if (pr->o->imap)
			io = *pr->o->imap;
		else
			gr_imap_opts_init(&io);
		io.uids = f[i].uids;
		io.nuids = f[i].n;
		io.uids_folder = f[i].name;
		io.uidvalidity = f[i].uidvalidity;
		io.append_drafts = 0;
		fo.imap = &io;
		src = NULL;
		st = gr_source_open(pr->o->source, &fo, &src, err);
		if (st == GR_OK)
			st = read_source(pr, src, src_failed, err);
		gr_source_close(src);
		pr->src = NULL;
		if (st == GR_E_NOINPUT && *src_failed) {
			/* Renumbered: its UIDs name other messages now. */
			gr_term_line(stderr, "gravity: %s; %zu message%s there "
			             "not redone", err->msg, f[i].n,
			             f[i].n == 1 ? "" : "s");
			*src_failed = 0;
			st = GR_OK;
		}
	}
	for (size_t i = 0; i < nf; i++) {
		free(f[i].name);
		free(f[i].uids);
	}
	free(f);
	return st;
}

gr_status
gr_poll_run(const gr_poll_opts *o, gr_poll_stats *stats, gr_error *err)
{
	struct poll_run pr = { .o = o, .stats = stats, .log_fd = -1,
	                       .out_lock = -1 };
	gr_source *src = NULL;
	gr_source_opts so = { 0 };
	gr_parse_limits lim;
	gr_status st = GR_OK;
	int src_failed = 0;

	memset(stats, 0, sizeof *stats);
	gr_warnings_reset();
	gr_buf_init(&pr.log, POLL_LOG_MAX);
	pr.life.rules = o->rules;
	pr.life.policy = o->policy;
	pr.life.out_dir = o->out_dir;
	pr.life.now = o->now ? o->now : time(NULL);
	pr.life.cal = gr_calcache_new();        /* NULL only costs time */
	/* The parser worker is forked first: it never holds a credential or
	 * an open mailbox connection. */
	gr_parse_limits_default(&lim);
	if (o->parser)
		pr.parser = o->parser;
	else
		st = gr_parser_start(&lim, &pr.parser, err);
	/* A poll's plans read each message (gr_actions_plan): the worker
	 * does it, beside this process's classifying the one before. */
	if (st == GR_OK && !o->redo)
		gr_parser_read_too(pr.parser, gr_owner_profile(
		                   gr_rules_owner(o->rules))->signature);
	if (st == GR_OK && !o->dry_run)
		st = poll_prepare(&pr, err);
	so.state = pr.state;
	pr.life.state = pr.state;
	so.verbose = o->verbose;
	so.imap = o->imap;
	if (st == GR_OK && o->redo)
		st = redo_run(&pr, &so, &src_failed, err);
	else if (st == GR_OK)
		st = gr_source_open(o->source, &so, &src, err);
	if (st == GR_OK && src)
		st = read_source(&pr, src, &src_failed, err);
	/* The follow-ups are the owner's messages' outputs: no mail read. */
	if (st == GR_OK && o->redo)
		st = redo_followups(&pr, err);
	if (pr.state && (st == GR_OK || src_failed || pr.parser_gone ||
	                 pr.setup_stop)) {
		/* What was processed before the source (or the parser, or
		 * the setup) failed is complete: keep it, and report the
		 * error. */
		gr_error cerr;
		gr_status cst = batch_commit(&pr, &cerr);

		if (cst != GR_OK && st == GR_OK) {
			st = cst;
			*err = cerr;
		}
	} else if (pr.state) {
		batch_abort(&pr);
	}
	gr_source_close(src);
	if (!o->parser)
		gr_parser_stop(pr.parser);
	/* Time passes even when no mail came: follow-ups, then the feed. */
	if (st == GR_OK && pr.state && !o->redo)
		st = gr_life_tick(&pr.life, o->summary, err);
	if (st == GR_OK && pr.state)
		st = gr_life_write_feed(&pr.life, err);
	if (st == GR_OK && pr.state)
		push_caldav(&pr);
	stats->closed = pr.life.closed;
	stats->followups = pr.life.followups;
	stats->withdrawn = pr.life.withdrawn;
	gr_buf_free(&pr.log);
	/* Every write above removed its temporary file, done or not. */
	if (pr.marked) {
		char path[PATH_MAX];

		if (poll_marker(o, path, sizeof path, NULL) == GR_OK)
			(void)unlink(path);
	}
	if (!o->dry_run && !o->redo)
		poll_record(&pr, st, err);
	if (pr.log_fd >= 0)
		close(pr.log_fd);
	gr_state_close(pr.state);
	if (pr.out_lock >= 0)
		close(pr.out_lock);     /* the last: releases OUT */
	gr_calcache_free(pr.life.cal);
	/* After a fatal error, a summary only when some mail was read (a
	 * redo) or processed or recorded failed (a poll): no "0 new
	 * messages" under the error line. */
	if (o->redo && (st == GR_OK || stats->seen > 0))
		redo_summary(o, stats);
	else if (!o->redo && (st == GR_OK || stats->processed > 0 ||
	                      stats->failed > 0))
		poll_summary(o, stats);
	return st;
}
