/*
 * loop.c — the event loop (see loop.h).
 *
 * Timers are few (a handful per source), so a sorted list is enough.
 * Deleting a timer or a descriptor from inside a callback is safe: the
 * entry is marked dead and reaped after the callbacks of that turn.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "mem.h"

#define LOOP_EVENTS	64
#define LOOP_SIGNALS	8

struct loop_fd {
	int		 fd;
	loop_fd_cb	 cb;
	void		*arg;
	bool		 dead;
	struct loop_fd	*next;
};

struct loop_timer {
	uint64_t	 due;
	uint64_t	 interval;
	bool		 repeat;
	bool		 dead;
	loop_timer_cb	 cb;
	void		*arg;
	struct loop_timer *next;
};

struct loop_sig {
	int		 signo;
	loop_signal_cb	 cb;
	void		*arg;
};

struct loop {
	int		 epfd;
	int		 sigfd;
	sigset_t	 sigs;
	struct loop_sig	 sig[LOOP_SIGNALS];
	size_t		 nsig;
	struct loop_fd	*fds;
	struct loop_timer *timers;	/* sorted by due */
	bool		 stop;
};

uint64_t
loop_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *
loop_new(struct err *e)
{
	struct loop	*l = xcalloc(1, sizeof *l);

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1) {
		err_set(e, "epoll_create1: %s", strerror(errno));
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	return l;
}

static void
loop_reap(struct loop *l)
{
	struct loop_fd		**pf, *f;
	struct loop_timer	**pt, *t;

	for (pf = &l->fds; (f = *pf) != NULL;) {
		if (f->dead) {
			*pf = f->next;
			free(f);
		} else
			pf = &f->next;
	}
	for (pt = &l->timers; (t = *pt) != NULL;) {
		if (t->dead) {
			*pt = t->next;
			free(t);
		} else
			pt = &t->next;
	}
}

void
loop_free(struct loop *l)
{
	struct loop_fd		*f;
	struct loop_timer	*t;

	if (l == NULL)
		return;
	for (f = l->fds; f != NULL; f = f->next)
		f->dead = true;
	for (t = l->timers; t != NULL; t = t->next)
		t->dead = true;
	loop_reap(l);
	if (l->sigfd != -1) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigs, NULL);
	}
	close(l->epfd);
	free(l);
}

int
loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg,
    struct err *e)
{
	struct epoll_event	 ev;
	struct loop_fd		*f = xcalloc(1, sizeof *f);

	f->fd = fd;
	f->cb = cb;
	f->arg = arg;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = f;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		free(f);
		return err_set(e, "epoll_ctl(%d): %s", fd, strerror(errno));
	}
	f->next = l->fds;
	l->fds = f;
	return 0;
}

int
loop_mod_fd(struct loop *l, int fd, uint32_t events, struct err *e)
{
	struct epoll_event	 ev;
	struct loop_fd		*f;

	for (f = l->fds; f != NULL; f = f->next)
		if (f->fd == fd && !f->dead)
			break;
	if (f == NULL)
		return err_set(e, "loop_mod_fd(%d): not registered", fd);
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = f;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == -1)
		return err_set(e, "epoll_ctl(%d): %s", fd, strerror(errno));
	return 0;
}

void
loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd	*f;

	for (f = l->fds; f != NULL; f = f->next) {
		if (f->fd == fd && !f->dead) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			f->dead = true;
		}
	}
}

static void
timer_insert(struct loop *l, struct loop_timer *t)
{
	struct loop_timer	**pp = &l->timers;

	while (*pp != NULL && (*pp)->due <= t->due)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static void
timer_unlink(struct loop *l, struct loop_timer *t)
{
	struct loop_timer	**pp;

	for (pp = &l->timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			return;
		}
	}
}

struct loop_timer *
loop_add_timer(struct loop *l, uint64_t ms, bool repeat, loop_timer_cb cb,
    void *arg)
{
	struct loop_timer	*t = xcalloc(1, sizeof *t);

	t->interval = ms;
	t->repeat = repeat;
	t->cb = cb;
	t->arg = arg;
	t->due = loop_now_ms() + ms;
	timer_insert(l, t);
	return t;
}

