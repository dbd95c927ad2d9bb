/* SPDX-License-Identifier: MIT */
/*
 * parser.h - test-only view into gr_parser (src/parser.c): which processes
 * serve it.  Not part of the public API in gravity/message.h.
 */
#ifndef GRAVITY_PARSER_PRIV_H
#define GRAVITY_PARSER_PRIV_H

#include <sys/types.h>
#include "gravity/message.h"

/* The current worker's pid, or -1 when none runs. */
pid_t gr_parser_worker_pid(const gr_parser *p);
/* The spawner's pid (every worker's parent), or -1 when it is gone. */
pid_t gr_parser_spawner_pid(const gr_parser *p);

#endif
