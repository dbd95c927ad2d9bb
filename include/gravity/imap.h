/* SPDX-License-Identifier: MIT */
/*
 * imap.h - the IMAP source: libcurl does the connection, TLS (implicit or
 * STARTTLS, always required), certificate and host checks and the login
 * (CURLOPT_CONNECT_ONLY); gravity speaks IMAP4rev1 (RFC 3501) itself over
 * curl_easy_send/curl_easy_recv with the bounded response parser below.
 *
 * Read-only: folders are opened with EXAMINE and fetched with BODY.PEEK
 * only, so flags never change.  Only the header and the text parts of a
 * message are downloaded (each capped); attachments are never fetched.
 *
 * URIs: imaps://user@host[:port]/FOLDER (implicit TLS, port 993) and
 * imap://user@host[:port]/FOLDER (STARTTLS required, port 143); the user
 * may be a whole address (user@example.com@host).
 */
#ifndef GRAVITY_IMAP_H
#define GRAVITY_IMAP_H

#include <stddef.h>
#include <stdint.h>
#include "gravity/secret.h"
#include "gravity/source.h"
#include "gravity/status.h"

/* IMAP settings.  All pointers are foreign (usually owned by a gr_config).
 * Fill with gr_imap_opts_init() first, then set what differs. */
struct gr_imap_opts {
	const char *user;       /* login name; NULL: the user in the URI */
	gr_cred cred;           /* where the password or token comes from */
	const char *cafile;     /* PEM bundle for a private CA, or NULL */
	int insecure;           /* 1: no certificate or host name check (loud
	                         * warning on stderr).  Never a default. */
	const char *const *folders; /* more folders to poll besides the URI's */
	size_t nfolders;
	const char *sent_folder;/* the owner's Sent folder or NULL; its messages
	                         * come with is_sent = 1 */
	long connect_timeout;   /* seconds (0: 30) */
	long timeout;           /* seconds without progress on a read (0: 60) */
	unsigned batch;         /* UIDs per UID FETCH (0: 200) */
	size_t text_cap;        /* bytes fetched per text part and header
	                         * (0: 256 KiB) */
	int append_drafts;      /* 1: each draft written is also APPENDed
	                         * (flag \Draft) to drafts_folder, once */
	const char *drafts_folder; /* NULL: the folder marked \\Drafts */
	/* Instead of what is new: exactly these UIDs (nuids of them) of one
	 * folder (uids_folder, NULL: the URI's), read without the state and
	 * without the other folders (explain --uid, redo).  uidvalidity, when
	 * not 0, must still be the folder's: else GR_E_NOINPUT (its UIDs now
	 * name other messages). */
	const uint32_t *uids;
	size_t nuids;
	const char *uids_folder;
	uint32_t uidvalidity;
};

void gr_imap_opts_init(struct gr_imap_opts *o);

extern const struct gr_source_driver gr_driver_imap;

/* Bytes received from the server so far by an open gr_driver_imap handle
 * (for tests and verbose summaries). */
uint64_t gr_imap_source_bytes(void *handle);

/* --- the response parser (imap_proto.c): a pure function over bytes ---- */

typedef enum gr_imap_type {
	GR_IMAP_NIL = 0,
	GR_IMAP_ATOM,           /* also flags (\Seen) and BODY[...]<n> keys */
	GR_IMAP_NUMBER,         /* str holds the digits, num the value */
	GR_IMAP_STRING,         /* quoted or literal; may hold NUL bytes */
	GR_IMAP_LIST
} gr_imap_type;

typedef struct gr_imap_val {
	gr_imap_type type;
	char *str;              /* owned; NUL-terminated (ATOM/NUMBER/STRING) */
	size_t len;
	uint64_t num;           /* NUMBER */
	struct gr_imap_val *v;  /* owned; LIST items */
	size_t n;
} gr_imap_val;

typedef enum gr_imap_kind {
	GR_IMAP_TAGGED,         /* "A001 OK ..." */
	GR_IMAP_UNTAGGED,       /* "* ..." */
	GR_IMAP_CONTINUE        /* "+ ..." */
} gr_imap_kind;

typedef struct gr_imap_resp {
	gr_imap_kind kind;
	char *tag;              /* owned; TAGGED only, else NULL */
	char *name;             /* owned, upper case: OK NO BAD BYE PREAUTH
	                         * CAPABILITY FLAGS FETCH EXISTS SEARCH ...;
	                         * NULL for CONTINUE */
	int has_number;         /* "* 5 FETCH": 1, number = 5 */
	uint32_t number;
	gr_imap_val code;       /* LIST: tokens of [resp-text-code] (n = 0 if
	                         * none), status responses only */
	char *text;             /* owned: human text of status responses and
	                         * continuations, else NULL */
	gr_imap_val data;       /* LIST: the tokens after name (data responses;
	                         * for FETCH, data.v[0] is the attribute list) */
} gr_imap_resp;

