/* SPDX-License-Identifier: MIT */
/*
 * parser.c - gr_parser: gr_message_parse() runs in a worker process so a
 * libetpan crash kills the worker, not gravity.
 *
 * Privilege separation (as OpenSMTPD does): gr_parser_start() forks
 * a small "spawner" before any credential is loaded or connection opened.
 * Every worker, the first one and every replacement, is forked by the
 * spawner from its clean image, never by the poller (which may by then be
 * logged in: a worker forked from it would inherit the password in its heap).
 * The spawner never parses mail; it holds only its control socket (and
 * /dev/null on 0-2), runs under the workers' rlimits, reaps the workers, and
 * exits when the control socket closes.
 *
 * Control protocol, over a SOCK_SEQPACKET socketpair (one record per request
 * or reply, u32 big-endian):
 *   request:  op ('W' new worker, 'R' reap), pid, grace in ms
 *   'W' reply: errno (0 ok), worker pid; on success the poller's end of the
 *             worker's socket rides along as SCM_RIGHTS
 *   'R' reply: errno (0 ok), raw wait status of pid (the spawner waits up to
 *             grace ms for it to exit, then SIGKILLs it)
 *
 * Worker protocol, over a stream socketpair (integers big-endian):
 *   request:  u64 length, raw message bytes, u32 reading (0 none, 1 with
 *             no phones excluded, 2 then u32 length and the text whose
 *             phone numbers are never the sender's)
 *   reply:    u32 status, u64 length, then either the packed message
 *             (status GR_OK, see msgpack.c) or a one-line error message;
 *             with a reading asked and status GR_OK, u64 length and the
 *             packed reading (gr_extract_message) follow.
 * One request at a time, but the poller need not wait for its reply:
 * gr_parser_submit() sends it and gr_parser_collect() reads the reply
 * later, so the worker parses the next message while the poller
 * classifies the one before.
 *
 * The worker holds only its socket (and /dev/null on 0-2), runs under
 * rlimits (address space, core dumps, open files) and an alarm per message.
 * The poller bounds every wait; on death or timeout it has the spawner reap
 * the worker and start a new one.
 *
 * Only a message's own fault consumes it: when the worker dies on a message
 * (a crash, a timeout, or a kill from outside such as the OOM killer's),
 * the message is sent once more, alone, to the fresh worker that replaces
 * it.  Only a second death is the message's: gr_parser_parse() then fails
 * with GR_E_CRASH or GR_E_LIMIT; a death that did not happen again leaves
 * no trace but the time it took.
 *
 * If the spawner dies, it is not restarted: one forked now would carry the
 * poller's secrets.  gr_parser_parse() then returns GR_E_INTERNAL ("parser
 * spawner died"), which a poll treats as fatal (stop, keep what is done, the
 * next poll starts clean) rather than recording every remaining message as
 * failed.  A worker cannot report GR_E_INTERNAL: it becomes GR_E_PARSE.
 *
 * Test hooks, compiled in only by ./configure --enable-test-hooks (a build
 * without them ignores these variables), read at gr_parser_start() (used
 * by tests/unit/test_message.c and the shell tests):
 * GR_PARSER_CRASH_ON=TEXT makes the worker raise SIGSEGV on any message
 * containing TEXT (crash recovery); GR_PARSER_HANG_ON=TEXT makes it hang
 * on such a message (the per-message alarm ends it), with
 * GR_PARSER_HANG_HARD=1 it also blocks that alarm (the poller's own bound
 * ends it), and with GR_PARSER_HANG_FIRST=1 only the first worker started
 * hangs, under the name "gravity-hang" (so a test can kill it from outside;
 * its replacement parses the message); GR_PARSER_TIMEOUT=N (1-60) sets
 * the per-message seconds.
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

#include "gravity/buf.h"
#include "gravity/extract.h"
#include "gravity/message.h"
#include "gravity/util.h"
#include "parser.h"

#define WORKER_FD       3
#define WORKER_AS       ((rlim_t)1 << 30)       /* 1 GiB */
#define WORKER_NOFILE   32
#define PARSE_TIMEOUT   10                      /* seconds per message */
#define REPLY_SLACK     ((uint64_t)16 << 20)
#define SPAWNER_MAXKIDS 8                       /* workers alive at once */
#define CTL_TIMEOUT_MS  5000                    /* spawner reply bound */
#define STOP_GRACE_MS   500

