/* SPDX-License-Identifier: MIT */
/*
 * imap_folders.c - which folders a server has and what each is for: LIST
 * (RFC 3501 6.3.8) with the SPECIAL-USE return option (RFC 5258 section 3,
 * RFC 6154 section 3), or plain LIST when the server refuses that (many
 * servers still mark \Sent and \Drafts there).  Folder names arrive in
 * modified UTF-7 and are handed on in UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gravity/imap.h"
#include "gravity/util.h"

#define LIST_MAX 100000         /* mailboxes kept from one LIST */

static const struct {
	const char *attr;
	unsigned use;
} uses[] = {
	{ "\\All", GR_IMAP_USE_ALL },
	{ "\\Archive", GR_IMAP_USE_ARCHIVE },
	{ "\\Drafts", GR_IMAP_USE_DRAFTS },
	{ "\\Flagged", GR_IMAP_USE_FLAGGED },
	{ "\\Junk", GR_IMAP_USE_JUNK },
	{ "\\Sent", GR_IMAP_USE_SENT },
	{ "\\Trash", GR_IMAP_USE_TRASH },
};

const char *
gr_imap_use_name(unsigned use)
{
	for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++)
		if (uses[i].use == use)
			return uses[i].attr;
	return NULL;
}

typedef struct listing {
	gr_imap_mailbox *v;
	size_t n;
} listing;

void
gr_imap_mailboxes_free(gr_imap_mailbox *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

/* "* LIST (attrs) delim name [extended items]" */
static gr_status
on_list(const gr_imap_resp *r, void *arg, gr_error *err)
{
	listing *l = arg;
	const gr_imap_val *attrs, *name;
	gr_imap_mailbox mb = { NULL, 0, 0 };
	gr_imap_mailbox *nv;

	if (strcmp(r->name, "LIST") != 0 || r->data.n < 3 ||
	    r->data.v[0].type != GR_IMAP_LIST || l->n >= LIST_MAX)
		return GR_OK;
	attrs = &r->data.v[0];
	name = &r->data.v[2];
	if (!gr_imap_str(name) || strlen(gr_imap_str(name)) != name->len)
		return GR_OK;           /* NIL or a NUL in the name: unusable */
	for (size_t i = 0; i < attrs->n; i++) {
		const char *a = gr_imap_str(&attrs->v[i]);

		if (!a)
			continue;
		if (gr_strcaseeq(a, "\\Noselect") || gr_strcaseeq(a, "\\NonExistent"))
			mb.noselect = 1;
		for (size_t k = 0; k < sizeof uses / sizeof uses[0]; k++)
			if (gr_strcaseeq(a, uses[k].attr))
				mb.use |= uses[k].use;
	}
	if (gr_imap_mailbox_utf8(gr_imap_str(name), &mb.name) != GR_OK) {
		free(mb.name);          /* not modified UTF-7: cannot be named */
		return GR_OK;           /* in a UTF-8 config, so left out */
	}
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv) {
		free(mb.name);
		return gr_error_set(err, GR_E_NOMEM, "LIST: out of memory");
	}
	l->v = nv;
	l->v[l->n++] = mb;
	return GR_OK;
}

gr_status
gr_imap_list(gr_imap_conn *c, gr_imap_mailbox **out, size_t *n,
             gr_error *err)
{
	listing l = { NULL, 0 };
	gr_status st;

	*out = NULL;
	*n = 0;
	st = gr_imap_cmd(c, "LIST \"\" \"*\" RETURN (SPECIAL-USE)", on_list, &l,
	                 err);
	if (st == GR_E_PROTOCOL && gr_imap_alive(c)) {
		/* No LIST-EXTENDED: plain LIST, with whatever it marks. */
		gr_imap_mailboxes_free(l.v, l.n);
		l.v = NULL;
		l.n = 0;
		st = gr_imap_cmd(c, "LIST \"\" \"*\"", on_list, &l, err);
	}
	if (st != GR_OK) {
		gr_imap_mailboxes_free(l.v, l.n);
		return st;
	}
	*out = l.v;
	*n = l.n;
	return GR_OK;
}

const char *
gr_imap_special(const gr_imap_mailbox *v, size_t n, unsigned use)
{
	for (size_t i = 0; i < n; i++)
		if ((v[i].use & use) && !v[i].noselect)
			return v[i].name;
	return NULL;
}