void gr_imap_resp_free(gr_imap_resp *r);

/* Parse one complete response at the start of [buf, buf+len).
 *   GR_OK: *out is the response (owned by caller), *used the bytes it took;
 *   GR_DONE: more bytes are needed (nothing allocated);
 *   GR_E_LIMIT: a literal larger than max_literal, or a response larger
 *     than max_response (nothing is ever allocated from the server's
 *     sizes before this check);
 *   GR_E_PROTOCOL: malformed.
 * The server cannot desync it: literal bytes are never read as lines. */
gr_status gr_imap_parse(const char *buf, size_t len, size_t max_literal,
                        size_t max_response, gr_imap_resp **out, size_t *used,
                        gr_error *err);

/* A stream of responses: feed bytes as they arrive, take out complete
 * responses.  Holds at most max_response + 64 KiB of unparsed input. */
typedef struct gr_imap_parser gr_imap_parser;

gr_status gr_imap_parser_new(size_t max_literal, size_t max_response,
                             gr_imap_parser **out);
gr_status gr_imap_parser_feed(gr_imap_parser *p, const char *data, size_t len,
                              gr_error *err);
/* GR_OK with *out (owned by caller), GR_DONE when more input is needed,
 * or an error as gr_imap_parse(); after an error the stream is dead. */
gr_status gr_imap_parser_next(gr_imap_parser *p, gr_imap_resp **out,
                              gr_error *err);
/* Bytes fed but not yet taken out as responses. */
size_t gr_imap_parser_pending(const gr_imap_parser *p);
void gr_imap_parser_free(gr_imap_parser *p);

/* Helpers over parsed values (pointers are into v, not copies). */
/* The value after key in a FETCH attribute list (case-insensitive; a key
 * "BODY[1]" also matches "BODY[1]<0>"), or NULL. */
const gr_imap_val *gr_imap_fetch_get(const gr_imap_val *atts, const char *key);
/* 1 if the code list starts with name (e.g. "UIDVALIDITY"); its number
 * argument, when present, into *num. */
int gr_imap_code_is(const gr_imap_resp *r, const char *name, uint64_t *num);
/* str of an ATOM/NUMBER/STRING, NULL for NIL and lists. */
const char *gr_imap_str(const gr_imap_val *v);

/* One leaf part of a BODYSTRUCTURE. */
typedef struct gr_imap_part {
	char section[64];       /* "1", "2.1", ... */
	char type[32];          /* lower case, e.g. "text" */
	char subtype[64];       /* lower case, e.g. "plain" */
	int attachment;         /* Content-Disposition: attachment, or not text */
	uint64_t size;          /* octets as encoded */
	/* message/rfc822 only: the first text part of the message inside
	 * ("2.1", "2.1.1"; "" when none), its subtype, and the section of
	 * its header: "2.HEADER" when it is that message's whole body, else
	 * "2.1.1.MIME". */
	char inner[64];
	char inner_subtype[64];
	char inner_hdr[80];
} gr_imap_part;

/* Walk a BODYSTRUCTURE value into at most max leaf parts (*n set; parts
 * past max are dropped).  message/rfc822 parts are leaves, with the
 * section of their own first text part in inner.  GR_E_PROTOCOL
 * when bs is not a body structure. */
gr_status gr_imap_body_parts(const gr_imap_val *bs, gr_imap_part *parts,
                             size_t max, size_t *n);

/* Append s to b as an IMAP quoted string (or refuse: GR_E_PARSE for CR, LF
 * or NUL, which need a literal). */
struct gr_buf;
gr_status gr_imap_quote(struct gr_buf *b, const char *s);
/* Append the UTF-8 mailbox name as an IMAP quoted string in modified
 * UTF-7 (RFC 3501 5.1.3: "Éléments envoyés" -> "&AMk-l&AOk-ments
 * envoy&AOk-s", "&" -> "&-").  GR_E_PARSE when name is not valid UTF-8
 * or holds a control character. */
gr_status gr_imap_quote_mailbox(struct gr_buf *b, const char *name);

/* A mailbox name as the server sends it (modified UTF-7) in UTF-8, the
 * inverse of gr_imap_quote_mailbox.  *out owned by caller; GR_E_PARSE
 * when name is not valid modified UTF-7 (a control character, 8-bit
 * bytes, a broken "&...-" run or a lone surrogate). */
gr_status gr_imap_mailbox_utf8(const char *name, char **out);

/* --- the connection (imap_conn.c) ------------------------------------- */