#if defined(__SANITIZE_ADDRESS__)
#define GR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GR_ASAN 1
#endif
#endif

struct gr_parser {
	gr_parse_limits lim;
	pid_t spawner;          /* -1 once reaped */
	int ctl;                /* poller's end of the control socket */
	int spawner_gone;       /* it died: no worker can be started */
	pid_t pid;              /* -1 when no worker runs */
	int fd;                 /* poller's end of the worker's socket */
	unsigned timeout;       /* seconds per message */
	int died;               /* the worker died on the last request */
	const char *raw;        /* submitted, not yet collected (caller's) */
	size_t rawlen;
	int inflight;           /* a message was submitted */
	gr_status sent;         /* how its sending went */
	gr_error senterr;       /* why it failed, when it did */
	struct timespec dl;     /* its reply is due by then */
	int read_on;            /* the worker also reads each message */
	const char *read_excl;  /* the caller's: gr_parser_read_too() */
	int read_sent;          /* the request in flight asked for it */
	gr_extract *reading;    /* the last collect's, until taken */
#ifdef GR_TEST_HOOKS
	char *crash_marker;     /* test hooks, see the banner */
	char *hang_marker;
	int hang_hard, hang_first;
	unsigned worker_no;     /* set in a worker: 1 for the first */
#endif
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

/* Leave this process holding only sock (as WORKER_FD) and /dev/null on
 * 0-2, dying with its parent, under rlimits. */
static void
isolate(int sock, pid_t parent)
{
	struct rlimit rl;
	sigset_t none;
	int null;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);               /* the parent died before prctl */
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

/* The reply: status, len (of the message or the error line), then the
 * total bytes of data (the message and, asked, its reading). */
static int
worker_reply(gr_status st, const char *data, size_t len, size_t total)
{
	unsigned char h[12];

	be32(h, (uint32_t)st);
	be32(h + 4, (uint32_t)((uint64_t)len >> 32));
	be32(h + 8, (uint32_t)len);
	if (write_all(WORKER_FD, h, sizeof h, NULL) != 0)
		return -1;
	return write_all(WORKER_FD, data, total, NULL);
}

/* The reading part of a request: *ask 0 (none) or 1, *excl the text of
 * excluded phones (owned) or NULL.  0 ok, -1 a broken request. */
static int
worker_read_req(const gr_parser *p, int *ask, char **excl)
{
	unsigned char h[4];
	uint32_t kind, n;

	*ask = 0;
	*excl = NULL;
	if (read_all(WORKER_FD, h, 4, NULL) != 0 || (kind = rd32(h)) > 2)
		return -1;
	*ask = kind != 0;
	if (kind != 2)
		return 0;
	if (read_all(WORKER_FD, h, 4, NULL) != 0 ||
	    (n = rd32(h)) > p->lim.max_raw || !(*excl = malloc((size_t)n + 1)))
		return -1;
	if (read_all(WORKER_FD, *excl, n, NULL) != 0) {
		free(*excl);
		*excl = NULL;
		return -1;
	}
	(*excl)[n] = '\0';
	return 0;
}

/* Parse raw, and read it when asked: the packed message (*mlen bytes),
 * then (asked) u64 length and the packed reading, in *out. */
static gr_status
worker_work(const gr_parser *p, const char *raw, size_t len, int ask,
            const char *excl, gr_buf *out, size_t *mlen, gr_error *err)
{
	gr_message *m = NULL;
	gr_extract x;
	char *packed = NULL;
	size_t plen = 0;
	unsigned char h[8];
	gr_status st = gr_message_parse(raw, len, &p->lim, &m, err);

	if (st != GR_OK)
		return st;
	st = gr_message_pack(m, &packed, &plen);
	if (st == GR_OK)
		st = gr_buf_add(out, packed, plen);
	free(packed);
	*mlen = out->len;
	if (st == GR_OK && ask) {
		st = gr_extract_message(m, excl, &x);
		if (st == GR_OK) {
			st = gr_extract_pack(&x, &packed, &plen);
			gr_extract_free(&x);
		}
		be32(h, (uint32_t)((uint64_t)plen >> 32));
		be32(h + 4, (uint32_t)plen);
		if (st == GR_OK)
			st = gr_buf_add(out, h, 8);
		if (st == GR_OK)
			st = gr_buf_add(out, packed, plen);
		free(packed);
	}
	gr_message_free(m);
	if (st != GR_OK)
		gr_error_set(err, st, "cannot pack the parsed message");
	return st;
}

#ifdef GR_TEST_HOOKS
/* Test hook: hang as a parser stuck in a loop would (the alarm ends it;
 * hard: the alarm blocked, so only the poller's own bound can). */
static void
worker_hang(int hard)
{
	prctl(PR_SET_NAME, "gravity-hang");
	if (hard) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGALRM);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	for (;;)
		pause();
}

