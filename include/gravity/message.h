/* SPDX-License-Identifier: MIT */
/*
 * message.h - one parsed mail message (RFC 5322, MIME RFC 2045-2049,
 * RFC 2047 encoded words, RFC 2231 parameters) as gravity needs it:
 * decoded UTF-8 headers, addresses, and the text split into the new part,
 * the quoted reply and the signature.
 *
 * Parsing uses libetpan.  Debian's libetpan 1.9.4 crashes on some hostile
 * headers, so pollers parse through gr_parser (a worker process that is
 * restarted when it dies); gr_message_parse() is the in-process core it runs.
 *
 * Ownership: a gr_message owns every string and array it points to; free it
 * with gr_message_free().
 */
#ifndef GRAVITY_MESSAGE_H
#define GRAVITY_MESSAGE_H

#include <stddef.h>
#include <time.h>
#include "gravity/status.h"
#include "gravity/util.h"

typedef struct gr_addr {
	char *name;             /* display name, decoded UTF-8; may be NULL */
	char *addr;             /* addr-spec, lowercased; NULL if unparseable */
} gr_addr;

typedef struct gr_addrlist {
	gr_addr *v;
	size_t n;
} gr_addrlist;

typedef struct gr_header {
	char *name;             /* as written, e.g. "List-Id" */
	char *value;            /* unfolded, RFC 2047 decoded, UTF-8 */
} gr_header;

enum {
	GR_MSG_HAS_ATTACHMENT = 1 << 0, /* a part with a filename or non-text */
	GR_MSG_HTML_ONLY      = 1 << 1, /* text came from text/html only */
	GR_MSG_TRUNCATED      = 1 << 2, /* text was cut at the text bound */
	GR_MSG_IS_REPLY       = 1 << 3, /* In-Reply-To/References or Re: */
	GR_MSG_IS_FORWARD     = 1 << 4, /* Fwd:/forwarded-message marker */
	GR_MSG_NO_HEADERS     = 1 << 5, /* no header block was found */
	GR_MSG_REPORT         = 1 << 6, /* multipart/report (DSN, MDN) */
	GR_MSG_CALENDAR       = 1 << 7, /* has a text/calendar part */
};

typedef struct gr_message {
	gr_header *headers;     /* every header field, in order */
	size_t n_headers;

	gr_addr from;           /* first From mailbox (fields may be NULL) */
	gr_addr sender;         /* Sender: */
	gr_addrlist reply_to;
	gr_addrlist to;
	gr_addrlist cc;
	gr_addrlist bcc;        /* kept in the owner's Sent copies */

	char *subject;          /* decoded; "" when absent, never NULL */
	char *message_id;       /* without <>; NULL when absent */
	char *in_reply_to;      /* first msg-id, without <>; may be NULL */
	gr_strv references;     /* msg-ids without <>, oldest first */
	time_t date;            /* 0 when absent or unparseable */

	char *text;             /* whole main text, UTF-8, never NULL */
	char *new_text;         /* text minus quoted reply and signature */
	char *quoted;           /* the quoted reply / forwarded part ("" if none) */
	char *signature;        /* the signature block ("" if none) */
	char *content_type;     /* top-level type, lowercased, e.g. "multipart/report" */

	unsigned flags;         /* GR_MSG_* */
	size_t n_parts;         /* MIME leaf parts seen */
	size_t n_attachments;
	size_t raw_size;        /* bytes of the raw message */
} gr_message;

/* The default header bound, which the sources' cut of large messages
 * (src/msgcut.h) keeps to as well. */
#define GR_PARSE_MAX_HEADER ((size_t)1 << 20)

/* Bounds on what one message may cost. */
typedef struct gr_parse_limits {
	size_t max_raw;         /* bytes of raw message accepted (default 64 MiB) */
	size_t max_header;      /* bytes of header block (default 1 MiB) */
	size_t max_text;        /* bytes of decoded text kept (default 256 KiB) */
	size_t max_parts;       /* MIME parts walked (default 1000) */
	size_t max_depth;       /* MIME nesting walked (default 32) */
	size_t max_addrs;       /* addresses kept per list (default 1000) */
} gr_parse_limits;