/* A parsed source URI. */
typedef struct gr_imap_uri {
	int implicit_tls;       /* 1 for imaps:// */
	char *user;             /* owned, percent-decoded; NULL if absent */
	char *host;             /* owned; IPv6 keeps its [brackets] */
	unsigned port;          /* 993 or 143 unless given */
	char *folder;           /* owned, percent-decoded; "INBOX" if absent */
} gr_imap_uri;

/* Parse imap[s]://[user@]host[:port][/FOLDER].  The user ends at the last
 * '@' before the host, so it may be a whole address
 * (imaps://hannah@example.com@imap.example.com/INBOX); "%40" works too.
 * GR_E_USAGE if malformed; a password in the URI ("user:pass@") is
 * refused. */
gr_status gr_imap_uri_parse(const char *uri, gr_imap_uri *u, gr_error *err);
void gr_imap_uri_free(gr_imap_uri *u);

typedef struct gr_imap_conn gr_imap_conn;

/* Connect, require TLS, verify the certificate and host name (unless
 * o->insecure), log in; the secret is fetched here and zeroed at once.
 * Refused/timeout/dropped: GR_E_NET; TLS or certificate: GR_E_TLS; login
 * refused: GR_E_AUTH.  *out owned by caller (gr_imap_close). */
gr_status gr_imap_connect(const gr_imap_uri *u, const struct gr_imap_opts *o,
                          gr_imap_conn **out, gr_error *err);

/* Called for each untagged response of a command; r is freed after the
 * call.  A non-GR_OK return ends the command with that status (the rest
 * of its responses are still read, so the stream stays in step). */
typedef gr_status (*gr_imap_handler)(const gr_imap_resp *r, void *arg,
                                     gr_error *err);

/* Send "TAG cmd\r\n" and read responses up to the tagged one.  GR_OK on
 * OK; GR_E_PROTOCOL on NO or BAD (with the server's text); GR_E_NET when
 * the server drops the connection or stays silent for o->timeout. */
gr_status gr_imap_cmd(gr_imap_conn *c, const char *cmd, gr_imap_handler cb,
                      void *arg, gr_error *err);

/* The same for a command that ends with a literal (APPEND): sends
 * "TAG cmd {len}", then lit (len bytes) on the server's "+" continuation.
 * A tagged NO instead of the continuation gives GR_E_PROTOCOL. */
gr_status gr_imap_cmd_literal(gr_imap_conn *c, const char *cmd,
                              const char *lit, size_t len, gr_imap_handler cb,
                              void *arg, gr_error *err);

/* 1 while the connection can still take commands (a tagged NO or BAD
 * leaves it usable; a drop, a timeout or a desync do not). */
int gr_imap_alive(const gr_imap_conn *c);

/* --- folders (imap_folders.c) ------------------------------------------ */

/* What a folder is for (RFC 6154 special uses), as bits. */
enum {
	GR_IMAP_USE_ALL = 1u << 0,
	GR_IMAP_USE_ARCHIVE = 1u << 1,
	GR_IMAP_USE_DRAFTS = 1u << 2,
	GR_IMAP_USE_FLAGGED = 1u << 3,
	GR_IMAP_USE_JUNK = 1u << 4,
	GR_IMAP_USE_SENT = 1u << 5,
	GR_IMAP_USE_TRASH = 1u << 6
};

typedef struct gr_imap_mailbox {
	char *name;             /* owned, UTF-8 */
	unsigned use;           /* GR_IMAP_USE_* bits */
	int noselect;           /* \Noselect or \NonExistent: cannot be opened */
} gr_imap_mailbox;

/* Every folder of the account with its special uses: LIST "" "*" RETURN
 * (SPECIAL-USE), or plain LIST when the server refuses the return option.
 * Names that are not valid modified UTF-7 are left out.  *out (n
 * entries, server order) owned by caller: gr_imap_mailboxes_free. */
gr_status gr_imap_list(gr_imap_conn *c, gr_imap_mailbox **out, size_t *n,
                       gr_error *err);
void gr_imap_mailboxes_free(gr_imap_mailbox *v, size_t n);
/* The first folder that can be opened and is marked use, or NULL
 * (points into v). */
const char *gr_imap_special(const gr_imap_mailbox *v, size_t n, unsigned use);
/* "\Sent" for GR_IMAP_USE_SENT ...; NULL for anything but one bit. */
const char *gr_imap_use_name(unsigned use);

/* Total bytes received from the server after login. */
uint64_t gr_imap_bytes_received(const gr_imap_conn *c);
/* "host:port", for messages. */
const char *gr_imap_peer(const gr_imap_conn *c);
/* Send LOGOUT (best effort) and free.  NULL is fine. */
void gr_imap_close(gr_imap_conn *c);

#endif