/* The test hooks of the banner, before and after the alarm is set. */
static void
worker_hooks(const gr_parser *p, const char *raw, size_t len, int armed)
{
	if (!armed && p->crash_marker &&
	    memmem(raw, len, p->crash_marker, strlen(p->crash_marker))) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (armed && p->hang_marker && (!p->hang_first || p->worker_no == 1) &&
	    memmem(raw, len, p->hang_marker, strlen(p->hang_marker)))
		worker_hang(p->hang_hard);
}
#endif

static int
worker_one(const gr_parser *p, unsigned timeout)
{
	unsigned char h[8];
	uint64_t len;
	char *raw, *excl = NULL;
	gr_buf out;
	gr_error err;
	gr_status st;
	size_t mlen = 0;
	int r, ask = 0;

	if (read_all(WORKER_FD, h, sizeof h, NULL) != 0)
		return -1;
	len = (uint64_t)rd32(h) << 32 | rd32(h + 4);
	if (len > p->lim.max_raw)
		return -1;
	raw = malloc(len ? (size_t)len : 1);
	if (!raw || read_all(WORKER_FD, raw, (size_t)len, NULL) != 0 ||
	    worker_read_req(p, &ask, &excl) != 0) {
		free(raw);
		return -1;
	}
#ifdef GR_TEST_HOOKS
	worker_hooks(p, raw, (size_t)len, 0);
#endif
	alarm(timeout);
#ifdef GR_TEST_HOOKS
	worker_hooks(p, raw, (size_t)len, 1);
#endif
	gr_error_clear(&err);
	gr_buf_init(&out, (size_t)-1);
	st = worker_work(p, raw, (size_t)len, ask, excl, &out, &mlen, &err);
	free(raw);
	free(excl);
	alarm(0);
	if (st == GR_OK)
		r = worker_reply(GR_OK, out.data, mlen, out.len);
	else
		r = worker_reply(st, err.msg, strlen(err.msg), strlen(err.msg));
	gr_buf_free(&out);
	return r;
}

static void
worker_main(gr_parser *p, int sock, pid_t parent)
{
	isolate(sock, parent);
	while (worker_one(p, p->timeout) == 0)
		;
	_exit(0);
}

/* --- the spawner ----------------------------------------------------------- */

struct spawner {
	gr_parser *p;
	pid_t kids[SPAWNER_MAXKIDS];
	size_t n;
	unsigned started;       /* workers forked so far */
};

/* Send a reply record, with fd as SCM_RIGHTS when fd >= 0. */
static int
send_rec(int sock, const unsigned char *rec, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)rec, len };
	struct msghdr mh = { 0 };
	ssize_t w;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof fd);
	}
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)len ? 0 : -1;
}

/* 'W': fork a worker from this clean image; reply with its pid and the
 * poller's end of its socket. */