/* Fill l with the defaults above. */
void gr_parse_limits_default(gr_parse_limits *l);

/* Parse raw bytes in this process.  *out owned by caller.  Guards the known
 * libetpan crash patterns before libetpan sees the input. */
gr_status gr_message_parse(const char *raw, size_t len,
                           const gr_parse_limits *lim, gr_message **out,
                           gr_error *err);
void gr_message_free(gr_message *m);

/* 1 if the n bytes at s start a header field: a name of printable ASCII
 * but ':' (RFC 5322 ftext), blanks allowed before the colon.  What the
 * parser and the cut of large messages (msgcut.h) both take for a field. */
int gr_message_field_line(const char *s, size_t n);

/* Value of the first header named name (case-insensitive; "" for one
 * without a value), or NULL when there is none.  Owned by m. */
const char *gr_message_header(const gr_message *m, const char *name);

/* The address a reply goes to: first Reply-To, else From.  Owned by m. */
const gr_addr *gr_message_reply_addr(const gr_message *m);

/* How strongly the header says a machine sent m. */
typedef enum gr_auto {
	GR_AUTO_NONE = 0,
	GR_AUTO_SOFT,           /* sent by a bulk-mail tool (List-Unsubscribe,
	                         * campaign headers): maybe a person's pitch */
	GR_AUTO_HARD            /* machine-generated */
} gr_auto;

/* Each machine sign of m's header, one bit (GR_SIGN_*): what
 * gr_message_auto_signs weighs and the classifier's facts read, read in
 * one place. */
enum {
	GR_SIGN_AUTO_SUBMITTED = 1u << 0,  /* Auto-Submitted but "no" (RFC 3834) */
	GR_SIGN_AUTOREPLY_HDR  = 1u << 1,  /* X-Autoreply, X-Autorespond, ... */
	GR_SIGN_AUTOREPLY_SUBJ = 1u << 2,  /* gr_message_auto_reply_subject */
	GR_SIGN_PREC_BULK      = 1u << 3,  /* Precedence (RFC 2076): bulk */
	GR_SIGN_PREC_LIST      = 1u << 4,  /* ... list */
	GR_SIGN_PREC_JUNK      = 1u << 5,  /* ... junk */
	GR_SIGN_PREC_AUTOREPLY = 1u << 6,  /* ... auto_reply */
	GR_SIGN_LIST_ID        = 1u << 7,  /* List-Id (RFC 2919) */
	GR_SIGN_REPORT         = 1u << 8,  /* multipart/report (RFC 6522) */
	GR_SIGN_MACHINE_SENDER = 1u << 9,  /* no-reply/daemon From or Sender */
	GR_SIGN_NULL_RETURN    = 1u << 10, /* Return-Path: <> (RFC 5321) */
	GR_SIGN_LIST_UNSUB     = 1u << 11, /* List-Unsubscribe (RFC 2369) */
	GR_SIGN_CAMPAIGN       = 1u << 12, /* X-Campaign, X-CampaignID */
	GR_SIGN_ESP            = 1u << 13  /* a sending service's header
	                                    * (X-SES-Outgoing, X-SG-EID, ...):
	                                    * the classifier's bulk-mail fact
	                                    * only, as transactional mail and
	                                    * people's own carry them too */
};
unsigned gr_message_signs(const gr_message *m);

/* The machine signs of m: Auto-Submitted other than "no" (RFC 3834),
 * Precedence bulk/list/junk/auto_reply (RFC 2076), List-Id (RFC 2919),
 * multipart/report (RFC 6522), a mailer-daemon, postmaster, bounce or
 * no-reply sender, auto-reply headers (X-Autoreply and kin), a null
 * Return-Path (RFC 5321), an auto-reply subject ("Out of office",
 * "Automatic reply", ...); or, softer, List-Unsubscribe (RFC 2369) and
 * campaign headers.  *why (when why is non-NULL) gets a short static
 * reason for the first sign found, or NULL.  The one definition both the
 * classifier and the no-draft rule of RFC 3834 use. */
gr_auto gr_message_auto_signs(const gr_message *m, const char **why);

