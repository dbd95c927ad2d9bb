/* SPDX-License-Identifier: MIT */
/*
 * msgcut.h - a message read piece by piece, handed on whole when it is
 * small and cut to its header and text parts when it is large, so no
 * source ever holds (or sends the parser worker) a whole large message.
 *
 * A message of at most GR_WHOLE_MAX bytes is handed on byte for byte.  A
 * larger one is cut while it streams by, to the shape the IMAP source
 * fetches.  Kept: the message header (up to the parser's header limit, so
 * a header over it still fails the same way), every MIME header and every
 * delimiter line, so the parser sees the same tree of parts (and counts
 * the same attachments); the body of each text/plain or text/html part (or
 * part whose type it cannot tell) up to GR_CUT_TEXT bytes.  Dropped: the bodies
 * of attachments, of other non-text parts, preambles and epilogues beyond
 * GR_CUT_TEXT.  The cut message is at most GR_CUT_MAX bytes; past that
 * the rest is not kept.  Memory: at most GR_WHOLE_MAX + GR_CUT_MAX bytes
 * whatever the message size.  The body of an attachment costs a search
 * for the next line starting "--", not a look at each of its lines, so a
 * message with a large attachment costs the parser worker (and the
 * poller) far less cut than whole.
 *
 * The parser then gives the same result for the cut message as for the
 * whole one, except for text beyond the caps (a plain part is decoded to
 * at most 256 KiB of text, which GR_CUT_TEXT always covers; an HTML part
 * over GR_CUT_TEXT is converted from its first GR_CUT_TEXT bytes).
 */
#ifndef GRAVITY_MSGCUT_H
#define GRAVITY_MSGCUT_H

#include <stddef.h>
#include "gravity/buf.h"
#include "gravity/message.h"
#include "gravity/status.h"

#define GR_WHOLE_MAX    ((size_t)256 << 10)
#define GR_CUT_TEXT     ((size_t)1 << 20)
#define GR_CUT_MAX      ((size_t)8 << 20)

typedef struct gr_msgin gr_msgin;

/* A reader for messages whose header may have max_header bytes (0: the
 * parser's default, GR_PARSE_MAX_HEADER).  NULL when out of memory.  Messages up to whole_max bytes are handed on whole
 * (0: GR_WHOLE_MAX; tests pass 1 to cut every message). */
gr_msgin *gr_msgin_new(size_t max_header, size_t whole_max);
/* Start a message; it will be in out (reset now; its max must allow
 * whole_max and GR_CUT_MAX bytes). */
void gr_msgin_begin(gr_msgin *in, gr_buf *out);
/* The next n bytes of the message. */
gr_status gr_msgin_add(gr_msgin *in, const char *p, size_t n);
/* The message is complete: out holds it (whole or cut). */
gr_status gr_msgin_end(gr_msgin *in);
/* 1 if the message in out was cut. */
int gr_msgin_cut(const gr_msgin *in);
void gr_msgin_free(gr_msgin *in);

#endif
