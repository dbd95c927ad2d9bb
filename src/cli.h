/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the gravity command's subcommands share.  Each subcommand
 * lives in its own cmd_*.c and returns a sysexits code; only main() exits.
 */
#ifndef GRAVITY_CLI_H
#define GRAVITY_CLI_H

#include <stdio.h>
#include "gravity/plan.h"
#include "gravity/classify.h"
#include "gravity/message.h"
#include "gravity/rules.h"

extern const char *gr_progname;

int gr_cmd_poll(int argc, char **argv);
int gr_cmd_classify(int argc, char **argv);
int gr_cmd_explain(int argc, char **argv);
int gr_cmd_rules(int argc, char **argv);
int gr_cmd_eval(int argc, char **argv);
int gr_cmd_init(int argc, char **argv);
int gr_cmd_referrals(int argc, char **argv);
int gr_cmd_train(int argc, char **argv);
int gr_cmd_learn(int argc, char **argv);
int gr_cmd_folders(int argc, char **argv);
int gr_cmd_status(int argc, char **argv);
int gr_cmd_redo(int argc, char **argv);

/* "gravity: " + message on stderr, one line. */
void gr_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The installed default rules directory (GRAVITY_DEFAULT_RULES overrides;
 * falls back to a rules/ directory beside the binary when not installed). */
const char *gr_default_rules_dir(void);

/* Load the default rules layered under user_dir (may be NULL) and, when
 * want_policy, the actions policy.  Diagnostics are printed to stderr.
 * Returns EX_OK or a sysexits code (EX_DATAERR for rule errors). */
int gr_cli_load(const char *user_dir, int want_policy, gr_rules **rules,
                gr_policy **policy);
/* The same with up to three directories layered over the defaults, lowest
 * priority first (NULL entries are skipped). */
int gr_cli_load_dirs(const char *const *user_dirs, size_t nuser,
                     int want_policy, gr_rules **rules, gr_policy **policy);

/* The owner's profile must be there, with a name, an email, a time zone
 * and hours: else one line naming the file to write (in user_dir, the
 * user rules directory, or the one 'gravity init' makes) and EX_CONFIG.
 * warn: also a warning when there are no services or no partners. */
int gr_cli_owner_check(const gr_rules *r, const char *user_dir, int warn);

/* What classify, explain and eval share: the parser worker, the rules
 * and (when asked for) the actions policy.  All owned by the session. */
struct gr_cli_session {
	gr_rules *rules;
	gr_policy *policy;
	gr_parser *parser;
};

/* Start the parser worker, then load the rules (and the policy when
 * want_policy).  Returns EX_OK or a sysexits code; on failure nothing is
 * left to close. */
int gr_cli_open(const char *user_dir, int want_policy,
                struct gr_cli_session *s);
void gr_cli_close(struct gr_cli_session *s);

/* $XDG_<env> (env names it: "XDG_STATE_HOME") or ~/<fallback>, joined
 * with tail, into buf; NULL when it does not fit. */
const char *gr_xdg_path(const char *env, const char *fallback,
                        const char *tail, char *buf, size_t len);

/* The state file a command reads: --state (opt, may be NULL), else the
 * config file's "state" (config: --config, or NULL for the default one,
 * which may be absent), else $XDG_STATE_HOME/gravity/state.db.  *out
 * points into buf or into *cfg (free with gr_config_free).  Returns EX_OK
 * or a sysexits code, with the reason printed. */
struct gr_config;
int gr_cli_state_path(const char *opt, const char *config,
                      struct gr_config **cfg, char *buf, size_t len,
                      const char **out);

/* --- labelled mail (eval, train) ------------------------------------------ */
#include "gravity/train.h"

/* Told of each labelled message: its file (as the labels file writes it),
 * its label, and the verdict (NULL when it could not be classified, with
 * a reason in err). */
typedef void (*gr_labelled_fn)(void *aux, const char *file, gr_class want,
                               const gr_verdict *v, const char *err);
/* Classify every FILE of a LABELS.tsv (lines FILE<TAB>CLASS[<TAB>why],
 * FILE relative to the labels file) with r; features: fill the verdicts'
 * feature lists.  EX_OK, or a sysexits code (bad lines are reported and
 * skipped). */
int gr_cli_labelled(const gr_rules *r, gr_parser *parser, const char *labels,
                    int features, gr_labelled_fn fn, void *aux);
/* Classify nsets labelled sets, the i-th with the rules of rules_dir (may
 * be NULL) and owners[i] (may be NULL) layered over the defaults, into
 * set (one group per set); *base gets the rules without owner. */
int gr_cli_collect(const char *rules_dir, int nsets, char **labels,
                   const char **owners, gr_parser *parser, gr_exset *set,
                   gr_rules **base);
/* Fit without each group in turn and score it; print each group's
 * confusion matrix (verbose) and a table of the figures; per_group (may
 * be NULL) gets set->groups.n scores.  r gives the hand-set scores of
 * rules without weights. */
int gr_cli_loo_report(const gr_exset *set, const gr_rules *r,
                      const gr_train_opts *o, int verbose, FILE *fp,
                      gr_scores *per_group);
void gr_cli_print_confusion(FILE *fp, long cm[GR_CLASS_COUNT][GR_CLASS_COUNT],
                            const gr_scores *sc);

/* A path option as users write it ("~", "$HOME" expanded: gr_expand_home).
 * The string lives until the command returns; NULL stays NULL. */
const char *gr_cli_path(const char *arg);

/* The config file a command reads: path (--config), else the default one
 * ($XDG_CONFIG_HOME/gravity/config).  With an account name, that account
 * (else the first) into *acct (may be NULL).  A missing default file is
 * *cfg = NULL and EX_OK when !need, else one line saying to run 'gravity
 * init' (EX_CONFIG).  Problems are printed; returns a sysexits code.
 * *cfg owned by caller (gr_config_free). */
struct gr_account;
/* Where a user may have put the file gravity wants at want (which does
 * not exist): a name beside it with .txt/.conf added, one directory up,
 * and for the config the names other programs use (~/.gravity/config,
 * ~/.gravityrc, gravity.conf...).  The first that is a regular file, owned
 * by the caller; NULL when there is none. */
char *gr_cli_stray(const char *want);
int gr_cli_config(const char *path, const char *account, int need,
                  struct gr_config **cfg, const struct gr_account **acct);

/* The user rules directory a command reads: --rules (opt), else the
 * config's rules-dir (config: --config FILE, else the default file, which
 * may be absent); NULL: the defaults alone.  *cfg is the config read, or
 * NULL (caller frees: *out may point into it).  Returns a sysexits code,
 * with the reason printed. */
int gr_cli_rules_dir(const char *opt, const char *config,
                     struct gr_config **cfg, const char **out);

/* Print --version. */
void gr_print_version(void);

/* Classify every message of one path (file, Maildir, mbox or "-") and call
 * fn for each (opts: the source options, NULL for none); parse failures
 * are reported through fn with m == NULL.
 * Returns EX_OK or a sysexits code for a path that cannot be read. */
typedef void (*gr_each_fn)(void *aux, const char *path, const char *source_id,
                           const gr_message *m, const gr_verdict *v,
                           const gr_error *perr);
struct gr_source_opts;
int gr_cli_classify_path(const gr_rules *r, gr_parser *parser,
                         const char *path, const gr_classify_ctx *ctx,
                         const struct gr_source_opts *opts,
                         gr_each_fn fn, void *aux);

#endif