void
loop_del_timer(struct loop *l, struct loop_timer *t)
{
	(void)l;
	if (t != NULL)
		t->dead = true;
}

void
loop_timer_now(struct loop *l, struct loop_timer *t)
{
	if (t == NULL || t->dead)
		return;
	timer_unlink(l, t);
	t->due = 0;
	timer_insert(l, t);
}

int
loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg,
    struct err *e)
{
	if (l->nsig == LOOP_SIGNALS)
		return err_set(e, "too many signal handlers");
	l->sig[l->nsig].signo = signo;
	l->sig[l->nsig].cb = cb;
	l->sig[l->nsig].arg = arg;
	l->nsig++;
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) == -1)
		return err_set(e, "sigprocmask: %s", strerror(errno));
	if (l->sigfd == -1)
		l->sigfd = signalfd(-1, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	else
		l->sigfd = signalfd(l->sigfd, &l->sigs, 0);
	if (l->sigfd == -1)
		return err_set(e, "signalfd: %s", strerror(errno));
	return 0;
}

static void
loop_signals(struct loop *l)
{
	struct signalfd_siginfo	 si;
	size_t			 i;

	while (read(l->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		for (i = 0; i < l->nsig; i++)
			if (l->sig[i].signo == (int)si.ssi_signo)
				l->sig[i].cb((int)si.ssi_signo, l->sig[i].arg);
	}
}

/*
 * Runs the timers that were due when it was called; returns the wait
 * until the next one (-1: none). Timers that fall due while it runs wait
 * for the next turn, after a poll: timers slower than their interval
 * must not starve descriptors and signals (SIGTERM) for good.
 */
static int
loop_timers(struct loop *l)
{
	struct loop_timer	*t;
	uint64_t		 start = loop_now_ms(), now;

	while ((t = l->timers) != NULL && !l->stop) {
		if (t->dead) {
			l->timers = t->next;
			free(t);
			continue;
		}
		if (t->due > start) {
			now = loop_now_ms();
			return t->due > now ? (int)(t->due - now) : 0;
		}
		l->timers = t->next;
		if (t->repeat) {
			t->due = loop_now_ms() + (t->interval ? t->interval : 1);
			timer_insert(l, t);
			t->cb(t->arg);
		} else {
			t->cb(t->arg);
			free(t);
		}
	}
	return -1;
}

static int
loop_poll(struct loop *l, int timeout, struct err *e)
{
	struct epoll_event	 ev[LOOP_EVENTS];
	int			 n, i;

	n = epoll_wait(l->epfd, ev, LOOP_EVENTS, timeout);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		return err_set(e, "epoll_wait: %s", strerror(errno));
	}
	for (i = 0; i < n; i++) {
		struct loop_fd	*f = ev[i].data.ptr;

		if (f == NULL)
			loop_signals(l);
		else if (!f->dead)
			f->cb(f->fd, ev[i].events, f->arg);
	}
	return 0;
}

static int
loop_arm_signals(struct loop *l, struct err *e)
{
	struct epoll_event	 ev;

	if (l->sigfd != -1) {
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = NULL;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) == -1 &&
		    errno != EEXIST)
			return err_set(e, "epoll_ctl(signalfd): %s",
			    strerror(errno));
	}
	return 0;
}

int
loop_turn(struct loop *l, int timeout_ms, struct err *e)
{
	int	 timeout;

	if (loop_arm_signals(l, e) != 0)
		return -1;
	timeout = loop_timers(l);
	if (timeout < 0 || (timeout_ms >= 0 && timeout > timeout_ms))
		timeout = timeout_ms;
	if (loop_poll(l, timeout, e) != 0)
		return -1;
	loop_reap(l);
	return 0;
}

int
loop_run(struct loop *l, struct err *e)
{
	int	 timeout;

	if (loop_arm_signals(l, e) != 0)
		return -1;
	l->stop = false;
	while (!l->stop) {
		timeout = loop_timers(l);
		if (l->stop)
			break;
		if (loop_poll(l, timeout, e) != 0)
			return -1;
		loop_reap(l);
	}
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

bool
loop_stopping(const struct loop *l)
{
	return l->stop;
}
