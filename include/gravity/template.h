/* SPDX-License-Identifier: MIT */
/*
 * template.h - reply templates from the rules directory.
 *
 * A template file holds optional header lines ("Subject: ...") then a blank
 * line and the body; or only a body.  {{name}} is replaced by the variable
 * name; {{name|fallback text}} uses the fallback when the variable is empty
 * (a fallback is plain text: a "{{" in it is an error).
 *
 * Blocks: {{#if name}} ... {{else}} ... {{/if}} keeps the first part when
 * the variable is set (not empty and not "0"), else the {{else}} part;
 * {{#unless name}} ... {{/unless}} is the reverse; {{#each list}} ...
 * {{/each}} repeats its part once for every line of the variable, with
 * {{.}} standing for the line ({{else}} there: the list is empty).  Blocks
 * nest (8 deep; one {{#each}} at a time).  A block tag alone on its line
 * removes that line from the output.
 *
 * Unknown names, unclosed or mismatched blocks are reported by
 * gr_template_load as FILE:LINE:COL.
 *
 * The header block is recognised only when the first line is "Subject:"
 * (any case); a template that starts with anything else is all body.  Blanks
 * around a name are ignored ("{{ name }}").  Templates cannot print a
 * literal "{{"; a lone "}}" is ordinary text.  CRLF line ends read as LF.
 * A header block may also hold blank-free "Name: value" lines other than
 * Subject; unknown names are reported.
 */
#ifndef GRAVITY_TEMPLATE_H
#define GRAVITY_TEMPLATE_H

#include "gravity/status.h"
#include "gravity/conf.h"

typedef struct gr_template gr_template;

/* One variable for rendering.  Strings owned by the caller. */
typedef struct gr_var {
	const char *name;
	const char *value;      /* NULL or "" means empty */
} gr_var;

/* The placeholder names templates may use, NULL-terminated.  Static. */
const char *const *gr_template_known_vars(void);

/* Load path; problems go to diags.  *out owned by caller. */
gr_status gr_template_load(const char *path, gr_template **out,
                           gr_diags *diags);
gr_status gr_template_load_mem(const char *name, const char *data, size_t len,
                               gr_template **out, gr_diags *diags);
void gr_template_free(gr_template *t);

/* 1 if the template (subject or body) has a {{name}} placeholder. */
int gr_template_uses(const gr_template *t, const char *name);

/* Name given at load (the path for gr_template_load).  Owned by t. */
const char *gr_template_name(const gr_template *t);

/* The Subject: line as written (NULL when there is none).  Owned by t. */
const char *gr_template_subject_text(const gr_template *t);

/* Render the subject line (NULL if the template has none) and the body.
 * *subject and *body owned by caller. */
gr_status gr_template_render(const gr_template *t, const gr_var *vars,
                             size_t nvars, char **subject, char **body,
                             gr_error *err);

#endif
