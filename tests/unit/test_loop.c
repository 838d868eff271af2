/*
 * test_loop.c — shipper/loop: descriptors, one-shot and repeating timers
 * (also deleted from their own callback), signals through signalfd, stop,
 * and a descriptor's events changed while it is registered.
 */
#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

struct counts {
	struct loop	*l;
	int		 fired;
	int		 repeat;
	int		 readable;
	int		 signals;
	struct loop_timer *self;
	int		 fd;
};

static void
one_shot(void *arg)
{
	struct counts	*c = arg;

	c->fired++;
}

static void
repeating(void *arg)
{
	struct counts	*c = arg;

	if (++c->repeat == 3) {
		loop_del_timer(c->l, c->self);	/* from its own callback */
		loop_stop(c->l);
	}
}

START_TEST(test_timers)
{
	struct counts	 c = { 0 };
	struct err	 e;
	uint64_t	 t0 = loop_now_ms();

	c.l = loop_new(&e);
	ck_assert_ptr_nonnull(c.l);
	loop_add_timer(c.l, 10, false, one_shot, &c);
	c.self = loop_add_timer(c.l, 20, true, repeating, &c);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.fired, 1);
	ck_assert_int_eq(c.repeat, 3);
	ck_assert_uint_ge(loop_now_ms() - t0, 55);
	loop_free(c.l);
}
END_TEST

static void
on_readable(int fd, uint32_t events, void *arg)
{
	struct counts	*c = arg;
	char		 buf[16];

	ck_assert(events & EPOLLIN);
	ck_assert_int_gt(read(fd, buf, sizeof buf), 0);
	c->readable++;
	loop_del_fd(c->l, fd);
	loop_stop(c->l);
}

START_TEST(test_fd)
{
	struct counts	 c = { 0 };
	struct err	 e;
	int		 p[2];

	ck_assert_int_eq(pipe(p), 0);
	c.l = loop_new(&e);
	ck_assert_int_eq(loop_add_fd(c.l, p[0], EPOLLIN, on_readable, &c, &e), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.readable, 1);
	ck_assert_int_eq(loop_add_fd(c.l, -1, EPOLLIN, on_readable, &c, &e), -1);
	loop_free(c.l);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
on_writable(int fd, uint32_t events, void *arg)
{
	struct counts	*c = arg;

	(void)fd;
	ck_assert(events & EPOLLOUT);
	c->readable++;
	loop_stop(c->l);
}

static void
switch_to_out(void *arg)
{
	struct counts	*c = arg;
	struct err	 e;

	c->fired++;
	ck_assert_int_eq(loop_mod_fd(c->l, c->fd, EPOLLOUT, &e), 0);
}

/* A pipe's write end never becomes readable: only the change to
 * EPOLLOUT, made from a timer, lets the callback run. */
START_TEST(test_mod_fd)
{
	struct counts	 c = { 0 };
	struct err	 e;
	int		 p[2];

	ck_assert_int_eq(pipe(p), 0);
	c.l = loop_new(&e);
	c.fd = p[1];
	ck_assert_int_eq(loop_add_fd(c.l, p[1], EPOLLIN, on_writable, &c, &e),
	    0);
	loop_add_timer(c.l, 20, false, switch_to_out, &c);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.fired, 1);
	ck_assert_int_eq(c.readable, 1);
	loop_del_fd(c.l, p[1]);
	ck_assert_int_eq(loop_mod_fd(c.l, p[1], EPOLLIN, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not registered"));
	loop_free(c.l);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
on_signal(int signo, void *arg)
{
	struct counts	*c = arg;

	ck_assert_int_eq(signo, SIGUSR1);
	c->signals++;
	loop_stop(c->l);
}

static void
raise_usr1(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR1);
}

START_TEST(test_signal)
{
	struct counts	 c = { 0 };
	struct err	 e;

	c.l = loop_new(&e);
	ck_assert_int_eq(loop_add_signal(c.l, SIGUSR1, on_signal, &c, &e), 0);
	loop_add_timer(c.l, 5, false, raise_usr1, NULL);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.signals, 1);
	ck_assert(loop_stopping(c.l));
	loop_free(c.l);
}
END_TEST

static void
bump(void *arg)
{
	struct counts	*c = arg;

	if (++c->fired == 2)
		loop_stop(c->l);
}

START_TEST(test_timer_now)
{
	struct counts	 c = { 0 };
	struct err	 e;
	struct loop_timer *t;
	uint64_t	 t0 = loop_now_ms();

	c.l = loop_new(&e);
	t = loop_add_timer(c.l, 60000, true, bump, &c);
	loop_timer_now(c.l, t);
	loop_add_timer(c.l, 5, false, bump, &c);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.fired, 2);
	ck_assert_uint_lt(loop_now_ms() - t0, 5000);
	loop_free(c.l);
}
END_TEST

/* Slower than its own interval; raises SIGUSR1 on its third run. */
static void
slow_repeat(void *arg)
{
	struct counts	*c = arg;

	usleep(3000);
	if (++c->repeat == 3)
		kill(getpid(), SIGUSR1);
}

/* A timer that cannot keep up still lets a signal (SIGTERM) through. */
START_TEST(test_slow_timer_starves_nothing)
{
	struct counts	 c = { 0 };
	struct err	 e;

	c.l = loop_new(&e);
	ck_assert_int_eq(loop_add_signal(c.l, SIGUSR1, on_signal, &c, &e), 0);
	loop_add_timer(c.l, 1, true, slow_repeat, &c);
	ck_assert_int_eq(loop_run(c.l, &e), 0);
	ck_assert_int_eq(c.signals, 1);
	ck_assert_int_ge(c.repeat, 3);
	loop_free(c.l);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("loop");
	TCase	*tc = tcase_create("loop");

	tcase_add_test(tc, test_timers);
	tcase_add_test(tc, test_fd);
	tcase_add_test(tc, test_mod_fd);
	tcase_add_test(tc, test_signal);
	tcase_add_test(tc, test_timer_now);
	tcase_add_test(tc, test_slow_timer_starves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
