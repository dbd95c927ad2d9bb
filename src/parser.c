/* SPDX-License-Identifier: MIT */
/*
 * parser.c - gr_parser, a persistent worker process that runs
 * gr_message_parse() so a libetpan crash kills the worker, not gravity.
 *
 * Protocol over a socketpair (all integers big-endian):
 *   request:  u64 length, raw message bytes
 *   reply:    u32 status, u64 length, then either the packed message
 *             (status GR_OK, see msgpack.c) or a one-line error message.
 *
 * The worker holds only its socket (and /dev/null on 0-2), runs under
 * rlimits (address space, core dumps, open files) and an alarm per message.
 * The parent bounds every wait; on death or timeout it reaps the worker and
 * starts a new one.
 *
 * Test hook: when the environment variable GR_PARSER_CRASH_ON is set at
 * gr_parser_start(), the worker raises SIGSEGV on any message containing
 * its value (used by tests/test_message.c to check crash recovery).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "gravity/message.h"
#include "gravity/util.h"

#define WORKER_FD       3
#define WORKER_AS       ((rlim_t)1 << 30)       /* 1 GiB */
#define WORKER_NOFILE   32
#define PARSE_TIMEOUT   10                      /* seconds per message */
#define REPLY_SLACK     ((uint64_t)16 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define GR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GR_ASAN 1
#endif
#endif

struct gr_parser {
	gr_parse_limits lim;
	pid_t pid;              /* -1 when no worker runs */
	int fd;                 /* parent's end of the socketpair */
	unsigned timeout;       /* seconds per message */
	char *crash_marker;     /* test hook, see the banner */
};

/* --- byte I/O -------------------------------------------------------------- */

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	if (!deadline)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Wait for fd to be ready; 0 ok, -1 error/EOF-ish, -2 timeout. */
static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd pfd = { fd, ev, 0 };
	long ms;
	int r;

	for (;;) {
		ms = ms_left(deadline);
		if (deadline && ms <= 0)
			return -2;
		r = poll(&pfd, 1, deadline ? (int)ms : -1);
		if (r > 0)
			return 0;
		if (r == 0)
			return -2;
		if (errno != EINTR)
			return -1;
	}
}

/* Write all of p; 0 ok, -1 error, -2 timeout. */
static int
write_all(int fd, const void *p, size_t n, const struct timespec *deadline)
{
	const char *s = p;
	ssize_t w;
	int r;

	while (n) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
			return r;
		w = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes; 0 ok, -1 error or EOF, -2 timeout. */
static int
read_all(int fd, void *p, size_t n, const struct timespec *deadline)
{
	char *s = p;
	ssize_t r;
	int w;

	while (n) {
		if ((w = wait_fd(fd, POLLIN, deadline)) != 0)
			return w;
		r = recv(fd, s, n, MSG_DONTWAIT);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* --- the worker ------------------------------------------------------------ */

/* Close every descriptor above WORKER_FD. */
static void
close_others(void)
{
	DIR *d;
	struct dirent *e;
	int fds[256], n = 0, again = 1;

	if (close_range(WORKER_FD + 1, ~0U, 0) == 0)
		return;
	while (again) {
		again = 0;
		n = 0;
		if (!(d = opendir("/proc/self/fd"))) {
			for (int fd = WORKER_FD + 1; fd < 1024; fd++)
				close(fd);
			return;
		}
		while ((e = readdir(d)) != NULL) {
			int fd = atoi(e->d_name);
			if (fd > WORKER_FD && fd != dirfd(d)) {
				if (n == 256) {
					again = 1;
					break;
				}
				fds[n++] = fd;
			}
		}
		closedir(d);
		for (int i = 0; i < n; i++)
			close(fds[i]);
	}
}

static void
worker_setup(int sock)
{
	struct rlimit rl;
	sigset_t none;
	int null;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock != WORKER_FD) {
		dup2(sock, WORKER_FD);
		close(sock);
	}
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2 && null != WORKER_FD)
			close(null);
	}
	close_others();
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = rl.rlim_max = WORKER_NOFILE;
	setrlimit(RLIMIT_NOFILE, &rl);
#ifndef GR_ASAN
	/* ASan reserves terabytes of shadow address space up front */
	rl.rlim_cur = rl.rlim_max = WORKER_AS;
	setrlimit(RLIMIT_AS, &rl);
#endif
}

static int
worker_reply(gr_status st, const char *data, size_t len)
{
	unsigned char h[12];

	be32(h, (uint32_t)st);
	be32(h + 4, (uint32_t)((uint64_t)len >> 32));
	be32(h + 8, (uint32_t)len);
	if (write_all(WORKER_FD, h, sizeof h, NULL) != 0)
		return -1;
	return write_all(WORKER_FD, data, len, NULL);
}

static int
worker_one(const gr_parser *p, unsigned timeout)
{
	unsigned char h[8];
	uint64_t len;
	char *raw, *packed = NULL;
	size_t plen = 0;
	gr_message *m = NULL;
	gr_error err;
	gr_status st;
	int r;

	if (read_all(WORKER_FD, h, sizeof h, NULL) != 0)
		return -1;
	len = (uint64_t)rd32(h) << 32 | rd32(h + 4);
	if (len > p->lim.max_raw)
		return -1;
	raw = malloc(len ? (size_t)len : 1);
	if (!raw || read_all(WORKER_FD, raw, (size_t)len, NULL) != 0) {
		free(raw);
		return -1;
	}
	if (p->crash_marker &&
	    memmem(raw, (size_t)len, p->crash_marker, strlen(p->crash_marker))) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	alarm(timeout);
	gr_error_clear(&err);
	st = gr_message_parse(raw, (size_t)len, &p->lim, &m, &err);
	free(raw);
	if (st == GR_OK) {
		st = gr_message_pack(m, &packed, &plen);
		gr_message_free(m);
		if (st != GR_OK)
			gr_error_set(&err, st, "cannot pack the parsed message");
	}
	alarm(0);
	if (st == GR_OK)
		r = worker_reply(GR_OK, packed, plen);
	else
		r = worker_reply(st, err.msg, strlen(err.msg));
	free(packed);
	return r;
}