static int
spawner_new(struct spawner *sp, int ctl)
{
	unsigned char rep[8];
	int sv[2], r;
	pid_t pid, self = getpid();

	if (sp->n == SPAWNER_MAXKIDS) {
		errno = EAGAIN;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		goto fail;
	sp->started++;
#ifdef GR_TEST_HOOKS
	sp->p->worker_no = sp->started;
#endif
	if ((pid = fork()) < 0) {
		r = errno;
		close(sv[0]);
		close(sv[1]);
		errno = r;
		goto fail;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(sp->p, sv[1], self);        /* closes ctl too */
	}
	close(sv[1]);
	sp->kids[sp->n++] = pid;
	be32(rep, 0);
	be32(rep + 4, (uint32_t)pid);
	r = send_rec(ctl, rep, sizeof rep, sv[0]);
	close(sv[0]);
	return r;
fail:
	be32(rep, (uint32_t)(errno ? errno : EIO));
	be32(rep + 4, 0);
	return send_rec(ctl, rep, sizeof rep, -1);
}

/* Reap pid (one of ours): wait up to grace_ms, then SIGKILL.  Raw status. */
static int
spawner_wait(pid_t pid, unsigned grace_ms)
{
	int status = 0;
	pid_t r;

	for (unsigned i = 0; i < grace_ms / 10; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return r == pid ? status : 0;
}

/* 'R': reap one of our workers and reply with its raw wait status. */
static int
spawner_reap(struct spawner *sp, int ctl, pid_t pid, unsigned grace_ms)
{
	unsigned char rep[8];
	size_t i;

	for (i = 0; i < sp->n && sp->kids[i] != pid; i++)
		;
	if (pid <= 0 || i == sp->n) {
		be32(rep, ECHILD);
		be32(rep + 4, 0);
		return send_rec(ctl, rep, sizeof rep, -1);
	}
	sp->kids[i] = sp->kids[--sp->n];
	be32(rep, 0);
	be32(rep + 4, (uint32_t)spawner_wait(pid, grace_ms));
	return send_rec(ctl, rep, sizeof rep, -1);
}

static void
spawner_main(gr_parser *p, int ctl, pid_t parent)
{
	struct spawner sp = { p, { 0 }, 0, 0 };
	unsigned char req[12];
	ssize_t n;
	int r = 0;

	isolate(ctl, parent);
	signal(SIGCHLD, SIG_DFL);       /* workers must stay reapable */
	while (r == 0) {
		n = recv(WORKER_FD, req, sizeof req, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof req)
			break;                  /* EOF: the poller is done */
		switch (rd32(req)) {
		case 'W':
			r = spawner_new(&sp, WORKER_FD);
			break;
		case 'R':
			r = spawner_reap(&sp, WORKER_FD, (pid_t)rd32(req + 4),
			                 rd32(req + 8));
			break;
		default:
			r = -1;
		}
	}
	/* leave no worker behind: their sockets are closed or unused */
	for (size_t i = 0; i < sp.n; i++)
		kill(sp.kids[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	_exit(0);
}

/* --- the poller ------------------------------------------------------------ */

/* The spawner failed to answer: it is dead or broken.  Never restart it. */
static gr_status
spawner_lost(gr_parser *p, gr_error *err)
{
	if (p->ctl >= 0)
		close(p->ctl);
	p->ctl = -1;
	p->spawner_gone = 1;
	return gr_error_set(err, GR_E_INTERNAL, "parser spawner died; "
	    "stopping (the next run starts a new one)");
}

/* One control request; the reply in rep, a passed descriptor (or -1) in
 * *fd when fd is not NULL.  0 ok, -1 the spawner is gone or broken. */
static int
ctl_call(gr_parser *p, int op, pid_t pid, unsigned grace_ms,
         unsigned char rep[8], int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	unsigned char req[12];
	struct iovec iov = { rep, 8 };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	struct timespec dl;
	ssize_t n;

	if (fd)
		*fd = -1;
	if (p->spawner_gone || p->ctl < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (CTL_TIMEOUT_MS + grace_ms) / 1000;
	be32(req, (uint32_t)op);
	be32(req + 4, (uint32_t)pid);
	be32(req + 8, grace_ms);
	if (write_all(p->ctl, req, sizeof req, &dl) != 0 ||
	    wait_fd(p->ctl, POLLIN, &dl) != 0)
		return -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	do
		n = recvmsg(p->ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; CMSG_LEN((k + 1) * sizeof(int)) <= c->cmsg_len; k++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + k * sizeof(int), sizeof got);
			if (fd && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	if (n != 8 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (fd && *fd >= 0)
			close(*fd);
		if (fd)
			*fd = -1;
		return -1;
	}
	return 0;
}

/* Have the spawner start a worker. */
static gr_status
spawn(gr_parser *p, gr_error *err)
{
	unsigned char rep[8];
	int fd;
	uint32_t e;

	if (ctl_call(p, 'W', 0, 0, rep, &fd) != 0)
		return spawner_lost(p, err);
	if ((e = rd32(rep)) != 0)
		return gr_error_set(err, GR_E_INTERNAL,
		    "parser worker: cannot start: %s", strerror((int)e));
	if (fd < 0 || rd32(rep + 4) == 0 || rd32(rep + 4) > INT32_MAX) {
		if (fd >= 0)
			close(fd);
		return spawner_lost(p, err);
	}
	p->pid = (pid_t)rd32(rep + 4);
	p->fd = fd;
	return GR_OK;
}

/* Close the worker's socket and have the spawner reap it (SIGKILL after
 * grace_ms; at once on 0).  0 with the raw wait status in *status, -1 when
 * the spawner is gone. */
static int
reap(gr_parser *p, unsigned grace_ms, int *status)
{
	unsigned char rep[8];
	pid_t pid = p->pid;

	*status = 0;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->pid = -1;
	if (pid <= 0)
		return 0;
	/* safe by pid: only the spawner reaps it, on our request */
	if (grace_ms == 0)
		kill(pid, SIGKILL);
	if (ctl_call(p, 'R', pid, grace_ms, rep, NULL) != 0 || rd32(rep) != 0)
		return -1;
	*status = (int)rd32(rep + 4);
	return 0;
}

#ifdef GR_TEST_HOOKS
/* The test hooks of the banner, from the environment. */
static gr_status
test_hooks(gr_parser *p, gr_error *err)
{
	const char *crash = getenv("GR_PARSER_CRASH_ON");
	const char *hang = getenv("GR_PARSER_HANG_ON");
	const char *secs = getenv("GR_PARSER_TIMEOUT");
	const char *hard = getenv("GR_PARSER_HANG_HARD");
	const char *first = getenv("GR_PARSER_HANG_FIRST");

	if (secs && atoi(secs) >= 1 && atoi(secs) <= 60)
		p->timeout = (unsigned)atoi(secs);
	p->hang_hard = hard && strcmp(hard, "1") == 0;
	p->hang_first = first && strcmp(first, "1") == 0;
	if ((crash && *crash && !(p->crash_marker = gr_strdup(crash))) ||
	    (hang && *hang && !(p->hang_marker = gr_strdup(hang)))) {
		free(p->crash_marker);
		free(p->hang_marker);
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of "
		                    "memory");
	}
	return GR_OK;
}

static void
test_hooks_free(gr_parser *p)
{
	free(p->crash_marker);
	free(p->hang_marker);
}
#else
static gr_status
test_hooks(gr_parser *p, gr_error *err)
{
	(void)p;
	(void)err;
	return GR_OK;
}

static void
test_hooks_free(gr_parser *p)
{
	(void)p;
}
#endif

gr_status
gr_parser_start(const gr_parse_limits *lim, gr_parser **out, gr_error *err)
{
	gr_parser *p = calloc(1, sizeof *p);
	pid_t self = getpid();
	int sv[2];
	gr_status st;

	*out = NULL;
	if (!p)
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of memory");
	if (lim)
		p->lim = *lim;
	else
		gr_parse_limits_default(&p->lim);
	p->pid = p->spawner = -1;
	p->fd = p->ctl = -1;
	p->timeout = PARSE_TIMEOUT;
	if ((st = test_hooks(p, err)) != GR_OK) {
		free(p);
		return st;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		st = gr_error_set(err, GR_E_INTERNAL,
		    "parser spawner: socketpair: %s", strerror(errno));
		goto fail;
	}
	if ((p->spawner = fork()) < 0) {
		st = gr_error_set(err, GR_E_INTERNAL,
		    "parser spawner: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (p->spawner == 0) {
		close(sv[0]);
		spawner_main(p, sv[1], self);
	}
	close(sv[1]);
	p->ctl = sv[0];
	if ((st = spawn(p, err)) != GR_OK) {
		gr_parser_stop(p);
		return st;
	}
	*out = p;
	return GR_OK;
fail:
	test_hooks_free(p);
	free(p);
	return st;
}

/* The worker failed on this message: find out how, and restart it. */
static gr_status
worker_failed(gr_parser *p, int timed_out, gr_error *err)
{
	int status;
	gr_status st;
	gr_error e2;

	if (reap(p, timed_out ? 0 : 1000, &status) != 0)
		return spawner_lost(p, err);
	p->died = 1;
	if (timed_out)
		st = gr_error_set(err, GR_E_LIMIT,
		    "parse timed out after %u s (no answer: parser worker killed "
		    "and restarted)", p->timeout);
	else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGALRM ||
	         WTERMSIG(status) == SIGXCPU))
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

/* The reading that follows a message's reply, into p->reading. */
static gr_status
read_reading(gr_parser *p, const struct timespec *dl, gr_error *err)
{
	unsigned char h[8];
	uint64_t len;
	char *buf;
	gr_extract *x;
	gr_status st;
	int r;

	if ((r = read_all(p->fd, h, sizeof h, dl)) != 0)
		return worker_failed(p, r == -2, err);
	len = (uint64_t)rd32(h) << 32 | rd32(h + 4);
	if (len > p->lim.max_raw * 4 + REPLY_SLACK)
		return worker_failed(p, 0, err);
	buf = malloc((size_t)len + 1);
	x = calloc(1, sizeof *x);
	if (!buf || !x) {
		free(buf);
		free(x);
		return gr_error_set(err, GR_E_NOMEM, "parser worker: out of memory");
	}
	if ((r = read_all(p->fd, buf, (size_t)len, dl)) != 0) {
		free(buf);
		free(x);
		return worker_failed(p, r == -2, err);
	}
	st = gr_extract_unpack(buf, (size_t)len, x, err);
	free(buf);
	if (st != GR_OK) {
		free(x);
		return st;
	}
	p->reading = x;
	return GR_OK;
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
	if (code == GR_E_INTERNAL)
		code = GR_E_PARSE;      /* only the poller's side says that */
	if (code != GR_OK) {
		st = gr_error_set(err, (gr_status)code, "%s",
		                  len ? buf : gr_status_to_string(code));
		free(buf);
		return st;
	}
	st = gr_message_unpack(buf, (size_t)len, out, err);
	free(buf);
	if (st != GR_OK && p->read_sent) {
		int status;

		reap(p, 0, &status);    /* its reading is unread: start anew */
		return st;
	}
	if (st == GR_OK && p->read_sent &&
	    (st = read_reading(p, dl, err)) != GR_OK) {
		gr_message_free(*out);
		*out = NULL;
	}
	return st;
}

/* The reading part of a request (the banner); 0 ok, -1 error, -2 timeout. */
static int
send_read_req(gr_parser *p, const struct timespec *dl)
{
	unsigned char h[8];
	size_t n = p->read_excl ? strlen(p->read_excl) : 0;
	int r;

	p->read_sent = p->read_on;
	be32(h, !p->read_on ? 0 : p->read_excl ? 2 : 1);
	be32(h + 4, (uint32_t)n);
	if (!p->read_on || !p->read_excl)
		return write_all(p->fd, h, 4, dl);
	if ((r = write_all(p->fd, h, 8, dl)) != 0)
		return r;
	return write_all(p->fd, p->read_excl, n, dl);
}

/* Send one request to the worker (started first when none runs); its
 * reply is due by p->dl. */
static gr_status
send_req(gr_parser *p, const char *raw, size_t len, gr_error *err)
{
	unsigned char h[8];
	gr_status st;
	int r;

	p->died = 0;
	if (p->pid <= 0 && (st = spawn(p, err)) != GR_OK)
		return st;      /* GR_E_INTERNAL: no worker can be had */
	clock_gettime(CLOCK_MONOTONIC, &p->dl);
	p->dl.tv_sec += p->timeout + 2;
	be32(h, (uint32_t)((uint64_t)len >> 32));
	be32(h + 4, (uint32_t)len);
	if ((r = write_all(p->fd, h, sizeof h, &p->dl)) != 0 ||
	    (r = write_all(p->fd, raw, len, &p->dl)) != 0 ||
	    (r = send_read_req(p, &p->dl)) != 0)
		return worker_failed(p, r == -2, err);
	return GR_OK;
}

/* The reply to the request sent last.  The worker had until p->dl; a
 * caller that comes later (busy with the message before) still waits a
 * second, for a reply it has not read yet is not a hung worker's. */
static gr_status
recv_reply(gr_parser *p, gr_message **out, gr_error *err)
{
	struct timespec dl;

	if (ms_left(&p->dl) < 1000) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 1;
	} else {
		dl = p->dl;
	}
	return read_reply(p, &dl, out, err);
}

static void
reading_drop(gr_parser *p)
{
	gr_extract_free(p->reading);
	free(p->reading);
	p->reading = NULL;
}

void
gr_parser_read_too(gr_parser *p, const char *exclude_phones)
{
	p->read_on = 1;
	p->read_excl = exclude_phones;
}

gr_extract *
gr_parser_reading(gr_parser *p)
{
	gr_extract *x = p->reading;

	p->reading = NULL;
	return x;
}

void
gr_parser_submit(gr_parser *p, const char *raw, size_t len)
{
	int status;

	if (p->inflight && p->sent == GR_OK)
		reap(p, 0, &status);    /* never collected: its reply is void */
	p->raw = raw;
	p->rawlen = len;
	p->inflight = 1;
	gr_error_clear(&p->senterr);
	p->sent = len > p->lim.max_raw ? GR_OK : send_req(p, raw, len,
	                                                  &p->senterr);
}

gr_status
gr_parser_collect(gr_parser *p, gr_message **out, gr_error *err)
{
	const char *raw = p->raw;
	size_t len = p->rawlen;
	gr_status st;

	*out = NULL;
	reading_drop(p);
	if (!p->inflight)
		return gr_error_set(err, GR_E_INTERNAL, "parser: nothing was "
		                    "submitted");
	p->inflight = 0;
	p->raw = NULL;
	if (len > p->lim.max_raw)
		return gr_error_set(err, GR_E_LIMIT,
		    "message of %zu bytes exceeds the %zu-byte limit", len,
		    p->lim.max_raw);
	if (p->sent != GR_OK) {
		if (err)
			*err = p->senterr;
		st = p->sent;
	} else {
		st = recv_reply(p, out, err);
	}
	if (!p->died)
		return st;
	/* Once more, alone, in the fresh worker that replaced the dead one:
	 * a death that does not happen again was not this message's. */
	st = send_req(p, raw, len, err);
	if (st == GR_OK)
		st = recv_reply(p, out, err);
	if (p->died && err) {
		size_t n = strlen(err->msg);

		snprintf(err->msg + n, sizeof err->msg - n, "; again when "
		         "retried in a fresh worker");
	}
	return st;
}

gr_status
gr_parser_parse(gr_parser *p, const char *raw, size_t len, gr_message **out,
                gr_error *err)
{
	gr_parser_submit(p, raw, len);
	return gr_parser_collect(p, out, err);
}

void
gr_parser_stop(gr_parser *p)
{
	int status;
	pid_t r;

	if (!p)
		return;
	/* closing its socket ends the worker's read loop */
	reap(p, STOP_GRACE_MS, &status);
	/* closing the control socket ends the spawner, which reaps the rest */
	if (p->ctl >= 0)
		close(p->ctl);
	p->ctl = -1;
	for (int i = 0; p->spawner > 0 && i < STOP_GRACE_MS / 10; i++) {
		r = waitpid(p->spawner, &status, WNOHANG);
		if (r == p->spawner || (r < 0 && errno != EINTR))
			p->spawner = -1;
		else
			usleep(10000);
	}
	if (p->spawner > 0) {
		kill(p->spawner, SIGKILL);
		while (waitpid(p->spawner, &status, 0) < 0 && errno == EINTR)
			;
	}
	reading_drop(p);
	test_hooks_free(p);
	free(p);
}

/* Test accessors (src/parser.h). */
pid_t
gr_parser_worker_pid(const gr_parser *p)
{
	return p->pid;
}

pid_t
gr_parser_spawner_pid(const gr_parser *p)
{
	return p->spawner_gone ? -1 : p->spawner;
}