/* The machine signs of m that a platform relaying a person's words (a
 * web-site form, a marketplace lead) does not excuse: those of
 * gr_message_auto_signs but a no-reply From or Sender and the soft
 * bulk-mail signs, which such a platform's own mail carries.  GR_AUTO_HARD
 * or GR_AUTO_NONE. */
gr_auto gr_message_relay_signs(const gr_message *m, const char **why);

/* 1 if subject is an auto-reply's ("Out of office", "Automatic reply",
 * "Abwesenheit", "Resposta automática", ...), "Re:" or "Fwd:" in front or
 * not. */
int gr_message_auto_reply_subject(const char *subject);

/* 1 if addr is a machine's (gr_addr_is_machine) or a platform's notice
 * mailbox, whose local part up to '+', '-', '.' or '_' is notification(s),
 * notify, alert(s), newsletter(s), mailer, automailer or digest: no
 * person reads it. */
int gr_addr_is_notifier(const char *addr);

/* 1 if the local part of addr, or a word of it after '-', '.', '_' or
 * '+', is one machines send from (mailer-daemon, postmaster, bounce,
 * no-reply and its spellings): "messages-noreply@" too. */
int gr_addr_is_machine(const char *addr);

/* Serialise m to a flat byte string (for the worker pipe) and back.
 * gr_message_unpack validates every length and never trusts the input. */
gr_status gr_message_pack(const gr_message *m, char **out, size_t *len);
gr_status gr_message_unpack(const char *data, size_t len, gr_message **out,
                            gr_error *err);
/* The same for a reading (extract.h), which the worker sends after its
 * message; gr_extract_unpack fills *out (free with gr_extract_free). */
struct gr_extract;
gr_status gr_extract_pack(const struct gr_extract *x, char **out,
                          size_t *len);
gr_status gr_extract_unpack(const char *data, size_t len,
                            struct gr_extract *out, gr_error *err);

/*
 * gr_parser: parsing in other processes.  gr_parser_start forks a small
 * "spawner" before any credential is loaded or connection opened; every
 * parser worker (the first, and each replacement after a crash) is forked
 * by the spawner from its clean image, so no worker ever holds a secret or
 * a mailbox connection.  Workers run under rlimits; the message that kills
 * one gets GR_E_CRASH.  If the spawner itself dies it is not restarted
 * (one forked later would carry the poller's secrets): gr_parser_parse
 * then returns GR_E_INTERNAL and the poll stops.
 */
typedef struct gr_parser gr_parser;

gr_status gr_parser_start(const gr_parse_limits *lim, gr_parser **out,
                          gr_error *err);
/* Test hook: when the environment variable GR_PARSER_CRASH_ON is set at
 * gr_parser_start(), the worker raises SIGSEGV on every message containing
 * its value, so tests can check crash recovery.  Leave it unset. */

/* Parse one message in the worker.  On GR_E_CRASH the worker is restarted
 * before this returns, so the next call works. */
gr_status gr_parser_parse(gr_parser *p, const char *raw, size_t len,
                          gr_message **out, gr_error *err);
/* The same in two halves, so the worker parses one message while the
 * caller works on the one before: submit hands raw to the worker and
 * returns; collect waits for the result, exactly what gr_parser_parse
 * would have given (a message that killed the worker is sent once more
 * to its replacement, so raw stays the caller's and must stay valid and
 * unchanged until collect returns).  One message at a time: every submit
 * is followed by one collect before the next submit. */
void gr_parser_submit(gr_parser *p, const char *raw, size_t len);
gr_status gr_parser_collect(gr_parser *p, gr_message **out, gr_error *err);
/* From now on the worker also reads each message it parses, as
 * gr_extract_message(m, exclude_phones) would (exclude_phones stays the
 * caller's and unchanged, NULL allowed), so that reading is done beside
 * the caller's work too.  After a collect that gave GR_OK,
 * gr_parser_reading() hands over that message's reading (free it with
 * gr_extract_free, then free), or NULL when there is none. */
void gr_parser_read_too(gr_parser *p, const char *exclude_phones);
struct gr_extract *gr_parser_reading(gr_parser *p);
void gr_parser_stop(gr_parser *p);

#endif