static void
worker_main(gr_parser *p, int sock)
{
	worker_setup(sock);
	while (worker_one(p, p->timeout) == 0)
		;
	_exit(0);
}

/* --- the parent ------------------------------------------------------------ */

static gr_status
spawn(gr_parser *p, gr_error *err)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return gr_error_set(err, GR_E_INTERNAL,
		    "parser worker: socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return gr_error_set(err, GR_E_INTERNAL,
		    "parser worker: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(p, sv[1]);
	}
	close(sv[1]);
	p->pid = pid;
	p->fd = sv[0];
	return GR_OK;
}

/* Kill (unless it already died), reap, and forget the worker.  Returns the
 * wait status. */
static int
reap(gr_parser *p, int grace_ms)
{
	int status = 0;
	pid_t r;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return 0;
	/* it may be dying already: give it a moment to report why */
	for (int i = 0; i < grace_ms / 10; i++) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid)
			goto done;
		if (r < 0 && errno != EINTR)
			goto done;
		usleep(10000);
	}
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
done:
	p->pid = -1;
	return status;
}

gr_status
gr_parser_start(const gr_parse_limits *lim, gr_parser **out, gr_error *err)
{
	gr_parser *p = calloc(1, sizeof *p);
	const char *marker = getenv("GR_PARSER_CRASH_ON");
	gr_status st;

	*out = NULL;
	if (!p)
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of memory");
	if (lim)
		p->lim = *lim;
	else
		gr_parse_limits_default(&p->lim);
	p->pid = -1;
	p->fd = -1;
	p->timeout = PARSE_TIMEOUT;
	if (marker && *marker && !(p->crash_marker = gr_strdup(marker))) {
		free(p);
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of memory");
	}
	st = spawn(p, err);
	if (st != GR_OK) {
		free(p->crash_marker);
		free(p);
		return st;
	}
	*out = p;
	return GR_OK;
}

/* The worker failed on this message: find out how, and restart it. */
static gr_status
worker_failed(gr_parser *p, int timed_out, gr_error *err)
{
	int status = reap(p, timed_out ? 0 : 1000);
	gr_status st;
	gr_error e2;

	if (timed_out || (WIFSIGNALED(status) && (WTERMSIG(status) == SIGALRM ||
	    WTERMSIG(status) == SIGXCPU)))
		st = gr_error_set(err, GR_E_LIMIT,
		    "parse timed out after %u s (parser worker restarted)",
		    p->timeout);
	else if (WIFSIGNALED(status))
		st = gr_error_set(err, GR_E_CRASH,
		    "parser worker died on this message (signal %d)",
		    WTERMSIG(status));
	else
		st = gr_error_set(err, GR_E_CRASH,
		    "parser worker died on this message (exit status %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* a failed restart is retried by the next gr_parser_parse() */
	spawn(p, &e2);
	return st;
}

static gr_status
read_reply(gr_parser *p, const struct timespec *dl, gr_message **out,
           gr_error *err)
{
	unsigned char h[12];
	uint64_t len;
	uint32_t code;
	char *buf;
	int r;
	gr_status st;

	if ((r = read_all(p->fd, h, sizeof h, dl)) != 0)
		return worker_failed(p, r == -2, err);
	code = rd32(h);
	len = (uint64_t)rd32(h + 4) << 32 | rd32(h + 8);
	if (code >= GR_STATUS_LAST || code == GR_DONE ||
	    len > p->lim.max_raw * 4 + REPLY_SLACK ||
	    (code != GR_OK && len >= sizeof err->msg))
		return worker_failed(p, 0, err);
	buf = malloc((size_t)len + 1);
	if (!buf)
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of memory");
	if ((r = read_all(p->fd, buf, (size_t)len, dl)) != 0) {
		free(buf);
		return worker_failed(p, r == -2, err);
	}
	buf[len] = '\0';
	if (code != GR_OK) {
		st = gr_error_set(err, (gr_status)code, "%s",
		                  len ? buf : gr_status_to_string(code));
		free(buf);
		return st;
	}
	st = gr_message_unpack(buf, (size_t)len, out, err);
	free(buf);
	return st;
}

gr_status
gr_parser_parse(gr_parser *p, const char *raw, size_t len, gr_message **out,
                gr_error *err)
{
	struct timespec dl;
	unsigned char h[8];
	gr_status st;
	int r;

	*out = NULL;
	if (len > p->lim.max_raw)
		return gr_error_set(err, GR_E_LIMIT,
		    "message of %zu bytes exceeds the %zu-byte limit", len,
		    p->lim.max_raw);
	if (p->pid <= 0 && (st = spawn(p, err)) != GR_OK)
		return st;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += p->timeout + 2;
	be32(h, (uint32_t)((uint64_t)len >> 32));
	be32(h + 4, (uint32_t)len);
	if ((r = write_all(p->fd, h, sizeof h, &dl)) != 0 ||
	    (r = write_all(p->fd, raw, len, &dl)) != 0)
		return worker_failed(p, r == -2, err);
	return read_reply(p, &dl, out, err);
}

void
gr_parser_stop(gr_parser *p)
{
	if (!p)
		return;
	/* closing the socket ends the worker's read loop */
	reap(p, 500);
	free(p->crash_marker);
	free(p);
}
